import { decodeJwt } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestContext, type TestContext } from '../support/app.ts'
import { createUser, json, type User } from '../support/fixtures.ts'
import {
  ACR, answered, basicOf, factsOf, insertToken, INTROSPECT, post, REVOKE, unauthorized, type Kind,
} from './presented-tokens.ts'
import { codeParams, createClient, insertCode, ok, REDIRECT, tokenRequest, type Client } from './token/support.ts'

let t: TestContext
let user: User
/** The caller; `other` is unrelated; `federating` lists the caller in its jwt_federation_providers. */
let caller: Client
let other: Client
let federating: Client
let pub: Client

beforeAll(async () => {
  t = await createTestContext()
  user = await createUser(t, 'introspect-user')
  // `sub` is then the user's uuid, which the tests can tell.
  caller = await createClient(t, 'introspect-caller', { sub_mode: 'user_uuid' })
  other = await createClient(t, 'introspect-other')
  federating = await createClient(t, 'introspect-federating', { jwt_federation_providers: [caller.pk],
    sub_mode: 'user_uuid' })
  pub = await createClient(t, 'introspect-public', { client_type: 'public' })
}, 60_000)
afterAll(() => t.close())

/** An introspection request, by default with the caller's Basic credentials; `null` sends none. */
const introspect = (params: Record<string, string>, basic: string | null = basicOf(caller)) =>
  post(t, INTROSPECT, params, basic === null ? {} : { basic })

/**
 * authentik's answer for an active token: its ID token claims, rebuilt from its stored facts, its user and the
 * provider it was issued to (the profile scope's mapping claims among them), then active, scope and client_id.
 */
function activeAnswer(client: Client): Record<string, unknown> {
  const now = t.clock.now()
  return { ...factsOf(now, new Date(now.getTime() + 3_600_000)), iss: `http://localhost/application/o/${client.slug}/`,
    sub: user.uuid, aud: client.client_id, acr: ACR, name: user.name, given_name: user.name,
    preferred_username: user.username, nickname: user.username, groups: [], active: true,
    client_id: client.client_id, scope: 'openid user profile' }
}

describe('introspection (test_introspect.py)', () => {
  it.each<Kind>(['refresh', 'access'])('answers a %s token with its ID token claims, active, scope and client_id, in one statement',
    async (kind) => {
      const token = await insertToken(t, kind, caller.pk, user.pk)
      t.counter.reset()
      const body = await answered(await introspect({ token: token.value }))
      expect(t.counter.count).toBe(1)
      expect(body).toEqual(activeAnswer(caller))
    })

  it('answers an unknown token inactive, whatever the hint', async () => {
    for (const hint of ['refresh_token', 'access_token', 'nonsense']) {
      expect(await answered(await introspect({ token: 'no-such-token', token_type_hint: hint }))).toEqual({ active: false })
    }
  })

  it('answers another provider\'s token inactive (test_introspect_invalid_provider)', async () => {
    for (const kind of ['access', 'refresh'] as const) {
      const token = await insertToken(t, kind, other.pk, user.pk)
      expect(await answered(await introspect({ token: token.value }))).toEqual({ active: false })
    }
  })

  it('answers a public client inactive, even for its own token (test_introspect_provider_public)', async () => {
    const token = await insertToken(t, 'access', pub.pk, user.pk)
    expect(await answered(await introspect({ token: token.value }, `${pub.client_id}:`))).toEqual({ active: false })
    expect(await answered(await introspect({ token: token.value, client_id: pub.client_id }, null)))
      .toEqual({ active: false })
  })

  it('answers a token of a provider federating the caller with that provider\'s client_id (test_introspect_provider_fed)',
    async () => {
      const token = await insertToken(t, 'access', federating.pk, user.pk)
      expect(await answered(await introspect({ token: token.value }))).toEqual(activeAnswer(federating))
    })

  it('does not let the federating provider introspect the caller\'s tokens (federation is one way)', async () => {
    const token = await insertToken(t, 'access', caller.pk, user.pk)
    expect(await answered(await introspect({ token: token.value }, basicOf(federating)))).toEqual({ active: false })
  })

  it('answers a revoked token, a rotated-out refresh token or a revoked access token, {active: false} and nothing more (RFC 7662 §2.2; authentik adds its claims)',
    async () => {
      for (const kind of ['refresh', 'access'] as const) {
        const token = await insertToken(t, kind, caller.pk, user.pk, { revoked: true })
        for (const hint of [undefined, 'refresh_token', 'access_token']) {
          expect(await answered(await introspect({ token: token.value, ...(hint && { token_type_hint: hint }) })))
            .toEqual({ active: false })
        }
      }
    })

  it('answers an expired token inactive', async () => {
    const token = await insertToken(t, 'access', caller.pk, user.pk, { expiresInMs: 1000 })
    t.clock.advance(1000)
    expect(await answered(await introspect({ token: token.value }))).toEqual({ active: false })
  })

  it('searches the other kind when the hint names the wrong one (RFC 7662 §2.1)', async () => {
    const access = await insertToken(t, 'access', caller.pk, user.pk)
    const refresh = await insertToken(t, 'refresh', caller.pk, user.pk)
    expect(await answered(await introspect({ token: access.value, token_type_hint: 'refresh_token' })))
      .toMatchObject({ active: true })
    expect(await answered(await introspect({ token: refresh.value, token_type_hint: 'access_token' })))
      .toMatchObject({ active: true })
  })

  it('accepts the credentials in the body (client_secret_post)', async () => {
    const token = await insertToken(t, 'access', caller.pk, user.pk)
    expect(await answered(await introspect({ token: token.value, ...credentials(caller) }, null)))
      .toMatchObject({ active: true, client_id: caller.client_id })
  })

  it('introspects what the token endpoint issued: the ID token\'s claims', async () => {
    const { code } = await insertCode(t, caller, user, { scope: 'openid email profile offline_access' })
    const tokens = await ok(await tokenRequest(t, codeParams(caller, code)))
    // The ID token's claims but its own `jti`: the access token's is kept only as a hash, never answered.
    const { jti: _, ...claims } = decodeJwt(tokens.id_token)
    expect(await answered(await introspect({ token: tokens.access_token }))).toEqual({
      ...claims, active: true, scope: 'openid email profile offline_access', client_id: caller.client_id,
    })
    expect(await answered(await introspect({ token: tokens.refresh_token! }))).toMatchObject({
      sub: claims.sub, iss: claims.iss, aud: claims.aud, active: true, client_id: caller.client_id,
    })
  })
})

