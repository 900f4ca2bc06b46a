import { eq } from 'drizzle-orm'
import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify, type JWTPayload } from 'jose'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { sha256Hex } from '../../src/crypto/hash.ts'
import { deriveSecrets } from '../../src/crypto/secret-box.ts'
import { refreshTokens } from '../../src/db/schema.ts'
import { createTestContext, SECRET_KEY, START, type TestContext } from '../support/app.ts'
import { createScopeMapping, createUser, defaultMappingPks, generateKeyPair, json, type User } from '../support/fixtures.ts'
import {
  AUTH_TIME, codeParams, createClient, createSession, insertCode, ok, refreshParams, tokenRequest, type Client,
  type TokenBody,
} from '../routes/token/support.ts'

let t: TestContext
let rs: Client
let hs: Client
let es: Client
let global: Client
let bare: Client
let overriding: Client
let alice: User
let installId: string
const seconds = (date: Date | string) => Math.floor(new Date(date).getTime() / 1000)
const NOW = seconds(START)

beforeAll(async () => {
  t = await createTestContext()
  const rsa = await generateKeyPair(t, 'rsa', { alg: 'rsa', key_size: 2048 })
  rs = await createClient(t, 'rs', { signing_key: rsa.pk })
  hs = await createClient(t, 'hs')
  const p256 = await generateKeyPair(t, 'p256', { alg: 'ecdsa', key_size: 256 })
  es = await createClient(t, 'es', { signing_key: p256.pk })
  global = await createClient(t, 'global', { signing_key: rsa.pk, issuer_mode: 'global' })
  bare = await createClient(t, 'bare', { include_claims_in_id_token: false })
  const mapping = await createScopeMapping(t, {
    name: 'sub override', scope_name: 'test', expression: { sub: { value: 'foo' }, jti: { value: 'fixed' } } })
  overriding = await createClient(t, 'overriding', { property_mappings: [...await defaultMappingPks(t), mapping.pk] })
  alice = await createUser(t, 'alice', { attributes: { upn: 'alice@corp.example' } })
  installId = (await deriveSecrets(SECRET_KEY)).installId
}, 60_000)
afterAll(() => t.close())
beforeEach(() => t.clock.set(START))

/** A code exchange with a browser session (amr pwd), as the authorization endpoint leaves it. */
async function exchange(client: Client, scope = 'openid email profile', user = alice) {
  const session = await createSession(t, user)
  const { code } = await insertCode(t, client, user, { scope, sessionId: session.id })
  return { body: await ok(await tokenRequest(t, codeParams(client, code))), sid: session.sid }
}

async function verifyWithJwks(client: Client, token: string): Promise<JWTPayload> {
  const jwks = createLocalJWKSet(await json(t.request(`/application/o/${client.slug}/jwks/`)))
  return (await jwtVerify(token, jwks, { currentDate: t.clock.now(), audience: client.client_id })).payload
}

describe('ID token (authentik §3.4, OIDC Core §2)', () => {
  it('carries authentik\'s claims in order, then the scope claims; no at_hash in the code exchange', async () => {
    const { body, sid } = await exchange(rs)
    expect(decodeProtectedHeader(body.id_token)).toMatchObject({ alg: 'RS256', typ: 'JWT', kid: expect.any(String) })
    const payload = await verifyWithJwks(rs, body.id_token)
    expect(payload).toEqual({
      iss: 'http://localhost/application/o/rs/', sub: await sha256Hex(`${alice.pk}-${installId}`), aud: rs.client_id,
      exp: NOW + 3600, iat: NOW, auth_time: seconds(AUTH_TIME), acr: 'goauthentik.io/providers/oauth2/default',
      amr: ['pwd'], nonce: 'n-0S6_WzA2Mj', sid, jti: expect.stringMatching(/^[A-Za-z0-9]{40}$/),
      email: 'alice@example.com', email_verified: false, name: 'alice Example', given_name: 'alice Example',
      preferred_username: 'alice', nickname: 'alice', groups: [],
    })
    expect(Object.keys(payload).slice(0, 11)).toEqual(['iss', 'sub', 'aud', 'exp', 'iat', 'auth_time', 'acr', 'amr',
      'nonce', 'sid', 'jti'])
    expect(payload).not.toHaveProperty('at_hash')
  })

  it('makes the access token the ID token plus azp, uid and scope, with a jti of its own', async () => {
    const { body } = await exchange(rs)
    const id = await verifyWithJwks(rs, body.id_token)
    const access = await verifyWithJwks(rs, body.access_token)
    expect(access).toEqual({ ...id, azp: rs.client_id, uid: expect.stringMatching(/^[A-Za-z0-9]{40}$/),
      scope: 'openid email profile', jti: expect.stringMatching(/^[A-Za-z0-9]{40}$/) })
    expect(access.jti).not.toBe(id.jti)
  })

  it('signs with the client secret (HS256) without a signing key', async () => {
    const { body } = await exchange(hs)
    expect(decodeProtectedHeader(body.id_token)).toEqual({ alg: 'HS256', typ: 'JWT' })
    const { payload } = await jwtVerify(body.id_token, new TextEncoder().encode(hs.client_secret),
      { currentDate: t.clock.now(), audience: hs.client_id, issuer: 'http://localhost/application/o/hs/' })
    expect(payload.nonce).toBe('n-0S6_WzA2Mj')
  })

  it('signs with ES256 for a P-256 key', async () => {
    const { body } = await exchange(es)
    expect(decodeProtectedHeader(body.id_token).alg).toBe('ES256')
    expect((await verifyWithJwks(es, body.id_token)).iss).toBe('http://localhost/application/o/es/')
  })

  it('uses the root as issuer in global mode', async () => {
    const { body } = await exchange(global)
    expect((await verifyWithJwks(global, body.id_token)).iss).toBe('http://localhost/')
  })

  it('leaves out the scope claims when include_claims_in_id_token is off, in both tokens', async () => {
    const { body } = await exchange(bare)
    const key = new TextEncoder().encode(bare.client_secret)
    for (const token of [body.id_token, body.access_token]) {
      const { payload } = await jwtVerify(token, key, { currentDate: t.clock.now() })
      expect(payload).not.toHaveProperty('email')
      expect(payload).not.toHaveProperty('name')
    }
  })

  it('leaves out sid and amr when the code has no session, and nonce when it has none', async () => {
    const { code } = await insertCode(t, hs, alice, { nonce: null })
    const body = await ok(await tokenRequest(t, codeParams(hs, code)))
    const { payload } = await jwtVerify(body.id_token, new TextEncoder().encode(hs.client_secret),
      { currentDate: t.clock.now() })
    for (const claim of ['sid', 'amr', 'nonce', 'at_hash', 'c_hash']) expect(payload).not.toHaveProperty(claim)
  })

  it('lets a scope mapping override a standard claim (sub)', async () => {
    const { body } = await exchange(overriding, 'openid test')
    const { payload } = await jwtVerify(body.id_token, new TextEncoder().encode(overriding.client_secret),
      { currentDate: t.clock.now() })
    expect(payload.sub).toBe('foo')
  })

  it('keeps its own jti even when a mapping sets one: it identifies the stored access token', async () => {
    const first = await exchange(overriding, 'openid test')
    const second = await exchange(overriding, 'openid test')
    const jtis = await Promise.all([first, second].map(async ({ body }) => (await jwtVerify(body.access_token,
      new TextEncoder().encode(overriding.client_secret), { currentDate: t.clock.now() })).payload.jti))
    expect(jtis[0]).toMatch(/^[A-Za-z0-9]{40}$/)
    expect(jtis[1]).not.toBe(jtis[0])
  })
})

