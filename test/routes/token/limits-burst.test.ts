import { inArray } from 'drizzle-orm'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { loginAttempts } from '../../../src/db/schema.ts'
import { CLIENT_LIMITS } from '../../../src/oauth/limits.ts'
import { createTestContext, START, type TestContext } from '../../support/app.ts'
import { createUser, json, type User } from '../../support/fixtures.ts'
import { answered, basicOf, insertToken, INTROSPECT, post } from '../presented-tokens.ts'
import { codeParams, createClient, insertCode, MINUTE, ok, refused, tokenRequest, type Client } from './support.ts'

// Limits hold under concurrency, and only failures count (issue 19): each request's one statement counts its
// failure, if it is one, under the counters' locks (src/db/failure-counters.ts), so a parallel burst gets no more
// than the limit answered, and an honest burst nothing refused. PGlite runs one statement at a time;
// test/worker/limits-burst.test.ts runs the same bursts on PostgreSQL, where they really overlap.

let t: TestContext
let target: Client
let service: Client
let resource: Client
let alice: User

beforeAll(async () => {
  t = await createTestContext()
  target = await createClient(t, 'burst-target')
  service = await createClient(t, 'burst-service', { grant_types: ['client_credentials'] })
  resource = await createClient(t, 'burst-resource')
  alice = await createUser(t, 'burst-alice')
}, 60_000)
afterAll(() => t.close())
beforeEach(() => t.clock.set(START))

const from = (ip: string) => ({ 'X-Forwarded-For': ip })
const BURST = 120
const WINDOW_LEFT = String(15 * 60)

async function counts(keys: string[]): Promise<Record<string, number>> {
  const rows = await t.db.select().from(loginAttempts).where(inArray(loginAttempts.key, keys))
  return Object.fromEntries(rows.map((r) => [r.key, r.count]))
}

const keysOf = (client: Client, ip: string) => ({
  pair: `client-ip:${ip}|${client.client_id}`, address: `token-ip:${ip}`, account: `client:${client.client_id}`,
})

/** Splits a burst's answers: 401 `invalid_client` (answered) and 429 `invalid_request` (refused). */
async function tally(responses: Response[]): Promise<{ evaluated: number; refused: number }> {
  let evaluated = 0
  let limited = 0
  for (const res of responses) {
    if (res.status === 401) {
      await refused(res, 401, 'invalid_client')
      expect(res.headers.get('WWW-Authenticate')).toBe('Basic realm="edge-oidc"')
      evaluated++
    } else {
      await refused(res, 429, 'invalid_request')
      expect(res.headers.get('Retry-After')).toBe(WINDOW_LEFT)
      expect(res.headers.get('WWW-Authenticate')).toBeNull()
      limited++
    }
  }
  return { evaluated, refused: limited }
}

