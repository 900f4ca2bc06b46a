import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify, type JSONWebKeySet } from 'jose'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { createTestContext, START, type TestContext } from '../support/app.ts'
import type { TestAgent } from '../support/browser-forms.ts'
import {
  createProviderApp, createUserWithPassword, defaultMappingPks, generateKeyPair, json, type Provider, type User,
} from '../support/fixtures.ts'
import { AUTHORIZE, location, signIn } from '../routes/authorize/helpers.ts'
import { ok, refused, TOKEN } from '../routes/token/support.ts'

const REDIRECT = 'http://localhost/cb'
const API = 'https://api.example.com/'
const REPORTS = 'urn:example:reports'
const seconds = (ms: number) => Math.floor(ms / 1000)

let t: TestContext
let rfc: Provider
let bare: Provider
let alice: User
let agent: TestAgent
let jwks: ReturnType<typeof createLocalJWKSet>
let iss: string

beforeAll(async () => {
  t = await createTestContext()
  const mappings = await defaultMappingPks(t)
  const key = await generateKeyPair(t, 'at-jwt', { alg: 'rsa', key_size: 2048 })
  const common = { redirect_uris: [{ matching_mode: 'strict', url: REDIRECT }], property_mappings: mappings,
    access_token_format: 'rfc9068', allowed_resources: [API, REPORTS] }
  rfc = await createProviderApp(t, 'rfc9068', { ...common, signing_key: key.pk })
  // Without scope-mapping claims in its tokens (authentik's include_claims_in_id_token).
  bare = await createProviderApp(t, 'rfc9068-bare', { ...common, signing_key: key.pk,
    include_claims_in_id_token: false })
  iss = 'http://localhost/application/o/rfc9068/'
  alice = await createUserWithPassword(t, 'alice')
  agent = await signIn(t, 'alice')
  jwks = createLocalJWKSet(await json<JSONWebKeySet>(t.request('/application/o/rfc9068/jwks/')))
}, 60_000)
afterAll(() => t.close())
beforeEach(() => t.clock.set(START))

/** A code of `c` for `scope` and `resources`, exchanged: the token response. */
async function codeFlow(c: Provider, scope: string, ...resources: string[]) {
  const query = new URLSearchParams({ client_id: c.client_id, redirect_uri: REDIRECT, response_type: 'code', scope })
  for (const r of resources) query.append('resource', r)
  const res = await agent.get(`${AUTHORIZE}?${query}`)
  expect(res.status, res.headers.get('Location') ?? '').toBe(302)
  const code = location(res).searchParams.get('code')!
  return ok(await t.request(TOKEN, { method: 'POST', body: new URLSearchParams({ grant_type: 'authorization_code',
    code, redirect_uri: REDIRECT, client_id: c.client_id, client_secret: c.client_secret }) }))
}

/** RFC 9068 §4: what a resource server checks, here with jose against the provider's JWKS. */
function verify(token: string, audience: string) {
  return jwtVerify(token, jwks, { typ: 'at+jwt', issuer: iss, audience, currentDate: t.clock.now() })
}

