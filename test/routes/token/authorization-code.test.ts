import { eq } from 'drizzle-orm'
import { compactDecrypt, createLocalJWKSet, decodeJwt, decodeProtectedHeader, importPKCS8, jwtVerify } from 'jose'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { sha256Hex } from '../../../src/crypto/hash.ts'
import { generateKeyPair } from '../../../src/crypto/keypair.ts'
import { accessTokens, authorizationCodes, providers, refreshTokens } from '../../../src/db/schema.ts'
import { DEFAULT_DESCRIPTIONS } from '../../../src/oauth/errors.ts'
import { createTestContext, START, type TestContext } from '../../support/app.ts'
import { createUser, generateKeyPair as generateStoredKeyPair, json, type User } from '../../support/fixtures.ts'
import {
  codeParams, createClient, eventsOf, insertCode, MINUTE, ok, REDIRECT, refreshParams, refused, TOKEN, tokenRequest,
  type Client,
} from './support.ts'

let t: TestContext
let conf: Client
let other: Client
let pub: Client
let twoUris: Client
let scripted: Client
let encrypted: Client
let encryptionKeyPem: string
let alice: User
let inactive: User
const SECOND = 'http://local.invalid/second'

beforeAll(async () => {
  t = await createTestContext()
  conf = await createClient(t, 'conf')
  other = await createClient(t, 'other')
  pub = await createClient(t, 'pub', { client_type: 'public' })
  twoUris = await createClient(t, 'two-uris', { redirect_uris: [{ matching_mode: 'strict', url: REDIRECT },
    { matching_mode: 'strict', url: SECOND }] })
  // Registered before the admin API refused such URIs: written straight to the row.
  scripted = await createClient(t, 'scripted')
  await t.db.update(providers).set({ redirectUris: [{ matching_mode: 'strict', url: 'data:localhost', redirect_uri_type: 'authorization' }] })
    .where(eq(providers.id, scripted.pk))
  const signing = await generateStoredKeyPair(t, 'signing', { alg: 'rsa', key_size: 2048 })
  const material = await generateKeyPair({ commonName: 'enc', validityDays: 30, alg: 'rsa', keySize: 2048 }, t.clock.now())
  encryptionKeyPem = material.privateKeyPem!
  const enc = await json<{ pk: string }>(t.admin('POST', '/crypto/certificatekeypairs/', {
    name: 'enc', certificate_data: material.certificatePem, key_data: encryptionKeyPem }))
  encrypted = await createClient(t, 'encrypted', { signing_key: signing.pk, encryption_key: enc.pk })
  alice = await createUser(t, 'alice')
  inactive = await createUser(t, 'inactive', { is_active: false })
}, 60_000)
afterAll(() => t.close())
beforeEach(() => t.clock.set(START))