describe('the client limits hold under a parallel burst, and never refuse an honest client (issue 19)', () => {
  it('answers 10 of 120 parallel wrong secrets from one address, and serves the client elsewhere meanwhile',
    async () => {
      const ip = '203.0.113.50'
      const { code } = await insertCode(t, target, alice, { expiresInMs: 60 * MINUTE })
      const { client_id: id, client_secret: _, ...params } = codeParams(target, code)
      const wrong = Array.from({ length: BURST }, () =>
        tokenRequest(t, params, { basic: `${id}:wrong`, headers: from(ip) }))
      const honest = tokenRequest(t, codeParams(target, code), { headers: from('198.51.100.77') })
      const [right, ...burst] = await Promise.all([honest, ...wrong])
      await ok(right!)
      expect(await tally(burst)).toEqual({ evaluated: CLIENT_LIMITS.perAccountAddress,
        refused: BURST - CLIENT_LIMITS.perAccountAddress })
      const keys = keysOf(target, ip)
      expect(await counts(Object.values(keys))).toEqual({ [keys.pair]: 10, [keys.address]: 10, [keys.account]: 10 })

      // The right secret from that address is refused until the window ends; from a clean one it is served.
      const { code: next } = await insertCode(t, target, alice)
      const res = await tokenRequest(t, codeParams(target, next), { headers: from(ip) })
      await refused(res, 429, 'invalid_request')
      expect(res.headers.get('Retry-After')).toBe(WINDOW_LEFT)
      await ok(await tokenRequest(t, codeParams(target, next), { headers: from('198.51.100.78') }))
    })

  it('lets 60 client_credentials requests from one address succeed, one statement each, counting nothing',
    async () => {
      const ip = '203.0.113.60'
      const params = { grant_type: 'client_credentials', scope: 'openid', client_id: service.client_id,
        client_secret: service.client_secret }
      for (let i = 0; i < 60; i++) {
        t.counter.reset()
        await ok(await tokenRequest(t, params, { headers: from(ip) }))
        expect(t.counter.count).toBe(1)
      }
      const keys = keysOf(service, ip)
      expect(await counts(Object.values(keys))).toEqual({})
      // A wrong secret at client_credentials is a wrong secret of the client, though answered invalid_grant.
      await refused(await tokenRequest(t, { ...params, client_secret: 'wrong' }, { headers: from(ip) }), 400,
        'invalid_grant')
      expect(await counts(Object.values(keys))).toEqual({ [keys.pair]: 1, [keys.address]: 1, [keys.account]: 1 })
    })

  it('serves three bursts of 64 honest client_credentials requests from one address, all 200, counting nothing',
    async () => {
      const ip = '203.0.113.70'
      const params = { grant_type: 'client_credentials', scope: 'openid', client_id: service.client_id,
        client_secret: service.client_secret }
      for (let burst = 0; burst < 3; burst++) {
        const responses = await Promise.all(Array.from({ length: 64 }, () =>
          tokenRequest(t, params, { headers: from(ip) })))
        expect(responses.map((r) => r.status)).toEqual(Array(64).fill(200))
      }
      // Nothing of this address (the client's own count holds the earlier test's wrong secret).
      const keys = keysOf(service, ip)
      expect(await counts([keys.pair, keys.address])).toEqual({})
    })

  it('answers 10 of 120 parallel wrong secrets at client_credentials (invalid_grant), the rest 429', async () => {
    const ip = '203.0.113.71'
    const params = { grant_type: 'client_credentials', scope: 'openid', client_id: service.client_id,
      client_secret: 'wrong' }
    const responses = await Promise.all(Array.from({ length: BURST }, () =>
      tokenRequest(t, params, { headers: from(ip) })))
    const answered = responses.filter((r) => r.status === 400)
    for (const res of answered) await refused(res, 400, 'invalid_grant')
    for (const res of responses.filter((r) => r.status !== 400)) await refused(res, 429, 'invalid_request')
    expect(answered).toHaveLength(CLIENT_LIMITS.perAccountAddress)
    // The right secret from there is refused too, until the window ends; from elsewhere it is served.
    await refused(await tokenRequest(t, { ...params, client_secret: service.client_secret }, { headers: from(ip) }),
      429, 'invalid_request')
    await ok(await tokenRequest(t, { ...params, client_secret: service.client_secret },
      { headers: from('198.51.100.71') }))
  })
})

describe('the introspection limits hold under a parallel burst', () => {
  it('evaluates 10 of 120 parallel wrong secrets from one address; the resource server is served elsewhere',
    async () => {
      const ip = '203.0.113.80'
      const token = await insertToken(t, 'access', resource.pk, alice.pk)
      const burst = await Promise.all(Array.from({ length: BURST }, () => post(t, INTROSPECT, { token: token.value },
        { basic: `${resource.client_id}:wrong`, headers: from(ip) })))
      expect(await tally(burst)).toEqual({ evaluated: 10, refused: BURST - 10 })
      const keys = keysOf(resource, ip)
      expect(await counts(Object.values(keys))).toEqual({ [keys.pair]: 10, [keys.address]: 10, [keys.account]: 10 })
      const body = await answered(await post(t, INTROSPECT, { token: token.value },
        { basic: basicOf(resource), headers: from('198.51.100.80') }))
      expect(body.active).toBe(true)
    })

  it('answers 60 introspections from one address in one statement each, counting nothing',
    async () => {
      const ip = '203.0.113.90'
      const token = await insertToken(t, 'access', resource.pk, alice.pk)
      for (let i = 0; i < 60; i++) {
        t.counter.reset()
        const res = await post(t, INTROSPECT, { token: token.value }, { basic: basicOf(resource), headers: from(ip) })
        expect((await json(res)).active).toBe(true)
        expect(t.counter.count).toBe(1)
      }
      const keys = keysOf(resource, ip)
      expect(await counts([keys.pair, keys.address])).toEqual({})
    })
})
