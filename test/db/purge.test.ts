import { sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { rowsOf } from '../../src/db/client.ts'
import { purgeExpired } from '../../src/db/purge.ts'
import { createTestContext, type TestContext } from '../support/app.ts'

let t: TestContext
const now = new Date('2026-06-01T12:00:00Z')

async function count(table: string, where = 'true'): Promise<number> {
  const r = await t.db.execute(sql.raw(`select count(*)::int as n from ${table} where ${where}`))
  return rowsOf<{ n: number }>(r)[0]?.n ?? 0
}

beforeAll(async () => {
  t = await createTestContext()
  await t.db.execute(sql`insert into users (id, username) values (1, 'alice')`)
  await t.db.execute(sql`insert into oauth2_providers (id, name, authorization_flow, client_id, client_secret_sealed,
    grant_types) values (1, 'p', 'default-provider-authorization-implicit-consent', 'client', 'sealed', '[]')`)
  // 100,000 expired rows spread over four tables, mixed with live ones and with rows that never expire.
  await t.db.execute(sql`insert into events (action, expires)
    select 'login', ${now.toISOString()}::timestamptz - (i || ' seconds')::interval from generate_series(0, 59999) i`)
  await t.db.execute(sql`insert into events (action, expires)
    select 'login', ${now.toISOString()}::timestamptz + interval '1 second' from generate_series(1, 5000)`)
  await t.db.execute(sql`insert into events (action, expires, expiring)
    select 'login', ${now.toISOString()}::timestamptz - interval '1 day', false from generate_series(1, 1000)`)
  await t.db.execute(sql`insert into authorization_codes (code_hash, provider_id, user_id, grant_id, auth_time,
    redirect_uri, expires) select 'c' || i, 1, 1, gen_random_uuid(), now(), 'http://x', 
    ${now.toISOString()}::timestamptz - interval '1 minute' from generate_series(1, 25000) i`)
  await t.db.execute(sql`insert into authorization_codes (code_hash, provider_id, user_id, grant_id, auth_time,
    redirect_uri, expires) select 'live' || i, 1, 1, gen_random_uuid(), now(), 'http://x',
    ${now.toISOString()}::timestamptz + interval '1 minute' from generate_series(1, 2000) i`)
  await t.db.execute(sql`insert into access_tokens (token_hash, provider_id, user_id, grant_id, auth_time,
    id_token, expires) select 't' || i, 1, 1, gen_random_uuid(), now(), '{}',
    ${now.toISOString()}::timestamptz - interval '1 hour' from generate_series(1, 10000) i`)
  await t.db.execute(sql`insert into refresh_tokens (token_hash, provider_id, user_id, grant_id, auth_time,
    id_token, expires, revoked) select 'r' || i, 1, 1, gen_random_uuid(), now(), '{}',
    ${now.toISOString()}::timestamptz, true from generate_series(1, 5000) i`)
  await t.db.execute(sql`insert into refresh_tokens (token_hash, provider_id, user_id, grant_id, auth_time,
    id_token, expires) select 'rl' || i, 1, 1, gen_random_uuid(), now(), '{}',
    ${now.toISOString()}::timestamptz + interval '30 days' from generate_series(1, 3000) i`)
}, 120_000)

afterAll(() => t.close())

describe('scheduled purge', () => {
  it('stops at its time budget without deleting anything it has not reached', async () => {
    const result = await purgeExpired(t.db, now, { budgetMs: 0 })
    expect(result.complete).toBe(false)
    expect(Object.values(result.deleted).reduce((a, b) => a + b, 0)).toBe(0)
    expect(await count('events')).toBe(66_000)
  })

  it('deletes 100,000 expired rows in bounded batches and keeps every live row', async () => {
    t.counter.reset()
    const result = await purgeExpired(t.db, now, { batchSize: 5000 })
    expect(result.complete).toBe(true)
    expect(result.deleted).toMatchObject({
      events: 60_000, authorization_codes: 25_000, access_tokens: 10_000, refresh_tokens: 5000,
    })
    // A full batch is followed by one more statement; a short one ends the table.
    expect(t.counter.count).toBe(13 + 6 + 3 + 2 + 1 + 1 + 1 + 1 + 1 + 1 + 1 + 1)
    expect(await count('events', 'expiring')).toBe(5000)
    expect(await count('events', 'not expiring')).toBe(1000)
    expect(await count('authorization_codes')).toBe(2000)
    expect(await count('access_tokens')).toBe(0)
    expect(await count('refresh_tokens')).toBe(3000)
  }, 120_000)

  it('is harmless the second time', async () => {
    const result = await purgeExpired(t.db, now)
    expect(result).toEqual({
      complete: true,
      deleted: {
        authorization_codes: 0, access_tokens: 0, refresh_tokens: 0, device_tokens: 0, pushed_authorization_requests: 0,
        consents: 0, app_tokens: 0,
        login_attempts: 0, seen_jtis: 0, logout_notifications: 0, events: 0,
        authenticated_sessions: 0,
      },
    })
    expect(await count('events')).toBe(6000)
  })

  it('deletes rows whose expiry is exactly now, like authentik (expires <= now)', async () => {
    await t.db.execute(sql`insert into events (action, expires) values ('login', ${now.toISOString()}::timestamptz)`)
    expect((await purgeExpired(t.db, now)).deleted.events).toBe(1)
  })
})
