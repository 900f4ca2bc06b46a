import { createExecutionContext, createScheduledController, waitOnExecutionContext } from 'cloudflare:test'
import { env } from 'cloudflare:workers'
import { eq } from 'drizzle-orm'
import { createLocalJWKSet, jwtVerify, type JSONWebKeySet } from 'jose'
import { beforeAll, describe, expect, it } from 'vitest'
import { sha256Hex } from '../../src/crypto/hash.ts'
import { accessTokens, authenticatedSessions, logoutNotifications } from '../../src/db/schema.ts'
import worker from '../../src/worker.ts'
import { createProviderApp, createUser, generateKeyPair } from '../support/fixtures.ts'
import { ORIGIN, withDb, workerAdmin, workerFetch } from './helpers.ts'

// One PostgreSQL serves every file of this project: names here are unique to this file.
const SLUG = 'worker-logout'
const SID = 'worker-logout-sid-0123456789'
const EVENT = 'http://schemas.openid.net/event/backchannel-logout'
type WorkerEnv = Parameters<typeof worker.scheduled>[1]

let provider: { pk: number; client_id: string }
let sessionId: string

/** A request to the Worker's own `fetch`, waiting for what it hands to `waitUntil` (the after-response send). */
async function fetchAndWait(path: string, init: RequestInit): Promise<Response> {
  const ctx = createExecutionContext()
  const res = await worker.fetch(new Request(`${ORIGIN}${path}`, init) as never, env as unknown as WorkerEnv, ctx)
  await waitOnExecutionContext(ctx)
  return res as unknown as Response
}

async function runCron(at: Date): Promise<void> {
  const ctx = createExecutionContext()
  await worker.scheduled(createScheduledController({ scheduledTime: at, cron: '2-59/5 * * * *' }),
    env as unknown as WorkerEnv, ctx)
  await waitOnExecutionContext(ctx)
}

const outbox = () => withDb((db) => db.select().from(logoutNotifications)
  .where(eq(logoutNotifications.providerId, provider.pk)))
const received = async () => (await (await fetch(`${env.LOGOUT_RECEIVER}/received?path=/worker-flaky`)).json()) as
  Array<{ method: string; contentType: string; fields: Record<string, string> }>

beforeAll(async () => {
  const key = await generateKeyPair(workerAdmin, 'worker-logout-key', { alg: 'ecdsa', key_size: 256 })
  provider = await createProviderApp(workerAdmin, SLUG, { name: 'worker-logout-provider', signing_key: key.pk,
    logout_method: 'backchannel', logout_uri: `${env.LOGOUT_RECEIVER}/worker-flaky` })
  const user = await createUser(workerAdmin, 'worker-logout-user')
  const now = new Date()
  sessionId = await withDb(async (db) => {
    const [session] = await db.insert(authenticatedSessions).values({ sessionKeyHash: SID, userId: user.pk, loginTime: now,
      expires: new Date(now.getTime() + 3_600_000) }).returning({ id: authenticatedSessions.id })
    await db.insert(accessTokens).values({ providerId: provider.pk, userId: user.pk, grantId: crypto.randomUUID(),
      authTime: now, sessionId: session!.id, tokenHash: await sha256Hex('worker-logout-token'),
      idToken: {}, expires: new Date(now.getTime() + 3_600_000) })
    return session!.id
  })
})

describe('back-channel logout outbox in workerd on PostgreSQL', () => {
  it('queues the notification with the session delete, tries it in waitUntil, and the scheduled handler retries it', async () => {
    const res = await fetchAndWait(`/api/v3/core/authenticated_sessions/${sessionId}/`, {
      method: 'DELETE', headers: { Authorization: `Bearer ${env.ADMIN_TOKEN}` } })
    expect(res.status).toBe(204)
    // The receiver answered 500 to the after-response attempt.
    const [first] = await outbox()
    expect(first).toMatchObject({ status: 'pending', attempts: 1, lastError: 'HTTP 500', sid: SID })
    expect(await withDb((db) => db.select().from(accessTokens).where(eq(accessTokens.sessionId, sessionId)))).toEqual([])

    await runCron(new Date(first!.nextAttempt.getTime() - 1000))
    expect((await outbox())[0]).toMatchObject({ status: 'pending', attempts: 1 })
    const at = new Date(first!.nextAttempt.getTime() + 1000)
    await runCron(at)
    const [row] = await outbox()
    expect(row).toMatchObject({ status: 'delivered', attempts: 2, lastError: null, deliveredAt: at })

    const posts = await received()
    expect(posts).toHaveLength(2)
    expect(posts[1]).toMatchObject({ method: 'POST', contentType: 'application/x-www-form-urlencoded' })
    const jwks = createLocalJWKSet(await (await workerFetch(`/application/o/${SLUG}/jwks/`)).json() as JSONWebKeySet)
    const { payload, protectedHeader } = await jwtVerify(posts[1]!.fields.logout_token!, jwks, {
      issuer: `${ORIGIN}/application/o/${SLUG}/`, audience: provider.client_id, currentDate: at, algorithms: ['ES256'] })
    expect(protectedHeader.typ).toBe('logout+jwt')
    expect(payload).toMatchObject({ sid: SID, events: { [EVENT]: {} }, sub: expect.stringMatching(/^[0-9a-f]{64}$/) })
    expect(payload).not.toHaveProperty('nonce')
  })
})