const credentials = (c: Client) => ({ client_id: c.client_id, client_secret: c.client_secret })

describe('introspection refuses callers that do not authenticate (safer than authentik, RFC 7662 §2.1)', () => {
  it('answers Basic qwerqrwe with 401 invalid_client (authentik: 200 inactive, test_introspect_invalid_auth)', async () => {
    const token = await insertToken(t, 'access', caller.pk, user.pk)
    await unauthorized(await post(t, INTROSPECT, { token: token.value, token_type_hint: 'refresh_token' },
      { authorization: 'Basic qwerqrwe' }))
  })

  it('answers no credentials, an unknown client and a wrong secret with 401 invalid_client', async () => {
    const token = await insertToken(t, 'access', caller.pk, user.pk)
    t.counter.reset()
    await unauthorized(await introspect({ token: token.value }, null))
    expect(t.counter.count).toBe(0)
    await unauthorized(await introspect({ token: token.value }, 'nobody:secret'))
    await unauthorized(await introspect({ token: token.value }, `${caller.client_id}:wrong`))
    await unauthorized(await introspect({ token: token.value, client_id: caller.client_id, client_secret: 'wrong' },
      null))
    await unauthorized(await introspect({ token: token.value, client_id: caller.client_id }, null))
  })

  it('asks for the token once the caller is authenticated (invalid_request, RFC 7662 §2.1)', async () => {
    const res = await introspect({})
    const body = await json(res)
    expect({ status: res.status, error: body.error }).toEqual({ status: 400, error: 'invalid_request' })
    expect(res.headers.get('Cache-Control')).toBe('no-store')
    await unauthorized(await introspect({}, null))
  })

  it('lets a browser origin of the caller read the answer, like the token endpoint', async () => {
    const token = await insertToken(t, 'access', caller.pk, user.pk)
    const origin = new URL(REDIRECT).origin
    const res = await post(t, INTROSPECT, { token: token.value }, { basic: basicOf(caller), headers: { Origin: origin } })
    expect(res.headers.get('Access-Control-Allow-Origin')).toBe(origin)
    const foreign = await post(t, INTROSPECT, { token: token.value },
      { basic: basicOf(caller), headers: { Origin: 'https://evil.example' } })
    expect(foreign.headers.get('Access-Control-Allow-Origin')).toBeNull()
  })
})

describe('hostile input to introspection and revocation: a spec-shaped 4xx, never a 500', () => {
  const cases: Array<[string, () => RequestInit]> = [
    ['no body', () => ({ method: 'POST' })],
    ['a JSON body', () => ({ method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"token":"x"}' })],
    ['the token twice', () => ({ method: 'POST', body: 'token=a&token=b', headers: {
      'Content-Type': 'application/x-www-form-urlencoded', Authorization: `Basic ${btoa(basicOf(caller))}` } })],
    ['NUL in client_id', () => ({ method: 'POST', body: new URLSearchParams({ token: 'x', client_id: '\u0000' }) })],
    ['NUL in the token and hint', () => ({ method: 'POST', body: new URLSearchParams({ token: 'a\u0000b',
      token_type_hint: '\u0000', client_id: caller.client_id, client_secret: caller.client_secret }) })],
    ['Basic with bad percent-encoding', () => ({ method: 'POST', body: new URLSearchParams({ token: 'x' }),
      headers: { Authorization: `Basic ${btoa('%zz:%E0%A4%A')}` } })],
    ['a huge token', () => ({ method: 'POST', body: new URLSearchParams({ token: 'x'.repeat(100_000),
      client_id: caller.client_id, client_secret: caller.client_secret }) })],
  ]
  it.each(cases.flatMap(([name, init]) => [INTROSPECT, REVOKE].map((path) => [path, name, init] as const)))(
    '%s: %s', async (path, _name, init) => {
      const res = await t.request(path, init())
      expect(res.status).toBeGreaterThanOrEqual(200)
      expect(res.status).toBeLessThan(500)
      expect(res.headers.get('Cache-Control')).toBe('no-store')
      if (res.status >= 400) expect(['invalid_request', 'invalid_client']).toContain((await json(res)).error)
    })
})
