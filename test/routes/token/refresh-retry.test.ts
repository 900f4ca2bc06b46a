import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { createTestContext, START, type TestContext } from '../../support/app.ts'
import { createUser, type User } from '../../support/fixtures.ts'
import {
  codeParams, createClient, eventsOf, HOUR, insertCode, MINUTE, ok, refreshParams, refused, tokenRequest, type Client,
} from './support.ts'

const SECOND = 1000
const USERINFO = '/application/o/userinfo/'

let t: TestContext
let off: Client
let win: Client
let neighbour: Client
let slow: Client
let alice: User

beforeAll(async () => {
  t = await createTestContext()
  off = await createClient(t, 'retry-off')
  win = await createClient(t, 'retry-window', { refresh_token_reuse_interval: 'seconds=30' })
  neighbour = await createClient(t, 'retry-neighbour', { refresh_token_reuse_interval: 'seconds=30' })
  slow = await createClient(t, 'retry-threshold', {
    refresh_token_reuse_interval: 'minutes=1', refresh_token_threshold: 'hours=1', refresh_token_validity: 'hours=2',
  })
  alice = await createUser(t, 'alice')
}, 60_000)
afterAll(() => t.close())
beforeEach(() => t.clock.set(START))

/** A code exchange: the first refresh token and access token of a new family, and the code (to replay it). */
async function family(client: Client) {
  const { code, grantId } = await insertCode(t, client, alice, { scope: 'openid offline_access' })
  const body = await ok(await tokenRequest(t, codeParams(client, code)))
  t.clock.advance(SECOND)
  return { token: body.refresh_token!, access: body.access_token, code, grantId }
}

const refresh = (client: Client, token: string) => tokenRequest(t, refreshParams(client, token))

/** A rotation: the successor refresh token and its access token; the clock moves on a second. */
async function rotate(client: Client, token: string) {
  const body = await ok(await refresh(client, token))
  t.clock.advance(SECOND)
  return { token: body.refresh_token!, access: body.access_token }
}

/** Whether userinfo still takes the access token (RFC 6750 §3.1 `invalid_token` once it is revoked). */
async function accessWorks(access: string): Promise<boolean> {
  const res = await t.request(USERINFO, { headers: { Authorization: `Bearer ${access}` } })
  if (res.status === 200) return true
  expect(res.status).toBe(401)
  expect(res.headers.get('WWW-Authenticate')).toContain('error="invalid_token"')
  return false
}

const retriesOf = async (client: Client, grantId: string) =>
  (await eventsOf(t, 'token_refresh', client)).filter((e) => e.context.grant_id === grantId)
const replaysOf = async (client: Client, grantId: string) =>
  (await eventsOf(t, 'suspicious_request', client)).filter((e) => e.context.grant_id === grantId)

