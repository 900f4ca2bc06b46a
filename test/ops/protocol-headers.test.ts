import { eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { authenticatedSessions } from '../../src/db/schema.ts'
import { OPENID_MEANS } from '../../src/pages/consent.ts'
import { createTestContext, type TestContext } from '../support/app.ts'
import { TestAgent } from '../support/browser-forms.ts'
import { createUser, createUserWithPassword, defaultMappingPks, EXPLICIT_CONSENT, PASSWORD, type User } from '../support/fixtures.ts'
import { authorizePath, createClient as createAuthorizeClient, expectErrorRedirect, location, signIn,
  type Client as AuthorizeClient } from '../routes/authorize/helpers.ts'
import { codeParams, createClient, insertCode, ok, refused, tokenRequest, type Client } from '../routes/token/support.ts'

let t: TestContext
let app: AuthorizeClient
let unicode: AuthorizeClient
let explicit: AuthorizeClient
let conf: Client
let alice: User
let agent: TestAgent
const UNICODE_URI = 'https://app.example/ünïcode/callback'

beforeAll(async () => {
  t = await createTestContext()
  const mappings = await defaultMappingPks(t)
  app = await createAuthorizeClient(t, 'app', { property_mappings: mappings })
  unicode = await createAuthorizeClient(t, 'unicode', {
    redirect_uris: [{ matching_mode: 'regex', url: '^https://app\\.example/ünïcode/.*$' }], property_mappings: mappings })
  explicit = await createAuthorizeClient(t, 'explicit', { authorization_flow: EXPLICIT_CONSENT, property_mappings: mappings })
  conf = await createClient(t, 'conf')
  await createUserWithPassword(t, 'alice')
  alice = await createUser(t, 'bob')
  agent = await signIn(t, 'alice')
}, 60_000)
afterAll(() => t.close())

const ask = (c: AuthorizeClient, extra: Record<string, string> = {}) =>
  authorizePath({ client_id: c.clientId, redirect_uri: 'foo://localhost', response_type: 'code', state: 'st', ...extra })
const UNRESERVED = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~'

describe('PKCE values (RFC 7636 §4.1-4.2)', () => {
  it.each([
    ['42 characters', 'a'.repeat(42)], ['129 characters', 'a'.repeat(129)], ['a character outside the unreserved set',
      `${'a'.repeat(42)}+`], ['padding', `${'a'.repeat(42)}=`], ['a space', `${'a'.repeat(21)} ${'a'.repeat(21)}`],
  ])('refuses a code_challenge of %s with invalid_request', async (_, challenge) => {
    for (const method of ['plain', 'S256']) {
      const res = await agent.get(ask(app, { code_challenge: challenge, code_challenge_method: method }))
      expectErrorRedirect(res, 302, { error: 'invalid_request', state: 'st', iss: app.iss,
        error_description: 'code_challenge must be 43-128 unreserved characters (RFC 7636 §4.2)' })
    }
  })

  it('accepts 43 and 128 unreserved characters, plain and S256', async () => {
    for (const [challenge, method] of [['a'.repeat(43), 'S256'], [UNRESERVED.repeat(2).slice(0, 128), 'plain']]) {
      const res = await agent.get(ask(app, { code_challenge: challenge!, code_challenge_method: method! }))
      expect(res.status).toBe(302)
      expect(location(res).searchParams.get('code')).toMatch(/^[A-Za-z0-9]{48}$/)
    }
  })

  it.each([
    ['42 characters', 'v'.repeat(42)], ['129 characters', 'v'.repeat(129)], ['a character outside the set', `${'v'.repeat(42)}/`],
  ])('refuses a code_verifier of %s with invalid_grant, even when it matches a plain challenge', async (_, verifier) => {
    for (const method of ['plain', 'S256'] as const) {
      const { code } = await insertCode(t, conf, alice, { verifier, method })
      await refused(await tokenRequest(t, codeParams(conf, code, { code_verifier: verifier })), 400, 'invalid_grant')
    }
  })

  it('exchanges a code with a verifier of 43 or 128 unreserved characters; plain stays', async () => {
    for (const [verifier, method] of [[UNRESERVED.slice(0, 43), 'S256'], [UNRESERVED.repeat(2).slice(0, 128), 'plain']] as const) {
      const { code } = await insertCode(t, conf, alice, { verifier, method })
      await ok(await tokenRequest(t, codeParams(conf, code, { code_verifier: verifier })))
    }
  })
})

describe('security headers (hono secureHeaders)', () => {
  it('sends nosniff, DENY and same-origin on every answer, and no HSTS over http', async () => {
    const answers = await Promise.all([
      t.request('/'), t.request('/nope'), t.request('/favicon.ico'), t.request('/application/o/app/jwks/'),
      t.request('/application/o/app/.well-known/openid-configuration'), tokenRequest(t, { grant_type: 'nope' }),
      t.request('/api/v3/core/users/'), t.request('/application/o/token/', { method: 'POST', body: '%zz',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' } }),
      t.request('http://evil.example/'),
    ])
    for (const res of answers) {
      expect(res.headers.get('X-Content-Type-Options'), res.url).toBe('nosniff')
      expect(res.headers.get('X-Frame-Options')).toBe('DENY')
      expect(res.headers.get('Referrer-Policy')).toBe('same-origin')
      expect(res.headers.get('Strict-Transport-Security')).toBeNull()
      expect(res.headers.get('Cross-Origin-Resource-Policy')).toBeNull()
    }
  })

  it('sends Strict-Transport-Security when PUBLIC_URL is https', async () => {
    const https = await createTestContext({ PUBLIC_URL: 'https://id.example.com' })
    try {
      for (const path of ['https://id.example.com/', 'https://id.example.com/nope']) {
        const res = await https.request(path)
        expect(res.headers.get('Strict-Transport-Security')).toBe('max-age=31536000; includeSubDomains')
        expect(res.headers.get('X-Content-Type-Options')).toBe('nosniff')
      }
    } finally {
      await https.close()
    }
  })
})

describe('the recorded address of a session', () => {
  it('comes from deps.clientAddress, not a CF-Connecting-IP the client sent', async () => {
    const vouched = t.deps.clientAddress
    t.deps.clientAddress = () => '203.0.113.7'
    try {
      const browser = new TestAgent(t)
      const res = await browser.submit('/login', { username: 'alice', password: PASSWORD })
      expect(res.status).toBe(303)
      const rows = await t.db.select().from(authenticatedSessions).where(eq(authenticatedSessions.lastIp, '203.0.113.7'))
      expect(rows).toHaveLength(1)
      // The login page and its POST both carried no forged header here; now one that does.
      const forged = new TestAgent(t)
      await forged.request('/login', { method: 'POST', headers: { 'CF-Connecting-IP': '198.51.100.66',
        'Content-Type': 'application/x-www-form-urlencoded', Origin: 'http://localhost' },
        body: new URLSearchParams({ username: 'alice', password: PASSWORD }).toString() })
      expect(await t.db.select().from(authenticatedSessions).where(eq(authenticatedSessions.lastIp, '198.51.100.66')))
        .toEqual([])
    } finally {
      t.deps.clientAddress = vouched
    }
  })
})

describe('a regex redirect URI with characters above U+00FF', () => {
  it('gets iss (and code and state) encoded once, the URI\'s own characters as UTF-8', async () => {
    const res = await agent.get(authorizePath({ client_id: unicode.clientId, redirect_uri: `${UNICODE_URI}€`,
      response_type: 'code', state: 'ß € ✓' }))
    expect(res.status).toBe(302)
    const raw = res.headers.get('Location')!
    expect(raw).toMatch(/^https:\/\/app\.example\/%C3%BCn%C3%AFcode\/callback%E2%82%AC\?code=/)
    expect(raw).toContain(`iss=${encodeURIComponent(unicode.iss)}`)
    expect(raw).not.toContain('%25')
    const url = new URL(raw)
    expect(url.searchParams.get('iss')).toBe(unicode.iss)
    expect(url.searchParams.get('state')).toBe('ß € ✓')
    expect(decodeURIComponent(url.pathname)).toBe('/ünïcode/callback€')
  })

  it('keeps error redirects single-encoded too', async () => {
    const res = await agent.get(authorizePath({ client_id: unicode.clientId, redirect_uri: `${UNICODE_URI}✓`,
      response_type: 'code', state: 's', code_challenge: 'short' }))
    expect(res.status).toBe(302)
    expect(res.headers.get('Location')).not.toContain('%25')
    expect(new URL(res.headers.get('Location')!).searchParams.get('error')).toBe('invalid_request')
  })
})

describe('pages for browsers', () => {
  it('shows a page for a path that does not exist, and JSON to programs, /api/ and the OAuth endpoints', async () => {
    const html = { Accept: 'text/html,application/xhtml+xml,*/*;q=0.8' }
    const page = await t.request('/no/such/page', { headers: html })
    expect(page.status).toBe(404)
    expect(page.headers.get('Content-Type')).toMatch(/^text\/html/)
    expect(page.headers.get('Cache-Control')).toBe('no-store')
    expect(await page.text()).toContain('<h1>Page not found</h1>')
    for (const [path, headers] of [['/no/such/page', {}], ['/api/v3/nope/', { ...html, Authorization: 'Bearer test-admin-token-0123456789' }], ['/application/o/nope/x/y', html],
      ['/.well-known/nope', html]] as const) {
      const res = await t.request(path, { headers })
      expect(res.status).toBe(404)
      expect(res.headers.get('Content-Type')).toMatch(/^application\/json/)
      expect(await res.json()).toEqual({ detail: 'Not found.' })
    }
  })

  it('serves /favicon.ico', async () => {
    const res = await t.request('/favicon.ico')
    expect(res.status).toBe(200)
    expect(res.headers.get('Content-Type')).toBe('image/x-icon')
    expect(res.headers.get('Cache-Control')).toBe('public, max-age=86400')
    const bytes = new Uint8Array(await res.arrayBuffer())
    expect([...bytes.slice(0, 4)]).toEqual([0, 0, 1, 0])
  })

  it('offers a sign-in link on the home page without a session', async () => {
    const res = await t.request('/')
    expect(await res.text()).toContain('<a href="/login">Sign in</a>')
  })

  it('says "sign in to" on the consent page and lists what openid means', async () => {
    const res = await agent.get(ask(explicit, { scope: 'openid email' }))
    expect(res.status).toBe(200)
    const html = await res.text()
    expect(html).toContain(`You&#39;re about to sign in to App explicit.`)
    expect(html).toContain(`<li>${OPENID_MEANS}</li>`)
    const noOpenid = await (await agent.get(ask(explicit, { scope: 'email' }))).text()
    expect(noOpenid).not.toContain(OPENID_MEANS)
  })
})