describe('authorization_code (RFC 6749 §4.1.3, authentik §4.2)', () => {
  it('answers exactly access_token, token_type, scope, expires_in and id_token, never cached', async () => {
    const { code } = await insertCode(t, conf, alice, { scope: '' })
    const body = await ok(await tokenRequest(t, codeParams(conf, code)))
    expect(body).toEqual({ access_token: expect.any(String), token_type: 'Bearer', expires_in: 3600,
      id_token: expect.any(String), scope: '' })
    expect(Object.keys(body)).toEqual(['access_token', 'token_type', 'scope', 'expires_in', 'id_token'])
  })

  it('stores the access token as the hash of its own jti with its ID token\'s facts, and keeps the code as consumed',
    async () => {
      const { code, grantId } = await insertCode(t, conf, alice)
      const body = await ok(await tokenRequest(t, codeParams(conf, code)))
      expect(body.scope).toBe('openid email profile')
      const [row] = await t.db.select().from(accessTokens).where(eq(accessTokens.grantId, grantId))
      const access = decodeJwt(body.access_token)
      const id = decodeJwt(body.id_token)
      // authentik's access token: the ID token's claims plus azp, uid and scope, but a jti of its own.
      const { azp: _, uid: __, scope: ___, jti: accessJti, ...accessClaims } = access
      const { jti: idJti, ...idClaims } = id
      expect(accessClaims).toEqual(idClaims)
      expect(accessJti).not.toBe(idJti)
      expect(row).toMatchObject({
        tokenHash: await sha256Hex(String(accessJti)), providerId: conf.pk, userId: alice.pk,
        scope: 'openid email profile', expires: new Date(access.exp! * 1000),
        idToken: { iat: id.iat, exp: id.exp, auth_time: id.auth_time, acr: id.acr, nonce: id.nonce },
      })
      // Nothing of either token is stored as such: not the jti, not the token.
      expect(JSON.stringify(row)).not.toContain(String(accessJti))
      const [consumed] = await t.db.select().from(authorizationCodes).where(eq(authorizationCodes.grantId, grantId))
      expect(consumed!.consumed).toEqual(t.clock.now())
    })

  it('adds a refresh token when offline_access was granted, stored only as its hash', async () => {
    const { code, grantId } = await insertCode(t, conf, alice, { scope: 'openid offline_access' })
    const body = await ok(await tokenRequest(t, codeParams(conf, code)))
    expect(body.refresh_token).toMatch(/^[A-Za-z0-9]{128}$/)
    const [row] = await t.db.select().from(refreshTokens).where(eq(refreshTokens.grantId, grantId))
    expect(row!.tokenHash).toBe(await sha256Hex(body.refresh_token!))
    expect(row!.revoked).toBe(false)
  })

  it('runs one statement for a code exchange, the refresh token included', async () => {
    const { code } = await insertCode(t, conf, alice, { scope: 'openid offline_access' })
    t.counter.reset()
    expect((await ok(await tokenRequest(t, codeParams(conf, code)))).refresh_token).toBeDefined()
    expect(t.counter.count).toBe(1)
  })

  it('encrypts the tokens when the provider has an encryption key', async () => {
    const { code } = await insertCode(t, encrypted, alice)
    const body = await ok(await tokenRequest(t, codeParams(encrypted, code)))
    const jwks = createLocalJWKSet(await json(t.request(`/application/o/${encrypted.slug}/jwks/`)))
    const key = await importPKCS8(encryptionKeyPem, 'RSA-OAEP-256')
    for (const token of [body.access_token, body.id_token]) {
      expect(token.split('.')).toHaveLength(5)
      expect(decodeProtectedHeader(token)).toMatchObject({ alg: 'RSA-OAEP-256', enc: 'A256CBC-HS512', typ: 'JWE' })
      const inner = new TextDecoder().decode((await compactDecrypt(token, key)).plaintext)
      const { payload } = await jwtVerify(inner, jwks, { currentDate: t.clock.now(), audience: encrypted.client_id })
      expect(payload.sub).toBeTypeOf('string')
    }
  })

  it('refuses a missing or unknown code with invalid_grant and the standard text', async () => {
    const { code: _, ...missing } = codeParams(conf, 'x')
    await refused(await tokenRequest(t, missing), 400, 'invalid_grant')
    const body = await refused(await tokenRequest(t, codeParams(conf, 'unknown')), 400, 'invalid_grant')
    expect(body.error_description).toBe(DEFAULT_DESCRIPTIONS.invalid_grant)
  })

  it('refuses a code issued to another client', async () => {
    const { code } = await insertCode(t, other, alice)
    await refused(await tokenRequest(t, codeParams(conf, code)), 400, 'invalid_grant')
    await ok(await tokenRequest(t, codeParams(other, code)))
  })

  it('refuses an expired code', async () => {
    const { code } = await insertCode(t, conf, alice)
    t.clock.advance(MINUTE)
    await refused(await tokenRequest(t, codeParams(conf, code)), 400, 'invalid_grant')
  })

  it('refuses a code of an inactive user', async () => {
    const { code } = await insertCode(t, conf, inactive)
    await refused(await tokenRequest(t, codeParams(conf, code)), 400, 'invalid_grant')
  })

  it('answers invalid_client for a redirect_uri that is none of the provider\'s, and records it', async () => {
    const { code } = await insertCode(t, conf, alice)
    await refused(await tokenRequest(t, codeParams(conf, code, { redirect_uri: 'http://evil.invalid/' })), 400,
      'invalid_client')
    const { redirect_uri: _, ...missing } = codeParams(conf, code)
    await refused(await tokenRequest(t, missing), 400, 'invalid_client')
    const events = await eventsOf(t, 'configuration_error', conf)
    expect(events[0]!.context).toMatchObject({ message: 'Invalid redirect uri' })
    // The code was not spent by the refused requests.
    await ok(await tokenRequest(t, codeParams(conf, code)))
  })

  it('refuses a registered redirect_uri other than the one the code was issued to', async () => {
    const { code } = await insertCode(t, twoUris, alice, { redirectUri: SECOND })
    await refused(await tokenRequest(t, codeParams(twoUris, code)), 400, 'invalid_grant')
    await ok(await tokenRequest(t, codeParams(twoUris, code, { redirect_uri: SECOND })))
  })

  it('answers invalid_request for a script redirect URI even when registered', async () => {
    const { code } = await insertCode(t, scripted, alice, { redirectUri: 'data:localhost' })
    await refused(await tokenRequest(t, codeParams(scripted, code, { redirect_uri: 'data:localhost' })), 400,
      'invalid_request')
  })

  it('refuses a public client\'s code issued without PKCE', async () => {
    const { code } = await insertCode(t, pub, alice)
    await refused(await tokenRequest(t, { grant_type: 'authorization_code', code, redirect_uri: REDIRECT,
      client_id: pub.client_id }), 400, 'invalid_grant')
  })

  it('on a second redemption refuses it, deletes the access tokens, revokes the refresh tokens, records it', async () => {
    const { code, grantId } = await insertCode(t, conf, alice, { scope: 'openid offline_access' })
    const first = await ok(await tokenRequest(t, codeParams(conf, code)))
    const body = await refused(await tokenRequest(t, codeParams(conf, code)), 400, 'invalid_grant')
    expect(body.error_description).toBe(DEFAULT_DESCRIPTIONS.invalid_grant)
    expect(await t.db.select().from(accessTokens).where(eq(accessTokens.grantId, grantId))).toEqual([])
    const refresh = await t.db.select().from(refreshTokens).where(eq(refreshTokens.grantId, grantId))
    expect(refresh.map((r) => r.revoked)).toEqual([true])
    const [event] = await eventsOf(t, 'suspicious_request', conf)
    expect(event).toMatchObject({
      user: { pk: alice.pk, username: 'alice' },
      context: { message: 'Authorization code was used again', grant_id: grantId, revoked_access_tokens: 1,
        revoked_refresh_tokens: 1 },
    })
    await refused(await tokenRequest(t, refreshParams(conf, first.refresh_token!)), 400, 'invalid_grant')
  })
})

