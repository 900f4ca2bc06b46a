import { and, eq, inArray } from 'drizzle-orm'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { authorizationCodes, events, loginAttempts } from '../../../src/db/schema.ts'
import { CLIENT_LIMITS } from '../../../src/oauth/limits.ts'
import { createTestContext, START, type TestContext } from '../../support/app.ts'
import { createUser, json, type User } from '../../support/fixtures.ts'
import {
  codeParams, createClient, HOUR, insertCode, MINUTE, ok, REDIRECT, refreshParams, refused, tokenRequest, type Client,
} from './support.ts'

let t: TestContext
let target: Client
let first: Client
let second: Client
let third: Client
let counted: Client
let noCodeGrant: Client
let alice: User

beforeAll(async () => {
  t = await createTestContext()
  target = await createClient(t, 'target')
  first = await createClient(t, 'first')
  second = await createClient(t, 'second')
  third = await createClient(t, 'third')
  counted = await createClient(t, 'counted')
  noCodeGrant = await createClient(t, 'no-code', { grant_types: ['refresh_token'] })
  alice = await createUser(t, 'alice')
}, 60_000)
afterAll(() => t.close())
beforeEach(() => t.clock.set(START))

const MAX_ADDRESS_FAILURES = CLIENT_LIMITS.perAddress
const from = (ip: string, headers: Record<string, string> = {}) => ({ headers: { 'X-Forwarded-For': ip, ...headers } })

/** The 429 of a limited client or address: exact body, Retry-After, never cached, no Basic challenge. */
async function limited(res: Response, retryAfter: number): Promise<void> {
  await refused(res, 429, 'invalid_request')
  expect(await json(res)).toEqual({ error: 'invalid_request',
    error_description: 'Too many failed requests; try again later.', request_id: res.headers.get('X-Request-Id') })
  expect(res.headers.get('Retry-After')).toBe(String(retryAfter))
  expect(res.headers.get('WWW-Authenticate')).toBeNull()
}

/** The counts of `keys` (only failures write them: a key without a row has none). */
async function counts(keys: string[]): Promise<Record<string, number>> {
  const rows = await t.db.select().from(loginAttempts).where(inArray(loginAttempts.key, keys))
  return Object.fromEntries(rows.map((r) => [r.key, r.count]))
}

