import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { nodeDefaultHosts } from '../../src/config.ts'
import { createTestContext, type TestContext } from '../support/app.ts'
import { createProviderApp } from '../support/fixtures.ts'

let t: TestContext
const DISCOVERY = '/application/o/app/.well-known/openid-configuration'

beforeAll(async () => {
  t = await createTestContext()
  await createProviderApp(t, 'app', { redirect_uris: [{ matching_mode: 'strict', url: 'http://localhost/cb' }] })
  t.deps.config.defaultApplication = 'app'
}, 60_000)
afterAll(() => t.close())

describe('ALLOWED_HOSTS without PUBLIC_URL (Node default: localhost, 127.0.0.1, [::1])', () => {
  it.each(['/', DISCOVERY, '/application/o/app/', '/application/o/app/jwks/', '/.well-known/webfinger?resource=x',
    '/api/v3/core/users/', '/nope'])('answers 400 to a request for another host: %s', async (path) => {
    const res = await t.request(`http://evil.example${path}`)
    expect(res.status).toBe(400)
    expect(res.headers.get('Cache-Control')).toBe('no-store')
    expect(res.headers.get('Location')).toBeNull()
    const body = await res.json() as Record<string, unknown>
    expect(body).toMatchObject({ error: 'invalid_request' })
    expect(JSON.stringify(body)).not.toContain('evil.example')
  })

  it('serves localhost, 127.0.0.1 and [::1] on the allowed port only, naming them in the issuer', async () => {
    for (const origin of ['http://localhost', 'http://127.0.0.1', 'http://[::1]']) {
      const res = await t.request(`${origin}${DISCOVERY}`)
      expect(res.status).toBe(200)
      expect(((await res.json()) as { issuer: string }).issuer).toBe(`${origin}/application/o/app/`)
    }
    // The issuer comes from the Host: a port or a trailing dot no entry names gets 400, not an issuer of its own.
    for (const origin of ['http://localhost:0', 'http://localhost:9000', 'http://127.0.0.1:8080', 'http://localhost.',
      'http://localhost.:80']) {
      const res = await t.request(`${origin}${DISCOVERY}`)
      expect(res.status, origin).toBe(400)
      expect(await res.json()).toMatchObject({ error: 'invalid_request' })
    }
  })

  it('serves npm start\'s own port with its defaults (nodeDefaultHosts)', async () => {
    const node = await createTestContext({}, nodeDefaultHosts(9000))
    try {
      await createProviderApp(node, 'app', { redirect_uris: [{ matching_mode: 'strict', url: 'http://localhost/cb' }] })
      for (const origin of ['http://localhost:9000', 'http://127.0.0.1:9000', 'http://[::1]:9000', 'http://localhost']) {
        const res = await node.request(`${origin}${DISCOVERY}`)
        expect(res.status, origin).toBe(200)
        expect(((await res.json()) as { issuer: string }).issuer).toBe(`${origin}/application/o/app/`)
      }
      expect((await node.request(`http://localhost:9001${DISCOVERY}`)).status).toBe(400)
    } finally {
      await node.close()
    }
  })

  it('says Vary: Host on every cacheable answer that names the host', async () => {
    for (const path of [DISCOVERY, '/application/o/app/jwks/', '/.well-known/webfinger?resource=x', '/application/o/app/']) {
      const res = await t.request(path)
      expect(res.status, path).toBeLessThan(400)
      expect(res.headers.get('Vary'), path).toBe('Host')
    }
  })
})

describe('ALLOWED_HOSTS set', () => {
  it('serves the listed hosts and their subdomains for a leading dot, and the PUBLIC_URL host', async () => {
    const listed = await createTestContext({ ALLOWED_HOSTS: '.example.org', PUBLIC_URL: 'https://id.example.com' })
    try {
      for (const host of ['example.org', 'sso.example.org', 'id.example.com']) {
        expect((await listed.request(`https://${host}/`)).status, host).toBe(200)
      }
      for (const host of ['localhost', 'example.org.evil', 'evil.example']) {
        expect((await listed.request(`https://${host}/`)).status, host).toBe(400)
      }
    } finally {
      await listed.close()
    }
  })
})
