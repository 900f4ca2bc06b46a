import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { REMOTE_JWKS_TTL_MS } from '../../../src/deps.ts'
import { createTestContext, START, type TestContext } from '../../support/app.ts'
import { unusedPort } from '../../support/http-server.ts'
import { adminJson } from '../../support/fixtures.ts'
import { ALL_GRANTS, expectInvalidGrant, SCOPES, tokensOf } from './credentials-support.ts'
import { createClient, tokenRequest, type Client } from './support.ts'

const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer'

let t: TestContext
let server: Server
let base: string
let privateKey: CryptoKey
let jwk: JWK
/** How often each path of the JWKS server was fetched. */
const hits = new Map<string, number>()

/** A JWKS server: `/good` serves the key set, the others fail in their own way. */
function startJwksServer(): Promise<void> {
  server = createServer((req, res) => {
    const path = req.url ?? '/'
    hits.set(path, (hits.get(path) ?? 0) + 1)
    if (path === '/good') return void res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ keys: [jwk] }))
    if (path === '/slow') return void setTimeout(() => res.writeHead(200).end(JSON.stringify({ keys: [jwk] })), 10_000).unref()
    if (path === '/junk') return void res.writeHead(200, { 'Content-Type': 'text/html' }).end('<html>hello</html>')
    if (path === '/not-a-set') return void res.writeHead(200).end(JSON.stringify({ keys: 'none' }))
    res.writeHead(500).end(JSON.stringify({ keys: [jwk] }))
  })
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => {
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    resolve()
  }))
}

/** A provider trusting one source, whose JWKS is at `url`. */
async function clientTrusting(slug: string, url: string): Promise<Client> {
  const source = await adminJson<{ pk: string }>(t, 'POST', '/sources/oauth/', { name: slug, slug, oidc_jwks_url: url }, 201)
  return createClient(t, slug, { grant_types: ALL_GRANTS, jwt_federation_sources: [source.pk] })
}

async function assert(client: Client, sub = 'robot') {
  const now = Math.floor(t.clock.now().getTime() / 1000)
  const jwt = await new SignJWT({ sub, exp: now + 600, jti: crypto.randomUUID() })
    .setProtectedHeader({ alg: 'ES256', kid: jwk.kid! }).sign(privateKey)
  return tokenRequest(t, { grant_type: 'client_credentials', scope: SCOPES, client_id: client.client_id,
    client_assertion_type: JWT_BEARER, client_assertion: jwt })
}

beforeAll(async () => {
  t = await createTestContext()
  // These tests fetch for real, from a local server.
  t.deps.fetch = (input, init) => fetch(input, init)
  const pair = await generateKeyPair('ES256')
  privateKey = pair.privateKey
  jwk = { ...(await exportJWK(pair.publicKey)), kid: 'remote-1' }
  await startJwksServer()
}, 60_000)
afterAll(async () => {
  server.closeAllConnections()
  await new Promise((resolve) => server.close(resolve))
  await t.close()
})
beforeEach(() => t.clock.set(START))

describe('JWT assertions verified with a source\'s JWKS URL', () => {
  it('fetches the key set, caches it per isolate and fetches it again after its TTL', async () => {
    const client = await clientTrusting('remote-good', `${base}/good`)
    t.counter.reset()
    const res = await assert(client)
    expect(t.counter.count).toBe(2)
    expect((await tokensOf(t, client, res)).access.sub).toEqual(expect.any(String))
    await tokensOf(t, client, await assert(client))
    expect(hits.get('/good')).toBe(1)
    t.clock.advance(REMOTE_JWKS_TTL_MS)
    await tokensOf(t, client, await assert(client))
    expect(hits.get('/good')).toBe(2)
  })

  it('refuses when the URL is unreachable', async () => {
    await expectInvalidGrant(await assert(await clientTrusting('remote-down', `http://127.0.0.1:${await unusedPort()}/jwks`)))
  })

  it('refuses when the URL answers slower than 3 seconds', async () => {
    const client = await clientTrusting('remote-slow', `${base}/slow`)
    const started = Date.now()
    await expectInvalidGrant(await assert(client))
    // The key set comes after 10 s: the answer came at the 3 s timeout instead.
    expect(Date.now() - started).toBeLessThan(8000)
  }, 20_000)

  it.each([['junk', '/junk'], ['no key set', '/not-a-set'], ['an error status', '/error']])(
    'refuses when the URL answers %s, and caches nothing', async (name, path) => {
      const client = await clientTrusting(`remote-${name.replace(/ /g, '-')}`, `${base}${path}`)
      await expectInvalidGrant(await assert(client))
      await expectInvalidGrant(await assert(client))
      expect(hits.get(path)).toBe(2)
    })
})