describe('access_token_format rfc9068 (RFC 9068 §2)', () => {
  it('signs with typ at+jwt and exactly the profile\'s claims, verified against the JWKS', async () => {
    const body = await codeFlow(rfc, 'openid email profile', API)
    expect(decodeProtectedHeader(body.access_token)).toMatchObject({ typ: 'at+jwt', alg: 'RS256' })
    const { payload } = await verify(body.access_token, API)
    const idToken = decodeJwt(body.id_token)
    const now = seconds(t.clock.now().getTime())
    expect(payload).toEqual({
      iss, exp: now + 3600, aud: API, sub: idToken.sub, client_id: rfc.client_id, iat: now,
      jti: expect.stringMatching(/^[A-Za-z0-9]{40}$/), scope: 'openid email profile',
      auth_time: idToken.auth_time, acr: 'goauthentik.io/providers/oauth2/default', amr: ['pwd'],
      email: alice.email, email_verified: false, name: alice.name, given_name: alice.name,
      preferred_username: 'alice', nickname: 'alice', groups: [],
    })
    expect(payload.jti).not.toBe(idToken.jti)
    // The ID token keeps its own shape.
    expect(decodeProtectedHeader(body.id_token).typ).toBe('JWT')
    expect(idToken.aud).toBe(rfc.client_id)
  })

  it('has only the required and authentication claims without include_claims_in_id_token', async () => {
    const body = await codeFlow(bare, 'openid email', API, REPORTS)
    const payload = decodeJwt(body.access_token)
    expect(Object.keys(payload).sort()).toEqual(['acr', 'amr', 'aud', 'auth_time', 'client_id', 'exp', 'iat', 'iss', 'jti',
      'scope', 'sub'])
    expect(payload.aud).toEqual([API, REPORTS])
    expect(payload.client_id).toBe(bare.client_id)
  })

  it('uses the client id as the default audience when no resource was asked (§3)', async () => {
    const body = await codeFlow(rfc, 'openid')
    const { payload } = await verify(body.access_token, rfc.client_id)
    expect(payload.aud).toBe(rfc.client_id)
    for (const claim of ['azp', 'uid', 'nonce', 'at_hash', 'sid']) expect(payload).not.toHaveProperty(claim)
  })

  it('cannot pass for the ID token: a verifier expecting typ at+jwt refuses the ID token (§5)', async () => {
    const body = await codeFlow(rfc, 'openid', API)
    await expect(jwtVerify(body.id_token, jwks, { typ: 'at+jwt', currentDate: t.clock.now() }))
      .rejects.toThrow(/typ/)
    expect(decodeProtectedHeader(body.access_token).typ).toBe('at+jwt')
  })

  it('is accepted by introspection, and by userinfo when issued to the client, which find it by its hash', async () => {
    const userinfo = (token: string) => t.request('/application/o/userinfo/', { headers: { Authorization: `Bearer ${token}` } })
    const plain = await codeFlow(rfc, 'openid email')
    const info = await userinfo(plain.access_token)
    expect(info.status).toBe(200)
    expect(await info.json()).toMatchObject({ sub: decodeJwt(plain.id_token).sub, email: alice.email })
    // Restricted to an API (RFC 8707), it is that API's token, not userinfo's (RFC 9068 §4).
    const body = await codeFlow(rfc, 'openid email', API)
    expect((await userinfo(body.access_token)).status).toBe(401)
    const answer = await json(t.request('/application/o/introspect/', { method: 'POST', body: new URLSearchParams({
      token: body.access_token, client_id: rfc.client_id, client_secret: rfc.client_secret }) }))
    expect(answer).toMatchObject({ active: true, aud: API, client_id: rfc.client_id, scope: 'openid email',
      sub: decodeJwt(body.id_token).sub })
  })

  it('keeps the shape on refresh, with the narrowed audience', async () => {
    const body = await codeFlow(rfc, 'openid offline_access', API, REPORTS)
    t.clock.advance(1000)
    const refreshed = await ok(await t.request(TOKEN, { method: 'POST', body: new URLSearchParams([
      ['grant_type', 'refresh_token'], ['refresh_token', body.refresh_token!], ['resource', REPORTS],
      ['client_id', rfc.client_id], ['client_secret', rfc.client_secret]]) }))
    const { payload, protectedHeader } = await verify(refreshed.access_token, REPORTS)
    expect(protectedHeader.typ).toBe('at+jwt')
    expect(payload).toMatchObject({ aud: REPORTS, client_id: rfc.client_id, scope: 'openid offline_access',
      auth_time: seconds(new Date(START).getTime()) })
  })

  it('gives client_credentials tokens the service account as sub and the resource as aud', async () => {
    const res = await t.request(TOKEN, { method: 'POST', body: new URLSearchParams([['grant_type', 'client_credentials'],
      ['scope', 'openid'], ['resource', REPORTS], ['client_id', rfc.client_id], ['client_secret', rfc.client_secret]]) })
    const { payload } = await verify((await ok(res)).access_token, REPORTS)
    expect(payload).toMatchObject({ client_id: rfc.client_id, aud: REPORTS, sub: expect.any(String), scope: 'openid' })
    expect(payload).not.toHaveProperty('azp')
    await refused(await t.request(TOKEN, { method: 'POST', body: new URLSearchParams([['grant_type', 'client_credentials'],
      ['resource', 'https://other.example.com/'], ['client_id', rfc.client_id], ['client_secret', rfc.client_secret]]) }),
    400, 'invalid_target')
  })
})