describe('PKCE (RFC 7636, authentik test_token_pkce.py)', () => {
  const verifier = 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk'

  it('refuses a code with an S256 challenge when no verifier is sent', async () => {
    const { code } = await insertCode(t, conf, alice, { verifier })
    const res = await tokenRequest(t, codeParams(conf, code))
    expect(await json(res.clone())).toEqual({ error: 'invalid_grant', error_description: DEFAULT_DESCRIPTIONS.invalid_grant,
      request_id: res.headers.get('X-Request-Id') })
    await refused(res, 400, 'invalid_grant')
  })

  it('refuses a verifier when the code has no challenge (downgrade)', async () => {
    const { code } = await insertCode(t, conf, alice)
    await refused(await tokenRequest(t, codeParams(conf, code, { code_verifier: verifier })), 400, 'invalid_grant')
  })

  it('accepts the right S256 verifier and refuses a wrong one', async () => {
    const { code } = await insertCode(t, conf, alice, { verifier })
    await refused(await tokenRequest(t, codeParams(conf, code, { code_verifier: `${verifier}x` })), 400, 'invalid_grant')
    await ok(await tokenRequest(t, codeParams(conf, code, { code_verifier: verifier })))
  })

  it('accepts a plain verifier equal to the challenge', async () => {
    const { code } = await insertCode(t, conf, alice, { verifier, method: 'plain' })
    await ok(await tokenRequest(t, codeParams(conf, code, { code_verifier: verifier })))
  })
})

describe('CORS (authentik cors_allow)', () => {
  it('lets an Origin of a redirect URI read the answer, errors included, and no other origin', async () => {
    const { code } = await insertCode(t, conf, alice)
    const allowed = await tokenRequest(t, codeParams(conf, code), { headers: { Origin: 'http://local.invalid' } })
    await ok(allowed)
    expect(allowed.headers.get('Access-Control-Allow-Origin')).toBe('http://local.invalid')
    expect(allowed.headers.get('Access-Control-Allow-Credentials')).toBe('true')
    const refusedAnswer = await tokenRequest(t, codeParams(conf, code), { headers: { Origin: 'http://local.invalid' } })
    await refused(refusedAnswer, 400, 'invalid_grant')
    expect(refusedAnswer.headers.get('Access-Control-Allow-Origin')).toBe('http://local.invalid')
    const { code: second } = await insertCode(t, conf, alice)
    const foreign = await tokenRequest(t, codeParams(conf, second), { headers: { Origin: 'http://other.invalid' } })
    await ok(foreign)
    expect(foreign.headers.get('Access-Control-Allow-Origin')).toBeNull()
    expect(foreign.headers.get('Access-Control-Allow-Credentials')).toBeNull()
  })

  it('answers a preflight without touching the database', async () => {
    t.counter.reset()
    const res = await t.request(TOKEN, { method: 'OPTIONS', headers: { Origin: 'http://spa.invalid',
      'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'authorization' } })
    expect(res.status).toBe(204)
    expect(res.headers.get('Access-Control-Allow-Origin')).toBe('http://spa.invalid')
    expect(res.headers.get('Access-Control-Allow-Methods')).toBe('POST, OPTIONS')
    expect(res.headers.get('Access-Control-Allow-Headers')).toBe('authorization')
    expect(t.counter.count).toBe(0)
  })
})