describe('token endpoint brute-force limits (security.md)', () => {
  it('never refuses a clean address after wrong secrets from others; refuses the addresses that sent them', async () => {
    t.clock.advance(5 * MINUTE)
    const { code: offline } = await insertCode(t, target, alice, { scope: 'openid offline_access' })
    let { refresh_token: refreshToken } = await ok(await tokenRequest(t, codeParams(target, offline)))
    const { code, grantId } = await insertCode(t, target, alice, { expiresInMs: HOUR })
    // Bad codes are an honest client's everyday errors too: they count against addresses, not the client.
    for (let i = 0; i < 30; i++) {
      await refused(await tokenRequest(t, codeParams(target, `guess-${i}`), from(`198.51.101.${i}`)), 400, 'invalid_grant')
    }
    await ok(await tokenRequest(t, refreshParams(target, refreshToken!), from('198.51.102.1')))
      .then((body) => { refreshToken = body.refresh_token })
    // 100 wrong secrets, 10 from each of 10 addresses: the client's limit, and each pair's.
    for (let i = 0; i < CLIENT_LIMITS.perAccount; i++) {
      const wrong = codeParams(target, code, { client_secret: 'wrong' })
      await refused(await tokenRequest(t, wrong, from(`198.51.100.${i % 10}`)), 400, 'invalid_client')
    }
    const flagged = await t.db.select().from(events)
      .where(and(eq(events.action, 'suspicious_request'), eq(events.clientId, target.client_id)))
    expect(flagged).toEqual([expect.objectContaining({ clientIp: '198.51.100.9', created: t.clock.now(),
      context: { reason: 'wrong client secrets from many addresses', addresses: 10 } })])

    // The real client, at an address that sent no wrong secret, is served.
    await ok(await tokenRequest(t, refreshParams(target, refreshToken!), from('203.0.113.1')))
      .then((body) => { refreshToken = body.refresh_token })
    t.counter.reset()
    const origin = { Origin: 'http://local.invalid' }
    const right = await tokenRequest(t, codeParams(target, code), from('198.51.100.3', origin))
    await limited(right, 600)
    expect(t.counter.count).toBe(1)
    expect(right.headers.get('Access-Control-Allow-Origin')).toBe('http://local.invalid')
    const { client_id: id, client_secret: secret, ...params } = codeParams(target, code)
    await limited(await tokenRequest(t, params, { basic: `${id}:${secret}`, ...from('198.51.100.4') }), 600)
    const [row] = await t.db.select().from(authorizationCodes).where(eq(authorizationCodes.grantId, grantId))
    expect(row!.consumed).toBeNull()

    t.clock.advance(10 * MINUTE)
    await ok(await tokenRequest(t, codeParams(target, code), from('198.51.100.3')))
    await ok(await tokenRequest(t, refreshParams(target, refreshToken!), from('198.51.100.4')))
  })

  it('refuses an address after 10 wrong secrets for one client, for that client only', async () => {
    t.clock.advance(15 * MINUTE)
    const ip = from('192.0.2.11')
    const { code } = await insertCode(t, first, alice, { expiresInMs: HOUR })
    for (let i = 0; i < CLIENT_LIMITS.perAccountAddress; i++) {
      await refused(await tokenRequest(t, codeParams(first, code, { client_secret: 'wrong' }), ip), 400, 'invalid_client')
    }
    t.counter.reset()
    await limited(await tokenRequest(t, codeParams(first, code), ip), 900)
    expect(t.counter.count).toBe(1)
    const { code: other } = await insertCode(t, second, alice)
    await ok(await tokenRequest(t, codeParams(second, other), ip))
    await ok(await tokenRequest(t, codeParams(first, code), from('192.0.2.12')))
  })

  it('refuses an address after failures against any clients, unknown ones too, until the window ends', async () => {
    const ip = from('192.0.2.7')
    for (let i = 0; i < MAX_ADDRESS_FAILURES; i++) {
      if (i % 3 === 0) await refused(await tokenRequest(t, codeParams(first, 'guess'), ip), 400, 'invalid_grant')
      else {
        // Wrong secrets spread over two clients stay under each pair's limit of 10.
        const params = i % 3 === 1 ? codeParams(i % 2 ? second : first, 'x', { client_secret: 'wrong' })
          : codeParams(second, 'x', { client_id: `nobody-${i}` })
        await refused(await tokenRequest(t, params, ip), 400, 'invalid_client')
      }
    }
    const { code } = await insertCode(t, third, alice, { expiresInMs: HOUR })
    t.counter.reset()
    await limited(await tokenRequest(t, codeParams(third, code), ip), 900)
    expect(t.counter.count).toBe(1)
    // An unknown client_id from there is answered alike, not with invalid_client.
    await limited(await tokenRequest(t, codeParams(third, code, { client_id: 'nobody' }), ip), 900)
    expect(await counts(['client:nobody', 'client:nobody-2'])).toEqual({})

    t.clock.advance(15 * MINUTE)
    await ok(await tokenRequest(t, codeParams(third, code), ip))
  })

  it('counts each failure in the statement that finds it, and writes nothing for a success or another error',
    async () => {
      const ip = from('192.0.2.20')
      const clientKey = `client:${counted.client_id}`
      const pairKey = `client-ip:192.0.2.20|${counted.client_id}`
      const addressKey = 'token-ip:192.0.2.20'
      const { code } = await insertCode(t, counted, alice)
      t.counter.reset()
      await ok(await tokenRequest(t, codeParams(counted, code), ip))
      expect(t.counter.count).toBe(1)
      expect(await counts([clientKey, pairKey, addressKey])).toEqual({})

      // Against the client only a wrong secret counts; against the address every guess does. A replay also revokes
      // its family, an unregistered redirect URI also records its event: one more statement, on a failure only.
      const failures = [
        { params: codeParams(counted, 'unknown'), error: 'invalid_grant', statements: 1, client: 0 },
        { params: codeParams(counted, code), error: 'invalid_grant', statements: 2, client: 0 },
        { params: codeParams(counted, 'x', { client_secret: 'wrong' }), error: 'invalid_client', statements: 1, client: 1 },
        { params: codeParams(counted, 'x', { redirect_uri: `${REDIRECT}/x` }), error: 'invalid_client', statements: 2,
          client: 1 },
      ]
      for (const [i, { params, error, statements, client }] of failures.entries()) {
        t.counter.reset()
        await refused(await tokenRequest(t, params, ip), 400, error)
        expect(t.counter.count, error).toBe(statements)
        expect(await counts([clientKey, pairKey, addressKey]))
          .toEqual({ ...(client && { [clientKey]: client, [pairKey]: client }), [addressKey]: i + 1 })
      }
      const [row] = await t.db.select().from(loginAttempts).where(eq(loginAttempts.key, clientKey))
      expect(row).toEqual({ key: clientKey, windowStart: new Date(START), count: 1,
        expires: new Date(new Date(START).getTime() + 15 * MINUTE), expiring: true })

      // An error that is no guess counts nothing, in its one statement; an unknown grant_type reads nothing.
      t.counter.reset()
      await refused(await tokenRequest(t, codeParams(noCodeGrant, 'x'), ip), 400, 'unauthorized_client')
      await refused(await tokenRequest(t, { grant_type: 'magic', client_id: counted.client_id }, ip), 400,
        'unsupported_grant_type')
      expect(t.counter.count).toBe(1)
      expect(await counts([`client:${noCodeGrant.client_id}`, addressKey])).toEqual({ [addressKey]: 4 })
    })

  it('counts an unknown client_id against the address only, and a request naming no client not at all', async () => {
    t.counter.reset()
    const unknown = codeParams(counted, 'x', { client_id: 'nobody-here' })
    await refused(await tokenRequest(t, unknown, from('192.0.2.30')), 400, 'invalid_client')
    // Its one statement counted the failure against the address.
    expect(t.counter.count).toBe(1)
    expect(await counts(['client:nobody-here', 'client-ip:192.0.2.30|nobody-here', 'token-ip:192.0.2.30']))
      .toEqual({ 'token-ip:192.0.2.30': 1 })

    t.counter.reset()
    await refused(await tokenRequest(t, unknown), 400, 'invalid_client')
    expect(t.counter.count).toBe(1)
    const { client_id: _, client_secret: __, ...anonymous } = codeParams(counted, 'x')
    await refused(await tokenRequest(t, anonymous, from('192.0.2.30')), 400, 'invalid_client')
    expect(t.counter.count).toBe(1)
    expect(await counts(['token-ip:192.0.2.30'])).toEqual({ 'token-ip:192.0.2.30': 1 })
  })

  it('lets no more than the limit of a parallel burst of unknown clients through', async () => {
    const responses = await Promise.all(Array.from({ length: MAX_ADDRESS_FAILURES + 10 }, (_, i) =>
      tokenRequest(t, codeParams(counted, 'x', { client_id: `burst-${i}` }), from('192.0.2.40'))))
    expect(responses.map((r) => r.status).sort()).toEqual([...Array<number>(MAX_ADDRESS_FAILURES).fill(400),
      ...Array<number>(10).fill(429)])
  })
})
