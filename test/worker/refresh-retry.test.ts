import { and, eq } from 'drizzle-orm'
import { beforeAll, describe, expect, it } from 'vitest'
import { sha256Hex } from '../../src/crypto/hash.ts'
import { randomId } from '../../src/crypto/random.ts'
import { authorizationCodes, events, refreshTokens } from '../../src/db/schema.ts'
import { createProviderApp, createUser, defaultMappingPks } from '../support/fixtures.ts'
import { withDb, workerAdmin, workerFetch } from './helpers.ts'

// One PostgreSQL serves every file of this project: names here are unique to this file.
const REDIRECT = 'https://rp.test/refresh-retry'
const PARALLEL = 8

interface Client { pk: number; client_id: string; client_secret: string }
let windowed: Client
let strict: Client
let userPk: number

function refresh(client: Client, token: string): Promise<Response> {
  return workerFetch('/application/o/token/', { method: 'POST', body: new URLSearchParams({
    grant_type: 'refresh_token', refresh_token: token, client_id: client.client_id, client_secret: client.client_secret,
  }) })
}

/** A code as /authorize stores it, exchanged: the family's first refresh token. */
async function family(client: Client): Promise<{ token: string; grantId: string }> {
  const code = randomId(48)
  const grantId = crypto.randomUUID()
  const now = new Date()
  const codeHash = await sha256Hex(code)
  await withDb((db) => db.insert(authorizationCodes).values({
    codeHash, providerId: client.pk, userId: userPk, grantId, scope: 'openid offline_access', authTime: now,
    redirectUri: REDIRECT, created: now, expires: new Date(now.getTime() + 60_000),
  }))
  const res = await workerFetch('/application/o/token/', { method: 'POST', body: new URLSearchParams({
    grant_type: 'authorization_code', code, redirect_uri: REDIRECT, client_id: client.client_id,
    client_secret: client.client_secret,
  }) })
  expect(res.status, await res.clone().text()).toBe(200)
  return { token: ((await res.json()) as { refresh_token: string }).refresh_token, grantId }
}

const liveRefreshTokens = (grantId: string) => withDb(async (db) =>
  (await db.select({ id: refreshTokens.id }).from(refreshTokens)
    .where(and(eq(refreshTokens.grantId, grantId), eq(refreshTokens.revoked, false)))).length)

const eventCount = (client: Client, action: string) => withDb(async (db) =>
  (await db.select({ id: events.id }).from(events)
    .where(and(eq(events.action, action), eq(events.clientId, client.client_id)))).length)

beforeAll(async () => {
  const fields = { redirect_uris: [{ matching_mode: 'strict', url: REDIRECT }],
    property_mappings: await defaultMappingPks(workerAdmin), grant_types: ['authorization_code', 'refresh_token'] }
  windowed = await createProviderApp(workerAdmin, 'worker-refresh-retry',
    { ...fields, refresh_token_reuse_interval: 'minutes=5' }) as Client
  strict = await createProviderApp(workerAdmin, 'worker-refresh-retry-off', fields) as Client
  userPk = (await createUser(workerAdmin, 'worker-refresh-retry-user')).pk
})

describe('refresh rotation and the retry window under real concurrency (workerd, PostgreSQL)', () => {
  it('rotates once among parallel rotations without a window; the losers revoke the family', async () => {
    const { token, grantId } = await family(strict)
    const statuses = (await Promise.all(Array.from({ length: PARALLEL }, () => refresh(strict, token))))
      .map((r) => r.status).sort()
    expect(statuses).toEqual([200, ...Array(PARALLEL - 1).fill(400)])
    expect(await liveRefreshTokens(grantId)).toBe(0)
  })

  it('never leaves two live refresh tokens in a family among parallel retries, nor revokes it', async () => {
    const { token, grantId } = await family(windowed)
    expect((await refresh(windowed, token)).status).toBe(200)
    const retried = await eventCount(windowed, 'token_refresh')
    const responses = await Promise.all(Array.from({ length: PARALLEL }, () => refresh(windowed, token)))
    const won = responses.filter((r) => r.status === 200).length
    expect(won).toBeGreaterThanOrEqual(1)
    expect(responses.every((r) => r.status === 200 || r.status === 400)).toBe(true)
    expect(await liveRefreshTokens(grantId)).toBe(1)
    expect(await eventCount(windowed, 'token_refresh')).toBe(retried + won)
    expect(await eventCount(windowed, 'suspicious_request')).toBe(0)
  })

  it('never leaves two live refresh tokens among parallel rotations within a window, nor revokes the family',
    async () => {
      const { token, grantId } = await family(windowed)
      const responses = await Promise.all(Array.from({ length: PARALLEL }, () => refresh(windowed, token)))
      expect(responses.some((r) => r.status === 200)).toBe(true)
      expect(await liveRefreshTokens(grantId)).toBe(1)
      expect(await eventCount(windowed, 'suspicious_request')).toBe(0)
    })
})
