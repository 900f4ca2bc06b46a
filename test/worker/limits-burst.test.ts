import { and, eq, inArray } from 'drizzle-orm'
import { beforeAll, describe, expect, it } from 'vitest'
import { sha256Hex } from '../../src/crypto/hash.ts'
import { accessTokens, authorizationCodes, events, loginAttempts } from '../../src/db/schema.ts'
import { createProviderApp, createUser, defaultMappingPks } from '../support/fixtures.ts'
import { withDb, workerAdmin, workerFetch } from './helpers.ts'

// Issue 19 on PostgreSQL, where the statements of a burst really run at once (PGlite runs them one at a time):
// each request's one statement counts its failure, if it is one, under the counters' advisory locks
// (src/db/failure-counters.ts), so no more failures are answered than the limit, and an honest burst, which
// counts nothing, is never refused. One PostgreSQL serves every file of this project: names and addresses here are
// unique to this file.
const SLUG = 'worker-limits-burst'
const REDIRECT = 'https://rp-limits-burst.test/callback'
const BURST = 120
const PAIR_LIMIT = 10

let client: { pk: number; client_id: string; client_secret: string }
let service: { client_id: string; client_secret: string }
let userPk: number

const basic = (id: string, secret: string) => `Basic ${btoa(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`)}`

function post(path: string, params: Record<string, string>, authorization: string | null, ip: string):
  Promise<Response> {
  return workerFetch(path, { method: 'POST', body: new URLSearchParams(params),
    headers: { ...(authorization && { Authorization: authorization }), 'CF-Connecting-IP': ip } })
}

/**
 * The counts of `keys` over the windows the burst fell in (real time here: it may straddle two 15-minute
 * windows, each then allowing its own 10) and how many windows that was.
 */
async function counts(keys: string[]): Promise<{ counts: Record<string, number>; windows: number }> {
  const rows = await withDb((db) => db.select().from(loginAttempts).where(inArray(loginAttempts.key, keys)))
  const out: Record<string, number> = {}
  for (const r of rows) out[r.key] = (out[r.key] ?? 0) + r.count
  return { counts: out, windows: Math.max(1, new Set(rows.map((r) => r.windowStart.getTime())).size) }
}

/**
 * Every answer of a wrong-secret burst is `answeredAs` (evaluated: 401 `invalid_client`, or 400 `invalid_grant` at
 * client_credentials) or 429 `invalid_request` with a Retry-After (refused unevaluated).
 */
async function tally(responses: Response[], answeredAs = { status: 401, error: 'invalid_client' }):
  Promise<{ evaluated: number; refused: number }> {
  const result = { evaluated: 0, refused: 0 }
  for (const res of responses) {
    const body = (await res.json()) as { error: string }
    expect(res.headers.get('Cache-Control')).toBe('no-store')
    if (res.status === answeredAs.status) {
      expect(body.error).toBe(answeredAs.error)
      result.evaluated++
    } else {
      expect({ status: res.status, error: body.error }).toEqual({ status: 429, error: 'invalid_request' })
      expect(Number(res.headers.get('Retry-After'))).toBeGreaterThan(0)
      result.refused++
    }
  }
  return result
}

async function code(): Promise<string> {
  const value = `worker-limits-burst-${crypto.randomUUID()}`
  const now = Date.now()
  await withDb(async (db) => db.insert(authorizationCodes).values({
    codeHash: await sha256Hex(value), providerId: client.pk, userId: userPk, grantId: crypto.randomUUID(),
    scope: 'openid', authTime: new Date(now - 60_000), redirectUri: REDIRECT, expires: new Date(now + 600_000),
  }))
  return value
}

const keysOf = (clientId: string, ip: string) =>
  [`client-ip:${ip}|${clientId}`, `token-ip:${ip}`, `client:${clientId}`]

beforeAll(async () => {
  client = await createProviderApp(workerAdmin, SLUG, {
    name: 'worker-limits-burst-provider', redirect_uris: [{ matching_mode: 'strict', url: REDIRECT }],
    property_mappings: await defaultMappingPks(workerAdmin), grant_types: ['authorization_code'],
  }, { name: 'Worker Limits Burst' })
  service = await createProviderApp(workerAdmin, `${SLUG}-service`, {
    name: 'worker-limits-burst-service', property_mappings: await defaultMappingPks(workerAdmin),
    grant_types: ['client_credentials'],
  }, { name: 'Worker Limits Burst Service' })
  userPk = (await createUser(workerAdmin, 'worker-limits-burst-user')).pk
})

describe('the client limits hold under a parallel burst on PostgreSQL (issue 19)', () => {
  it('evaluates 10 of 120 parallel wrong secrets at the token endpoint; the client is served elsewhere', async () => {
    const ip = '203.0.113.150'
    const value = await code()
    const params = { grant_type: 'authorization_code', code: value, redirect_uri: REDIRECT }
    const wrong = basic(client.client_id, 'wrong')
    const [right, ...burst] = await Promise.all([
      post('/application/o/token/', params, basic(client.client_id, client.client_secret), '198.51.100.150'),
      ...Array.from({ length: BURST }, () => post('/application/o/token/', params, wrong, ip)),
    ])
    expect(right!.status, await right!.clone().text()).toBe(200)
    const keys = keysOf(client.client_id, ip)
    const { counts: found, windows } = await counts(keys)
    const n = PAIR_LIMIT * windows
    expect(found).toEqual(Object.fromEntries(keys.map((k) => [k, n])))
    expect(await tally(burst)).toEqual({ evaluated: n, refused: BURST - n })
  })

  it('evaluates 10 of 120 parallel wrong secrets at introspection, and introspects for the right one', async () => {
    const ip = '203.0.113.151'
    const token = `eyJ.worker-limits-burst-${crypto.randomUUID()}.sig`
    const now = Date.now()
    await withDb(async (db) => db.insert(accessTokens).values({
      tokenHash: await sha256Hex(token), providerId: client.pk, userId: userPk, grantId: crypto.randomUUID(),
      scope: 'openid', authTime: new Date(now), idToken: { iat: Math.floor(now / 1000) },
      expires: new Date(now + 600_000),
    }))
    const wrong = basic(client.client_id, 'wrong')
    const [right, ...burst] = await Promise.all([
      post('/application/o/introspect/', { token }, basic(client.client_id, client.client_secret), '198.51.100.151'),
      ...Array.from({ length: BURST }, () => post('/application/o/introspect/', { token }, wrong, ip)),
    ])
    expect(await right!.json()).toMatchObject({ active: true, client_id: client.client_id })
    const [pair, address] = keysOf(client.client_id, ip)
    const { counts: found, windows } = await counts([pair!, address!])
    const n = PAIR_LIMIT * windows
    expect(found).toEqual({ [pair!]: n, [address!]: n })
    expect(await tally(burst)).toEqual({ evaluated: n, refused: BURST - n })
  })

  it('answers 10 of 120 parallel wrong secrets at client_credentials with invalid_grant, and refuses the rest',
    async () => {
      const ip = '203.0.113.152'
      const params = { grant_type: 'client_credentials', scope: 'openid', client_id: service.client_id,
        client_secret: 'wrong' }
      const burst = await Promise.all(Array.from({ length: BURST }, () =>
        post('/application/o/token/', params, null, ip)))
      const [pair, address] = keysOf(service.client_id, ip)
      const { counts: found, windows } = await counts([pair!, address!])
      const n = PAIR_LIMIT * windows
      expect(found).toEqual({ [pair!]: n, [address!]: n })
      expect(await tally(burst, { status: 400, error: 'invalid_grant' })).toEqual({ evaluated: n, refused: BURST - n })
    })

  it('serves three bursts of 64 honest client_credentials requests from one address, all 200, counting nothing',
    async () => {
      const ip = '203.0.113.153'
      const params = { grant_type: 'client_credentials', scope: 'openid', client_id: service.client_id,
        client_secret: service.client_secret }
      for (let round = 0; round < 3; round++) {
        const burst = await Promise.all(Array.from({ length: 64 }, () =>
          post('/application/o/token/', params, null, ip)))
        expect(burst.map((r) => r.status)).toEqual(Array(64).fill(200))
      }
      const [pair, address] = keysOf(service.client_id, ip)
      expect((await counts([pair!, address!])).counts).toEqual({})
    })
})

describe('a code redeemed by 50 parallel requests on PostgreSQL (RFC 6749 §4.1.2, RFC 9700 §4.5)', () => {
  it('gives tokens to one, invalid_grant to the others, and revokes what the one got', async () => {
    const value = await code()
    const params = { grant_type: 'authorization_code', code: value, redirect_uri: REDIRECT }
    const authorization = basic(client.client_id, client.client_secret)
    // From 50 addresses, so that the losers' failures stay under every limit and each is answered.
    const answers = await Promise.all(Array.from({ length: 50 }, (_, i) =>
      post('/application/o/token/', params, authorization, `192.0.2.${i + 10}`)))
    const bodies = await Promise.all(answers.map(async (res) => ({ status: res.status,
      body: (await res.json()) as { error?: string; access_token?: string } })))
    const won = bodies.filter((b) => b.status === 200)
    expect(won).toHaveLength(1)
    expect(bodies.filter((b) => b.status !== 200).map((b) => ({ status: b.status, error: b.body.error })))
      .toEqual(Array(49).fill({ status: 400, error: 'invalid_grant' }))

    // The winner's access token is stored, and revoked by the losers' replays: userinfo refuses it.
    const accessToken = won[0]!.body.access_token!
    const res = await workerFetch('/application/o/userinfo/', { headers: { Authorization: `Bearer ${accessToken}` } })
    expect(res.status).toBe(401)
    expect(res.headers.get('WWW-Authenticate')).toMatch(/^Bearer error="invalid_token"/)
    const [stored] = await withDb(async (db) => db.select({ consumed: authorizationCodes.consumed })
      .from(authorizationCodes).where(eq(authorizationCodes.codeHash, await sha256Hex(value))))
    expect(stored!.consumed).toBeInstanceOf(Date)
    const replays = await withDb((db) => db.select({ context: events.context }).from(events)
      .where(and(eq(events.action, 'suspicious_request'), eq(events.clientId, client.client_id))))
    expect(replays.filter((e) => e.context.message === 'Authorization code was used again')).toHaveLength(49)
    // Between them, the replays revoked the one access token.
    expect(replays.reduce((sum, e) => sum + Number(e.context.revoked_access_tokens ?? 0), 0)).toBe(1)
  })
})
