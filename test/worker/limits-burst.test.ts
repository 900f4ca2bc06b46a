import { inArray } from 'drizzle-orm'
import { beforeAll, describe, expect, it } from 'vitest'
import { sha256Hex } from '../../src/crypto/hash.ts'
import { accessTokens, authorizationCodes, loginAttempts } from '../../src/db/schema.ts'
import { createProviderApp, createUser, defaultMappingPks } from '../support/fixtures.ts'
import { withDb, workerAdmin, workerFetch } from './helpers.ts'

// Issue 9 §3 on PostgreSQL, where the statements of a burst really run at once (PGlite runs them one at a
// time): statement 1's upsert takes the counter row's lock, so no more than the limit get evaluated.
// One PostgreSQL serves every file of this project: names and addresses here are unique to this file.
const SLUG = 'worker-limits-burst'
const REDIRECT = 'https://rp-limits-burst.test/callback'
const BURST = 120
const PAIR_LIMIT = 10

let client: { pk: number; client_id: string; client_secret: string }
let userPk: number

const basic = (id: string, secret: string) => `Basic ${btoa(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`)}`

function post(path: string, params: Record<string, string>, authorization: string, ip: string): Promise<Response> {
  return workerFetch(path, { method: 'POST', body: new URLSearchParams(params),
    headers: { Authorization: authorization, 'CF-Connecting-IP': ip } })
}

/**
 * The counts of `keys` over the windows the burst fell in (real time here: it may straddle two 15-minute
 * windows, each then allowing its own 10) and how many windows that was.
 */
async function counts(keys: string[]): Promise<{ counts: Record<string, number>; windows: number }> {
  const rows = await withDb((db) => db.select().from(loginAttempts).where(inArray(loginAttempts.key, keys)))
  const out: Record<string, number> = {}
  for (const r of rows) out[r.key] = (out[r.key] ?? 0) + r.count
  return { counts: out, windows: new Set(rows.map((r) => r.windowStart.getTime())).size }
}

/** Every answer of a wrong-secret burst is 401 `invalid_client` (evaluated) or 429 (refused unevaluated). */
async function tally(responses: Response[]): Promise<{ evaluated: number; refused: number }> {
  const result = { evaluated: 0, refused: 0 }
  for (const res of responses) {
    const body = (await res.json()) as { error: string }
    expect(res.headers.get('Cache-Control')).toBe('no-store')
    if (res.status === 401) {
      expect(body.error).toBe('invalid_client')
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

const keysOf = (ip: string) => [`client-ip:${ip}|${client.client_id}`, `token-ip:${ip}`, `client:${client.client_id}`,
  `client-failed:${ip}|${client.client_id}`]

beforeAll(async () => {
  client = await createProviderApp(workerAdmin, SLUG, {
    name: 'worker-limits-burst-provider', redirect_uris: [{ matching_mode: 'strict', url: REDIRECT }],
    property_mappings: await defaultMappingPks(workerAdmin), grant_types: ['authorization_code'],
  }, { name: 'Worker Limits Burst' })
  userPk = (await createUser(workerAdmin, 'worker-limits-burst-user')).pk
})

describe('the client limits hold under a parallel burst on PostgreSQL (issue 9 §3)', () => {
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
    const [pair, address, account, failed] = keysOf(ip)
    const { counts: found, windows } = await counts(keysOf(ip))
    const n = PAIR_LIMIT * windows
    expect(found).toEqual({ [pair!]: n, [address!]: n, [account!]: n, [failed!]: n })
    expect(await tally(burst)).toEqual({ evaluated: n, refused: BURST - n })
  })

  it('evaluates 10 of 120 parallel wrong secrets at introspection, and introspects for the right one', async () => {
    const ip = '203.0.113.151'
    const token = `eyJ.worker-limits-burst-${crypto.randomUUID()}.sig`
    const now = Date.now()
    await withDb(async (db) => db.insert(accessTokens).values({
      tokenHash: await sha256Hex(token), jti: crypto.randomUUID(), providerId: client.pk, userId: userPk,
      grantId: crypto.randomUUID(), scope: 'openid', authTime: new Date(now), idToken: { sub: 'burst' },
      expires: new Date(now + 600_000),
    }))
    const wrong = basic(client.client_id, 'wrong')
    const [right, ...burst] = await Promise.all([
      post('/application/o/introspect/', { token }, basic(client.client_id, client.client_secret), '198.51.100.151'),
      ...Array.from({ length: BURST }, () => post('/application/o/introspect/', { token }, wrong, ip)),
    ])
    expect(await right!.json()).toMatchObject({ active: true, sub: 'burst' })
    const [pair, address] = keysOf(ip)
    const { counts: found, windows } = await counts([pair!, address!])
    const n = PAIR_LIMIT * windows
    expect(found).toEqual({ [pair!]: n, [address!]: n })
    expect(await tally(burst)).toEqual({ evaluated: n, refused: BURST - n })
  })

  it('gives back the attempts of 30 sequential successes from one address', async () => {
    const ip = '203.0.113.152'
    for (let i = 0; i < 30; i++) {
      const params = { grant_type: 'authorization_code', code: await code(), redirect_uri: REDIRECT }
      const res = await post('/application/o/token/', params, basic(client.client_id, client.client_secret), ip)
      expect(res.status, await res.clone().text()).toBe(200)
    }
    const [pair, address] = keysOf(ip)
    expect((await counts([pair!, address!])).counts).toEqual({ [pair!]: 0, [address!]: 0 })
  })
})
