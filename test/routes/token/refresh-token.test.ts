import { eq } from 'drizzle-orm'
import { decodeJwt } from 'jose'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { sha256Hex } from '../../../src/crypto/hash.ts'
import { accessTokens, refreshTokens } from '../../../src/db/schema.ts'
import { createTestContext, START, type TestContext } from '../../support/app.ts'
import { createScopeMapping, createUser, defaultMappingPks, type User } from '../../support/fixtures.ts'
import {
  codeParams, createClient, eventsOf, HOUR, insertCode, MINUTE, ok, refreshParams, refused, tokenRequest, type Client,
} from './support.ts'

let t: TestContext
let conf: Client
let other: Client
let threshold: Client
let overriding: Client
let noRefreshGrant: Client
let alice: User

beforeAll(async () => {
  t = await createTestContext()
  conf = await createClient(t, 'conf')
  other = await createClient(t, 'other')
  threshold = await createClient(t, 'threshold', { refresh_token_threshold: 'hours=1', refresh_token_validity: 'hours=2' })
  noRefreshGrant = await createClient(t, 'no-refresh', { grant_types: ['authorization_code'] })
  const mapping = await createScopeMapping(t, {
    name: 'scope override', scope_name: 'custom',
    expression: { scope: { value: 'custom-scope-value additional-scope' } },
  })
  overriding = await createClient(t, 'overriding', { property_mappings: [...await defaultMappingPks(t), mapping.pk] })
  alice = await createUser(t, 'alice')
}, 60_000)
afterAll(() => t.close())
beforeEach(() => t.clock.set(START))

/** A refresh token as a code exchange hands it out, and the family it belongs to. */
async function refreshToken(client: Client, scope = 'openid offline_access', user = alice) {
  const { code, grantId } = await insertCode(t, client, user, { scope })
  const body = await ok(await tokenRequest(t, codeParams(client, code)))
  return { token: body.refresh_token!, grantId }
}