describe('refresh retry window (refresh_token_reuse_interval)', () => {
  it('is off by default: a rotated token presented again revokes the family, as RFC 9700 §4.14.2 says', async () => {
    const { token, grantId } = await family(off)
    const second = await rotate(off, token)
    await refused(await refresh(off, token), 400, 'invalid_grant')
    await refused(await refresh(off, second.token), 400, 'invalid_grant')
    expect(await accessWorks(second.access)).toBe(false)
    expect(await replaysOf(off, grantId)).toHaveLength(2) // one per revoked token presented
    expect(await retriesOf(off, grantId)).toEqual([])
  })

  it('gives the rotated token a fresh successor within the interval, revokes the first, and records the retry', async () => {
    const first = await family(win)
    const lost = await rotate(win, first.token)
    t.clock.advance(10 * SECOND)
    const retried = await ok(await refresh(win, first.token))
    expect(retried).toEqual({ access_token: expect.any(String), refresh_token: expect.stringMatching(/^[A-Za-z0-9]{128}$/),
      token_type: 'Bearer', expires_in: 3600, id_token: expect.any(String), scope: 'openid offline_access' })
    expect(retried.refresh_token).not.toBe(lost.token)
    // The lost answer's access token goes with its refresh token; the family's older one and the new one live.
    expect(await accessWorks(lost.access)).toBe(false)
    expect(await accessWorks(retried.access_token)).toBe(true)
    expect(await accessWorks(first.access)).toBe(true)
    const [event] = await retriesOf(win, first.grantId)
    expect(event).toMatchObject({ user: { pk: alice.pk, username: 'alice' }, context: {
      message: 'Rotated refresh token retried within the reuse interval', refresh_token_retry: true,
      grant_id: first.grantId, seconds_since_rotation: 11, provider: { pk: win.pk, name: expect.any(String) },
    } })
    expect(await replaysOf(win, first.grantId)).toEqual([])
    // The family lives on: the new successor rotates as usual.
    const next = await rotate(win, retried.refresh_token!)
    expect(await accessWorks(next.access)).toBe(true)
  })

  it('refuses the superseded successor afterwards, and revokes the family: it reached someone after all', async () => {
    const first = await family(win)
    const lost = await rotate(win, first.token)
    const retried = await ok(await refresh(win, first.token))
    await refused(await refresh(win, lost.token), 400, 'invalid_grant')
    await refused(await refresh(win, retried.refresh_token!), 400, 'invalid_grant')
    expect(await accessWorks(retried.access_token)).toBe(false)
    expect(await replaysOf(win, first.grantId)).toHaveLength(2)
  })

  it('allows the retry again within the interval, each time in place of the previous successor', async () => {
    const first = await family(win)
    await rotate(win, first.token)
    const again = await ok(await refresh(win, first.token))
    t.clock.advance(5 * SECOND)
    const third = await ok(await refresh(win, first.token))
    expect(await accessWorks(again.access_token)).toBe(false)
    expect(await retriesOf(win, first.grantId)).toHaveLength(2)
    await ok(await refresh(win, third.refresh_token!))
  })

  it('revokes the family once the interval has passed since the rotation', async () => {
    const first = await family(win)
    const second = await rotate(win, first.token)
    t.clock.advance(29 * SECOND) // 30 s since the rotation: the interval is over
    await refused(await refresh(win, first.token), 400, 'invalid_grant')
    await refused(await refresh(win, second.token), 400, 'invalid_grant')
    expect(await accessWorks(second.access)).toBe(false)
    expect(await replaysOf(win, first.grantId)).toHaveLength(2)
    expect(await retriesOf(win, first.grantId)).toEqual([])
  })

  it('measures the interval from the rotation, not from the last retry', async () => {
    const first = await family(win)
    await rotate(win, first.token)
    t.clock.advance(20 * SECOND)
    await ok(await refresh(win, first.token))
    t.clock.advance(10 * SECOND)
    await refused(await refresh(win, first.token), 400, 'invalid_grant')
    expect(await replaysOf(win, first.grantId)).toHaveLength(1)
  })

  it('refuses a retry by another client, which gets nothing and changes nothing but its address\'s failure count', async () => {
    const first = await family(win)
    const second = await rotate(win, first.token)
    t.counter.reset()
    await refused(await refresh(neighbour, first.token), 400, 'invalid_grant')
    // Its one statement found no such token of the neighbour, and counted the failure against the address.
    expect(t.counter.count).toBe(1)
    expect(await retriesOf(neighbour, first.grantId)).toEqual([])
    expect(await accessWorks(second.access)).toBe(true)
    await ok(await refresh(win, second.token))
  })

  it('revokes the family when the successor was already used (rotated)', async () => {
    const first = await family(win)
    const second = await rotate(win, first.token)
    const third = await rotate(win, second.token)
    await refused(await refresh(win, first.token), 400, 'invalid_grant')
    await refused(await refresh(win, third.token), 400, 'invalid_grant')
    expect(await accessWorks(third.access)).toBe(false)
    expect(await retriesOf(win, first.grantId)).toEqual([])
  })

  it('revokes the family when the successor was used without rotating (within refresh_token_threshold)', async () => {
    const first = await family(slow)
    t.clock.advance(HOUR + 10 * MINUTE)
    const second = await rotate(slow, first.token)
    const kept = await ok(await refresh(slow, second.token))
    expect(kept.refresh_token).toBeUndefined()
    await refused(await refresh(slow, first.token), 400, 'invalid_grant')
    await refused(await refresh(slow, second.token), 400, 'invalid_grant')
    expect(await retriesOf(slow, first.grantId)).toEqual([])
  })

  it('retries within refresh_token_threshold too, always with a new refresh token', async () => {
    const first = await family(slow)
    t.clock.advance(HOUR + 10 * MINUTE)
    await rotate(slow, first.token)
    const retried = await ok(await refresh(slow, first.token))
    expect(retried.refresh_token).toBeTypeOf('string')
    expect(await retriesOf(slow, first.grantId)).toHaveLength(1)
  })

  it('does not retry a token whose successor was revoked (RFC 7009) or whose family was revoked', async () => {
    const revoked = await family(win)
    const successor = await rotate(win, revoked.token)
    const res = await t.request('/application/o/revoke/', { method: 'POST', body: new URLSearchParams({
      token: successor.token, client_id: win.client_id, client_secret: win.client_secret }) })
    expect(res.status).toBe(200)
    await refused(await refresh(win, revoked.token), 400, 'invalid_grant')
    expect(await retriesOf(win, revoked.grantId)).toEqual([])

    const replayed = await family(win)
    const next = await rotate(win, replayed.token)
    await refused(await tokenRequest(t, codeParams(win, replayed.code)), 400, 'invalid_grant') // code replay
    await refused(await refresh(win, replayed.token), 400, 'invalid_grant')
    await refused(await refresh(win, next.token), 400, 'invalid_grant')
    expect(await retriesOf(win, replayed.grantId)).toEqual([])
  })

  // PGlite runs one statement at a time: "parallel" requests here follow one another whole. Their real races, on
  // PostgreSQL, are in test/worker/refresh-retry.test.ts.
  it('takes two retries at once one after the other, the second in place of the first\'s successor', async () => {
    const first = await family(win)
    await rotate(win, first.token)
    const responses = await Promise.all([refresh(win, first.token), refresh(win, first.token)])
    expect(responses.map((r) => r.status)).toEqual([200, 200])
    const [earlier, later] = await Promise.all(responses.map((r) => ok(r)))
    expect(await retriesOf(win, first.grantId)).toHaveLength(2)
    await refused(await refresh(win, earlier!.refresh_token!), 400, 'invalid_grant')
    // The superseded successor reached someone after all: the family is revoked.
    await refused(await refresh(win, later!.refresh_token!), 400, 'invalid_grant')
  })

  it('takes two rotations at once one after the other: the second is a retry within the window', async () => {
    const first = await family(win)
    const responses = await Promise.all([refresh(win, first.token), refresh(win, first.token)])
    expect(responses.map((r) => r.status)).toEqual([200, 200])
    expect(await replaysOf(win, first.grantId)).toEqual([])
    const [winner, retried] = await Promise.all(responses.map((r) => ok(r)))
    expect(await accessWorks(winner!.access_token)).toBe(false)
    await ok(await refresh(win, retried!.refresh_token!))
  })

  it('runs one statement for a rotation and for a retry, and two for a replay outside the interval', async () => {
    const first = await family(win)
    t.counter.reset()
    await rotate(win, first.token)
    expect(t.counter.count).toBe(1)
    t.counter.reset()
    await ok(await refresh(win, first.token))
    expect(t.counter.count).toBe(1)
    t.clock.advance(30 * SECOND)
    t.counter.reset()
    await refused(await refresh(win, first.token), 400, 'invalid_grant')
    // Its statement (which counted the failure against the address), then the family's revocation.
    expect(t.counter.count).toBe(2)
  })
})
