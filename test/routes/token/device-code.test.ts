import { eq } from 'drizzle-orm'
import { decodeJwt } from 'jose'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { sha256Hex } from '../../../src/crypto/hash.ts'
import { purgeExpired } from '../../../src/db/purge.ts'
import { accessTokens, deviceTokens, refreshTokens } from '../../../src/db/schema.ts'
import { DEFAULT_DESCRIPTIONS } from '../../../src/oauth/errors.ts'
import { createTestContext, START, type TestContext } from '../../support/app.ts'
import { createUser, type User } from '../../support/fixtures.ts'
import { insertDevice, pollParams } from '../device/support.ts'
import {
  AUTH_TIME, createClient, createSession, MINUTE, ok, refused, tokenRequest, type Client,
} from './support.ts'
import { presentedTokenHash } from '../../../src/oauth/presented-jti.ts'

let t: TestContext
let conf: Client
let other: Client
let pub: Client
let noGrant: Client
let alice: User
let inactive: User
const SECOND = 1000

beforeAll(async () => {
  t = await createTestContext()
  conf = await createClient(t, 'conf')
  other = await createClient(t, 'other')
  pub = await createClient(t, 'pub', { client_type: 'public' })
  noGrant = await createClient(t, 'no-device', { grant_types: ['authorization_code'] })
  alice = await createUser(t, 'alice')
  inactive = await createUser(t, 'inactive', { is_active: false })
}, 60_000)
afterAll(() => t.close())
beforeEach(() => t.clock.set(START))

const poll = (client: Client, deviceCode: string, extra: Record<string, string> = {}) =>
  tokenRequest(t, pollParams(client, deviceCode, extra))
const rowOf = async (id: string) => (await t.db.select().from(deviceTokens).where(eq(deviceTokens.id, id)))[0]