describe('refresh_token (RFC 6749 §6, authentik §4.3)', () => {
  it('rotates: a new refresh token and access token, CORS for an Origin of a redirect URI', async () => {
    const { token } = await refreshToken(conf, 'offline_access')
    const res = await tokenRequest(t, refreshParams(conf, token), { headers: { Origin: 'http://local.invalid' } })
    const body = await ok(res)
    expect(body).toEqual({ access_token: expect.any(String), refresh_token: expect.stringMatching(/^[A-Za-z0-9]{128}$/),
      token_type: 'Bearer', expires_in: 3600, id_token: expect.any(String), scope: 'offline_access' })
    expect(body.refresh_token).not.toBe(token)
    expect(res.headers.get('Access-Control-Allow-Origin')).toBe('http://local.invalid')
    expect(res.headers.get('Access-Control-Allow-Credentials')).toBe('true')
    const [old] = await t.db.select().from(refreshTokens).where(eq(refreshTokens.tokenHash, await sha256Hex(token)))
    expect(old!.revoked).toBe(true)
  })

  it('gives no CORS headers to another origin', async () => {
    const { token } = await refreshToken(conf, 'offline_access')
    const res = await tokenRequest(t, refreshParams(conf, token), { headers: { Origin: 'http://other.invalid' } })
    expect((await ok(res)).refresh_token).toBeTypeOf('string')
    expect(res.headers.get('Access-Control-Allow-Origin')).toBeNull()
  })

  it('runs one statement for a refresh, rotating or not', async () => {
    const { token } = await refreshToken(conf)
    t.counter.reset()
    await ok(await tokenRequest(t, refreshParams(conf, token)))
    expect(t.counter.count).toBe(1)
    const { token: kept } = await refreshToken(threshold)
    t.counter.reset()
    await ok(await tokenRequest(t, refreshParams(threshold, kept)))
    expect(t.counter.count).toBe(1)
  })

  it('refuses a rotated token with 400 and records a suspicious_request event', async () => {
    const { token, grantId } = await refreshToken(conf)
    await ok(await tokenRequest(t, refreshParams(conf, token)))
    await refused(await tokenRequest(t, refreshParams(conf, token)), 400, 'invalid_grant')
    const [event] = await eventsOf(t, 'suspicious_request', conf)
    expect(event).toMatchObject({ user: { pk: alice.pk, username: 'alice' },
      context: { message: 'Revoked refresh token was used', grant_id: grantId } })
  })

  it('revokes the whole family when a rotated token comes back: the newest refresh token fails too', async () => {
    const { token, grantId } = await refreshToken(conf)
    const second = await ok(await tokenRequest(t, refreshParams(conf, token)))
    const third = await ok(await tokenRequest(t, refreshParams(conf, second.refresh_token!)))
    await refused(await tokenRequest(t, refreshParams(conf, token)), 400, 'invalid_grant')
    expect(await t.db.select().from(accessTokens).where(eq(accessTokens.grantId, grantId))).toEqual([])
    const family = await t.db.select().from(refreshTokens).where(eq(refreshTokens.grantId, grantId))
    expect(family.map((r) => r.revoked)).toEqual([true, true, true])
    await refused(await tokenRequest(t, refreshParams(conf, third.refresh_token!)), 400, 'invalid_grant')
  })

  it('keeps the refresh token within refresh_token_threshold and rotates once less is left', async () => {
    const { token } = await refreshToken(threshold)
    const kept = await ok(await tokenRequest(t, refreshParams(threshold, token)))
    expect(kept.refresh_token).toBeUndefined()
    expect(Object.keys(kept)).toEqual(['access_token', 'token_type', 'scope', 'expires_in', 'id_token'])
    t.clock.advance(HOUR + 10 * MINUTE)
    const rotated = await ok(await tokenRequest(t, refreshParams(threshold, token)))
    expect(rotated.refresh_token).toBeTypeOf('string')
    await refused(await tokenRequest(t, refreshParams(threshold, token)), 400, 'invalid_grant')
  })

  it('lets a scope mapping override the access token\'s scope claim', async () => {
    const { token } = await refreshToken(overriding, 'openid custom offline_access')
    const body = await ok(await tokenRequest(t, refreshParams(overriding, token)))
    expect(decodeJwt(body.access_token).scope).toBe('custom-scope-value additional-scope')
    expect(body.scope).toBe('openid custom offline_access')
  })

  it('refuses another client\'s refresh token, which stays usable by its own client', async () => {
    const { token } = await refreshToken(conf)
    await refused(await tokenRequest(t, refreshParams(other, token)), 400, 'invalid_grant')
    await ok(await tokenRequest(t, refreshParams(conf, token)))
  })

  it('refuses a wrong secret, a missing, unknown or expired token', async () => {
    const { token } = await refreshToken(conf)
    await refused(await tokenRequest(t, refreshParams(conf, token, { client_secret: 'wrong' })), 400, 'invalid_client')
    const { refresh_token: _, ...missing } = refreshParams(conf, token)
    await refused(await tokenRequest(t, missing), 400, 'invalid_grant')
    await refused(await tokenRequest(t, refreshParams(conf, 'unknown')), 400, 'invalid_grant')
    t.clock.advance(30 * 24 * HOUR)
    await refused(await tokenRequest(t, refreshParams(conf, token)), 400, 'invalid_grant')
  })

  it('answers unauthorized_client when the provider does not allow refresh_token', async () => {
    const { token } = await refreshToken(noRefreshGrant)
    await refused(await tokenRequest(t, refreshParams(noRefreshGrant, token)), 400, 'unauthorized_client')
  })

  it('refuses the refresh token of a user deactivated since', async () => {
    const bob = await createUser(t, 'bob')
    const { token } = await refreshToken(conf, 'openid offline_access', bob)
    expect((await t.admin('PATCH', `/core/users/${bob.pk}/`, { is_active: false })).status).toBe(200)
    await refused(await tokenRequest(t, refreshParams(conf, token)), 400, 'invalid_grant')
  })
})

describe('refresh scopes (authentik §4.3 steps 2-4)', () => {
  it('keeps the refresh token\'s scopes when a narrower scope is asked for', async () => {
    const { token } = await refreshToken(conf, 'openid email offline_access')
    const body = await ok(await tokenRequest(t, refreshParams(conf, token, { scope: 'openid offline_access' })))
    expect(body.scope).toBe('openid email offline_access')
    expect(decodeJwt(body.access_token)).toMatchObject({ scope: 'openid email offline_access',
      email: 'alice@example.com' })
  })

  it('answers invalid_scope for a scope beyond the refresh token\'s', async () => {
    const { token } = await refreshToken(conf)
    await refused(await tokenRequest(t, refreshParams(conf, token, { scope: 'openid email offline_access' })), 400,
      'invalid_scope')
  })

  it('answers invalid_scope when offline_access is not asked for', async () => {
    const { token } = await refreshToken(conf)
    await refused(await tokenRequest(t, refreshParams(conf, token, { scope: 'openid' })), 400, 'invalid_scope')
  })

  it('ignores scopes the provider does not know', async () => {
    const { token } = await refreshToken(conf)
    await ok(await tokenRequest(t, refreshParams(conf, token, { scope: 'unknown-scope' })))
  })
})
