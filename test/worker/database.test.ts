import { sql } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { rowsOf } from '../../src/db/client.ts'
import { withDb } from './helpers.ts'

describe('PostgreSQL through the Neon driver from workerd', () => {
  it('reaches the database that global-setup migrated, over the WebSocket bridge', async () => {
    const rows = await withDb(async (db) => rowsOf<{ scope_name: string }>(await db.execute(
      sql`select scope_name from scope_mappings where managed is not null order by scope_name`,
    )))
    expect(rows.map((r) => r.scope_name)).toEqual(['email', 'entitlements', 'offline_access', 'openid', 'profile'])
  })
})
