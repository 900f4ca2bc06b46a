import { eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sha256Hex } from '../../src/crypto/hash.ts'
import { accessTokens, authenticatedSessions, deviceTokens, refreshTokens } from '../../src/db/schema.ts'
import { createTestContext, type TestContext } from '../support/app.ts'
import { TestAgent } from '../support/browser-forms.ts'
import { adminJson, createUserWithPassword, json, PASSWORD, type User } from '../support/fixtures.ts'
import { answered, basicOf, insertToken, INTROSPECT, post, REVOKE, unauthorized, type Kind } from './presented-tokens.ts'
import {
  codeParams, createClient, insertCode, ok, REDIRECT, refreshParams, refused, tokenRequest, type Client,
} from './token/support.ts'

let t: TestContext
let user: User
let caller: Client
let other: Client
let federating: Client
let pub: Client
let federatingPublic: Client

beforeAll(async () => {
  t = await createTestContext()
  user = await createUserWithPassword(t, 'revoke-user')
  caller = await createClient(t, 'revoke-caller')
  other = await createClient(t, 'revoke-other')
  federating = await createClient(t, 'revoke-federating', { jwt_federation_providers: [caller.pk] })
  pub = await createClient(t, 'revoke-public', { client_type: 'public' })
  federatingPublic = await createClient(t, 'revoke-federating-public', { jwt_federation_providers: [pub.pk] })
}, 60_000)
afterAll(() => t.close())

/** A revocation request, by default with the caller's Basic credentials; `null` sends none. */
const revoke = (params: Record<string, string>, basic: string | null = basicOf(caller), headers = {}) =>
  post(t, REVOKE, params, { ...(basic !== null && { basic }), headers })

async function exists(kind: Kind, id: string): Promise<boolean> {
  const table = kind === 'access' ? accessTokens : refreshTokens
  return (await t.db.select({ id: table.id }).from(table).where(eq(table.id, id))).length === 1
}

/** Whether introspection (by the token's own confidential client) still calls the token active. */
async function active(client: Client, value: string): Promise<boolean> {
  return (await answered(await post(t, INTROSPECT, { token: value }, { basic: basicOf(client) }))).active === true
}

/** Tokens the token endpoint issues for a code of `user` (with a refresh token), under `sessionId` if given. */
async function issued(client: Client, sessionId: string | null = null) {
  const { code, grantId } = await insertCode(t, client, user, { scope: 'openid profile offline_access', sessionId })
  return { ...(await ok(await tokenRequest(t, codeParams(client, code)))), grantId }
}

describe('revocation (test_revoke.py)', () => {
  it('deletes an access token: 200 {}, in one statement (test_revoke_access)', async () => {
    const token = await insertToken(t, 'access', caller.pk, user.pk)
    const sibling = await insertToken(t, 'refresh', caller.pk, user.pk, { grantId: token.grantId })
    t.counter.reset()
    expect(await answered(await revoke({ token: token.value }))).toEqual({})
    expect(t.counter.count).toBe(1)
    expect(await exists('access', token.id)).toBe(false)
    // RFC 7009 §2.1 leaves the refresh token to the server; authentik keeps it, and so do we.
    expect(await exists('refresh', sibling.id)).toBe(true)
  })

  it('deletes a refresh token and, safer than authentik, the access tokens of its grant (test_revoke_refresh)',
    async () => {
      const token = await insertToken(t, 'refresh', caller.pk, user.pk)
      const ofGrant = await insertToken(t, 'access', caller.pk, user.pk, { grantId: token.grantId })
      const otherGrant = await insertToken(t, 'access', caller.pk, user.pk)
      t.counter.reset()
      expect(await answered(await revoke({ token: token.value, token_type_hint: 'refresh_token' }))).toEqual({})
      expect(t.counter.count).toBe(1)
      expect(await exists('refresh', token.id)).toBe(false)
      expect(await exists('access', ofGrant.id)).toBe(false)
      expect(await exists('access', otherGrant.id)).toBe(true)
    })

  it('answers an unknown token 200 {} in one statement (test_revoke_invalid, RFC 7009 §2.2)', async () => {
    t.counter.reset()
    expect(await answered(await revoke({ token: 'no-such-token' }))).toEqual({})
    expect(t.counter.count).toBe(1)
  })

  it('refuses Basic aaa, no credentials and an unknown client with 401 invalid_client (test_revoke_invalid_auth)',
    async () => {
      const token = await insertToken(t, 'access', caller.pk, user.pk)
      await unauthorized(await post(t, REVOKE, { token: token.value }, { authorization: 'Basic aaa' }))
      await unauthorized(await revoke({ token: token.value }, null))
      await unauthorized(await revoke({ token: token.value }, 'nobody:secret'))
      await unauthorized(await revoke({ token: token.value, client_id: 'nobody' }, null))
      expect(await exists('access', token.id)).toBe(true)
    })

  it('refuses a confidential client with a wrong or missing secret with 401 (test_revoke_invalid_secret)', async () => {
    const token = await insertToken(t, 'access', caller.pk, user.pk)
    await unauthorized(await revoke({ token: token.value }, `${caller.client_id}:wrong`))
    await unauthorized(await revoke({ token: token.value, client_id: caller.client_id }, null))
    expect(await exists('access', token.id)).toBe(true)
  })

  it('lets a public client revoke its own token with any secret or none (test_revoke_public)', async () => {
    const first = await insertToken(t, 'access', pub.pk, user.pk)
    const second = await insertToken(t, 'refresh', pub.pk, user.pk)
    expect(await answered(await revoke({ token: first.value }, `${pub.client_id}:${crypto.randomUUID()}`))).toEqual({})
    expect(await answered(await revoke({ token: second.value, client_id: pub.client_id }, null))).toEqual({})
    expect(await exists('access', first.id)).toBe(false)
    expect(await exists('refresh', second.id)).toBe(false)
  })

  it('lets a confidential client revoke a token of a provider federating it (test_revoke_provider_fed)', async () => {
    const token = await insertToken(t, 'access', federating.pk, user.pk)
    expect(await answered(await revoke({ token: token.value }))).toEqual({})
    expect(await exists('access', token.id)).toBe(false)
  })

  it('answers a public client 200 but keeps a token of a provider federating it (test_revoke_provider_fed_public)',
    async () => {
      const token = await insertToken(t, 'access', federatingPublic.pk, user.pk)
      expect(await answered(await revoke({ token: token.value }, `${pub.client_id}:`))).toEqual({})
      expect(await exists('access', token.id)).toBe(true)
    })

  it('answers 200 but keeps the token of an unrelated provider, or of the federated one', async () => {
    const foreign = await insertToken(t, 'refresh', other.pk, user.pk)
    const ofCaller = await insertToken(t, 'access', caller.pk, user.pk)
    expect(await answered(await revoke({ token: foreign.value }))).toEqual({})
    expect(await answered(await revoke({ token: ofCaller.value }, basicOf(federating)))).toEqual({})
    expect(await exists('refresh', foreign.id)).toBe(true)
    expect(await exists('access', ofCaller.id)).toBe(true)
  })

  it('asks for the token once the client is authenticated (invalid_request, RFC 7009 §2.1)', async () => {
    const res = await revoke({})
    const body = await json(res)
    expect({ status: res.status, error: body.error }).toEqual({ status: 400, error: 'invalid_request' })
    expect(res.headers.get('Cache-Control')).toBe('no-store')
  })

  it('answers a CORS preflight and lets an origin of the client read the answer', async () => {
    const origin = new URL(REDIRECT).origin
    const preflight = await t.request(REVOKE, { method: 'OPTIONS', headers: { Origin: origin } })
    expect(preflight.status).toBe(204)
    expect(preflight.headers.get('Access-Control-Allow-Methods')).toBe('POST, OPTIONS')
    const res = await revoke({ token: 'unknown' }, basicOf(caller), { Origin: origin })
    expect(await answered(res)).toEqual({})
    expect(res.headers.get('Access-Control-Allow-Origin')).toBe(origin)
    expect(res.headers.get('Access-Control-Allow-Credentials')).toBe('true')
  })
})