describe('device_code grant (RFC 8628 §3.4-3.5, test_token_device.py)', () => {
  it('refuses a poll without a device code with invalid_grant', async () => {
    const body = await refused(await tokenRequest(t, { grant_type: 'urn:ietf:params:oauth:grant-type:device_code',
      client_id: conf.client_id, client_secret: conf.client_secret }), 400, 'invalid_grant')
    expect(body.error_description).toBe(DEFAULT_DESCRIPTIONS.invalid_grant)
    await refused(await poll(conf, 'unknown'), 400, 'invalid_grant')
  })

  it('answers authorization_pending while the user has not answered, in one statement', async () => {
    const { deviceCode, id } = await insertDevice(t, conf)
    t.counter.reset()
    const body = await refused(await poll(conf, deviceCode), 400, 'authorization_pending')
    expect(t.counter.count).toBe(1)
    expect(body.error_description).toBe('The authorization request is still pending')
    expect(await rowOf(id)).toMatchObject({ lastPolled: t.clock.now(), interval: 5, status: 'pending' })
  })

  it('issues tokens once approved, bound to the approving session, and consumes the device code', async () => {
    const session = await createSession(t, alice, ['pwd', 'mfa'])
    const { deviceCode, id, grantId } = await insertDevice(t, conf, { status: 'approved', userPk: alice.pk,
      sessionId: session.id })
    t.counter.reset()
    const body = await ok(await poll(conf, deviceCode))
    expect(t.counter.count).toBe(1)
    expect(body).toEqual({ access_token: expect.any(String), token_type: 'Bearer', scope: 'openid email profile',
      expires_in: 3600, id_token: expect.any(String) })
    const claims = decodeJwt(body.id_token)
    expect(claims).toMatchObject({ aud: conf.client_id, auth_time: AUTH_TIME.getTime() / 1000, amr: ['pwd', 'mfa'],
      sid: session.sid, email: 'alice@example.com' })
    expect(claims.nonce).toBeUndefined()
    const [access] = await t.db.select().from(accessTokens).where(eq(accessTokens.tokenHash, await presentedTokenHash(body.access_token)))
    expect(access).toMatchObject({ grantId, userId: alice.pk, sessionId: session.id, authTime: AUTH_TIME,
      scope: 'openid email profile' })
    expect(await rowOf(id)).toBeUndefined()
    await refused(await poll(conf, deviceCode), 400, 'invalid_grant')
  })

  it('issues the device token\'s scopes, ignoring a scope sent with the poll', async () => {
    const { deviceCode } = await insertDevice(t, conf, { status: 'approved', userPk: alice.pk, scope: 'openid email' })
    const body = await ok(await poll(conf, deviceCode, { scope: 'openid email invalid profile' }))
    expect(body.scope).toBe('openid email')
    const [access] = await t.db.select().from(accessTokens).where(eq(accessTokens.tokenHash, await presentedTokenHash(body.access_token)))
    expect(access!.scope).toBe('openid email')
  })

  it('adds a refresh token of the same family when offline_access was granted', async () => {
    const { deviceCode, grantId } = await insertDevice(t, conf, { status: 'approved', userPk: alice.pk,
      scope: 'openid offline_access' })
    const body = await ok(await poll(conf, deviceCode))
    expect(body.refresh_token).toMatch(/^[A-Za-z0-9]{128}$/)
    const [row] = await t.db.select().from(refreshTokens).where(eq(refreshTokens.tokenHash, await sha256Hex(body.refresh_token!)))
    expect(row).toMatchObject({ grantId, authTime: AUTH_TIME, scope: 'openid offline_access', revoked: false })
  })

  it('answers slow_down to a poll sooner than the interval, which grows by 5 seconds each time', async () => {
    const { deviceCode, id } = await insertDevice(t, conf, { expiresInMs: 10 * MINUTE })
    await refused(await poll(conf, deviceCode), 400, 'authorization_pending')
    t.clock.advance(2 * SECOND)
    t.counter.reset()
    const body = await refused(await poll(conf, deviceCode), 400, 'slow_down')
    expect(t.counter.count).toBe(1)
    expect(body.error_description).toBe('The client is polling too quickly')
    expect((await rowOf(id))!.interval).toBe(10)
    t.clock.advance(6 * SECOND)
    await refused(await poll(conf, deviceCode), 400, 'slow_down')
    expect((await rowOf(id))!.interval).toBe(15)
    t.clock.advance(15 * SECOND)
    await refused(await poll(conf, deviceCode), 400, 'authorization_pending')
    expect((await rowOf(id))!.interval).toBe(15)
  })

  it('tells two polls at once apart: one authorization_pending, the other slow_down', async () => {
    const { deviceCode, id } = await insertDevice(t, conf, { expiresInMs: 10 * MINUTE })
    await refused(await poll(conf, deviceCode), 400, 'authorization_pending')
    t.clock.advance(10 * SECOND)
    // Both read the token before either writes (PGlite runs their statements in turn): the write decides.
    const answers = await Promise.all([poll(conf, deviceCode), poll(conf, deviceCode)])
    const errors = await Promise.all(answers.map(async (res) => {
      expect(res.status).toBe(400)
      return ((await res.json()) as { error: string }).error
    }))
    expect(errors.sort()).toEqual(['authorization_pending', 'slow_down'])
    expect((await rowOf(id))!.interval).toBe(10)
  })

  it('answers access_denied after the user refused', async () => {
    const { deviceCode } = await insertDevice(t, conf, { status: 'denied', userPk: alice.pk })
    const body = await refused(await poll(conf, deviceCode), 400, 'access_denied')
    expect(body.error_description).toBe(DEFAULT_DESCRIPTIONS.access_denied)
    await refused(await poll(conf, deviceCode), 400, 'access_denied')
  })

  it('answers expired_token after the lifetime, until the purge removes the code (safer than invalid_grant)', async () => {
    const pending = await insertDevice(t, conf)
    const approved = await insertDevice(t, conf, { status: 'approved', userPk: alice.pk })
    t.clock.advance(MINUTE)
    for (const { deviceCode } of [pending, approved]) {
      const body = await refused(await poll(conf, deviceCode), 400, 'expired_token')
      expect(body.error_description).toBe('The device code has expired')
    }
    await purgeExpired(t.db, t.clock.now())
    await refused(await poll(conf, pending.deviceCode), 400, 'invalid_grant')
  })

  it('makes a confidential client authenticate to poll (post-baseline test_code_no_auth)', async () => {
    const { deviceCode, id } = await insertDevice(t, conf, { status: 'approved', userPk: alice.pk })
    const { client_secret: _, ...withoutSecret } = pollParams(conf, deviceCode)
    await refused(await tokenRequest(t, withoutSecret), 400, 'invalid_client')
    await refused(await poll(conf, deviceCode, { client_secret: 'wrong' }), 400, 'invalid_client')
    expect(await rowOf(id)).toBeDefined()
  })

  it('lets a public client poll with its client_id alone', async () => {
    const { deviceCode } = await insertDevice(t, pub, { status: 'approved', userPk: alice.pk })
    await ok(await tokenRequest(t, { grant_type: 'urn:ietf:params:oauth:grant-type:device_code',
      device_code: deviceCode, client_id: pub.client_id }))
  })

  it('refuses a device code issued to another client', async () => {
    const { deviceCode } = await insertDevice(t, other, { status: 'approved', userPk: alice.pk })
    await refused(await poll(conf, deviceCode), 400, 'invalid_grant')
    await ok(await poll(other, deviceCode))
  })

  it('refuses a provider that does not allow device_code with unauthorized_client', async () => {
    const { deviceCode } = await insertDevice(t, noGrant, { status: 'approved', userPk: alice.pk })
    await refused(await poll(noGrant, deviceCode), 400, 'unauthorized_client')
  })

  it('refuses an approval by a user deactivated since', async () => {
    const { deviceCode } = await insertDevice(t, conf, { status: 'approved', userPk: inactive.pk })
    await refused(await poll(conf, deviceCode), 400, 'invalid_grant')
  })

  it('issues tokens to one of two concurrent polls only', async () => {
    const { deviceCode } = await insertDevice(t, conf, { status: 'approved', userPk: alice.pk })
    const answers = await Promise.all([poll(conf, deviceCode), poll(conf, deviceCode)])
    expect(answers.map((r) => r.status).sort()).toEqual([200, 400])
  })
})
