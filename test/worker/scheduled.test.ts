import { createExecutionContext, createScheduledController, waitOnExecutionContext } from 'cloudflare:test'
import { env } from 'cloudflare:workers'
import { inArray } from 'drizzle-orm'
import { beforeAll, describe, expect, it } from 'vitest'
import { authorizationCodes, events, loginAttempts, providers, users } from '../../src/db/schema.ts'
import worker from '../../src/worker.ts'
import { withDb } from './helpers.ts'

const NOW = new Date('2026-06-01T12:00:00.000Z')
const past = new Date(NOW.getTime() - 60_000)
const future = new Date(NOW.getTime() + 3_600_000)

/** Run the Cron Trigger handler as the platform would, waiting for what it hands to `waitUntil`. */
async function runCron(): Promise<void> {
  const controller = createScheduledController({ scheduledTime: NOW, cron: '2-59/5 * * * *' })
  const ctx = createExecutionContext()
  await worker.scheduled(controller, env as unknown as Parameters<typeof worker.scheduled>[1], ctx)
  await waitOnExecutionContext(ctx)
}

const eventActions = ['purge-expired', 'purge-at-now', 'purge-live', 'purge-not-expiring']

async function remaining(): Promise<{ events: string[]; codes: string[]; attempts: string[] }> {
  return withDb(async (db) => ({
    events: (await db.select({ action: events.action }).from(events).where(inArray(events.action, eventActions)))
      .map((r) => r.action).sort(),
    codes: (await db.select({ hash: authorizationCodes.codeHash }).from(authorizationCodes)
      .where(inArray(authorizationCodes.codeHash, ['purge-code-expired', 'purge-code-live']))).map((r) => r.hash).sort(),
    attempts: (await db.select({ key: loginAttempts.key }).from(loginAttempts)
      .where(inArray(loginAttempts.key, ['purge-attempt-expired', 'purge-attempt-live']))).map((r) => r.key).sort(),
  }))
}

beforeAll(async () => {
  await withDb(async (db) => {
    await db.insert(events).values([
      { action: 'purge-expired', expires: past },
      { action: 'purge-at-now', expires: NOW },
      { action: 'purge-live', expires: future },
      { action: 'purge-not-expiring', expires: past, expiring: false },
    ])
    const [user] = await db.insert(users).values({ username: 'purge-user' }).returning({ id: users.id })
    const [provider] = await db.insert(providers).values({
      name: 'purge-provider', authorizationFlow: 'default-provider-authorization-implicit-consent',
      clientId: 'purge-client', clientSecretSealed: 'unused', grantTypes: ['authorization_code'],
    }).returning({ id: providers.id })
    const grant = { providerId: provider!.id, userId: user!.id, authTime: past, redirectUri: 'https://rp.test/cb' }
    await db.insert(authorizationCodes).values([
      { ...grant, codeHash: 'purge-code-expired', grantId: crypto.randomUUID(), expires: past },
      { ...grant, codeHash: 'purge-code-live', grantId: crypto.randomUUID(), expires: future },
    ])
    await db.insert(loginAttempts).values([
      { key: 'purge-attempt-expired', windowStart: past, count: 3, expires: past },
      { key: 'purge-attempt-live', windowStart: past, count: 1, expires: future },
    ])
  })
})

describe('scheduled purge in workerd', () => {
  it('deletes expired rows and keeps live and non-expiring ones', async () => {
    expect((await remaining()).events).toHaveLength(4)
    await runCron()
    expect(await remaining()).toEqual({
      events: ['purge-live', 'purge-not-expiring'],
      codes: ['purge-code-live'],
      attempts: ['purge-attempt-live'],
    })
  })

  it('is harmless when run again', async () => {
    await runCron()
    expect(await remaining()).toEqual({
      events: ['purge-live', 'purge-not-expiring'],
      codes: ['purge-code-live'],
      attempts: ['purge-attempt-live'],
    })
  })
})