describe('revocation of issued tokens', () => {
  it('ends a refreshed grant: the refresh token is refused and its access token is no longer accepted', async () => {
    const tokens = await issued(caller)
    expect(await active(caller, tokens.access_token)).toBe(true)
    expect(await answered(await revoke({ token: tokens.refresh_token! }))).toEqual({})
    await refused(await tokenRequest(t, refreshParams(caller, tokens.refresh_token!)), 400, 'invalid_grant')
    expect(await active(caller, tokens.access_token)).toBe(false)
    const userinfo = await t.request('/application/o/userinfo/', { headers: { Authorization: `Bearer ${tokens.access_token}` } })
    expect(userinfo.status).toBe(401)
  })
})

describe('other revocations (authentik §7.3)', () => {
  async function signedIn(): Promise<{ agent: TestAgent; sessionId: string }> {
    const agent = new TestAgent(t)
    expect((await agent.submit('/login', { username: user.username, password: PASSWORD })).status).toBe(303)
    const [row] = await t.db.select().from(authenticatedSessions)
      .where(eq(authenticatedSessions.sessionKeyHash, await sha256Hex(agent.cookies.get('edge_oidc_session')!)))
    return { agent, sessionId: row!.id }
  }

  it('revokes the session\'s access tokens when the user signs out (test_revoke_logout)', async () => {
    const { agent, sessionId } = await signedIn()
    const tokens = await issued(caller, sessionId)
    expect(await active(caller, tokens.access_token)).toBe(true)
    expect((await agent.submit('/logout', { action: 'logout' })).status).toBe(200)
    expect(await active(caller, tokens.access_token)).toBe(false)
    // The refresh token outlives the session (authentik §7.3).
    expect(await active(caller, tokens.refresh_token!)).toBe(true)
  })

  it('revokes the session\'s access tokens when an admin deletes the session (test_revoke_session_delete)', async () => {
    const { sessionId } = await signedIn()
    const tokens = await issued(caller, sessionId)
    const res = await t.admin('DELETE', `/core/authenticated_sessions/${sessionId}/`)
    expect(res.status).toBe(204)
    expect(await active(caller, tokens.access_token)).toBe(false)
    expect(await active(caller, tokens.refresh_token!)).toBe(true)
  })

  it('revokes every access, refresh and device token of a deactivated user (test_revoke_user_deactivated)', async () => {
    const target = await createUserWithPassword(t, 'revoke-deactivated')
    const { code } = await insertCode(t, caller, target, { scope: 'openid offline_access' })
    const tokens = await ok(await tokenRequest(t, codeParams(caller, code)))
    await t.db.insert(deviceTokens).values({ deviceCodeHash: await sha256Hex(crypto.randomUUID()), userCode: 'RVKDEACT1',
      providerId: caller.pk, userId: target.pk, expires: new Date(t.clock.now().getTime() + 60_000) })
    await adminJson(t, 'PATCH', `/core/users/${target.pk}/`, { is_active: false }, 200)
    expect(await active(caller, tokens.access_token)).toBe(false)
    expect(await active(caller, tokens.refresh_token!)).toBe(false)
    expect(await t.db.select().from(deviceTokens).where(eq(deviceTokens.userId, target.pk))).toEqual([])
  })
})