describe('sub by sub_mode (authentik §3.4)', () => {
  async function subFor(mode: string, user: User): Promise<unknown> {
    expect((await t.admin('PATCH', `/providers/oauth2/${hs.pk}/`, { sub_mode: mode })).status).toBe(200)
    const { body } = await exchange(hs, 'openid', user)
    const { payload } = await jwtVerify(body.id_token, new TextEncoder().encode(hs.client_secret),
      { currentDate: t.clock.now() })
    return payload.sub
  }

  it('computes each of the six modes', async () => {
    const bob = await createUser(t, 'bob')
    const hashed = await sha256Hex(`${alice.pk}-${installId}`)
    expect(await subFor('hashed_user_id', alice)).toBe(hashed)
    expect(await subFor('user_id', alice)).toBe(String(alice.pk))
    expect(await subFor('user_uuid', alice)).toBe(alice.uuid)
    expect(await subFor('user_email', alice)).toBe('alice@example.com')
    expect(await subFor('user_username', alice)).toBe('alice')
    expect(await subFor('user_upn', alice)).toBe('alice@corp.example')
    expect(await subFor('user_upn', bob)).toBe(await sha256Hex(`${bob.pk}-${installId}`))
  })
})

describe('refreshed tokens (authentik §4.3 step 4-5)', () => {
  it('issue an ID token without nonce, with the original auth_time, amr and sid', async () => {
    const { body, sid } = await exchange(rs, 'openid offline_access')
    t.clock.advance(60_000)
    const refreshed: TokenBody = await ok(await tokenRequest(t, refreshParams(rs, body.refresh_token!)))
    const payload = await verifyWithJwks(rs, refreshed.id_token)
    expect(payload).toMatchObject({ auth_time: seconds(AUTH_TIME), amr: ['pwd'], sid, iat: NOW + 60, exp: NOW + 3660 })
    expect(payload).not.toHaveProperty('nonce')
  })

  it('store a refresh token with its grant\'s facts: the code\'s nonce, kept through rotation, and its own exp', async () => {
    const { body } = await exchange(rs, 'openid offline_access')
    const [stored] = await t.db.select().from(refreshTokens)
      .where(eq(refreshTokens.tokenHash, await sha256Hex(body.refresh_token!)))
    expect(stored!.idToken).toEqual({ iat: NOW, exp: NOW + 30 * 86_400, auth_time: expect.any(Number),
      acr: 'goauthentik.io/providers/oauth2/default', amr: ['pwd'], nonce: 'n-0S6_WzA2Mj', sid: expect.any(String) })
    const refreshed = await ok(await tokenRequest(t, refreshParams(rs, body.refresh_token!)))
    expect(decodeJwt(refreshed.id_token).nonce).toBeUndefined()
    const [next] = await t.db.select().from(refreshTokens)
      .where(eq(refreshTokens.tokenHash, await sha256Hex(refreshed.refresh_token!)))
    expect(next!.idToken).toMatchObject({ nonce: 'n-0S6_WzA2Mj' })
  })
})
