import { sql } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { rowsOf, type Db } from '../../src/db/client.ts'
import { sqlState } from '../../src/db/errors.ts'
import { withDb, withWsDb } from './helpers.ts'

const managedScopes = (db: Db) => db.execute(
  sql`select scope_name from scope_mappings where managed is not null order by scope_name`)

describe('PostgreSQL through the Neon drivers from workerd', () => {
  it('reaches the database that global-setup migrated, over the HTTP driver (the Worker\'s)', async () => {
    const rows = await withDb(async (db) => rowsOf<{ scope_name: string }>(await managedScopes(db)))
    expect(rows.map((r) => r.scope_name)).toEqual(['email', 'entitlements', 'offline_access', 'openid', 'profile'])
  })

  it('reaches it over the WebSocket Pool too (the migrations\' driver)', async () => {
    const rows = await withWsDb(async (db) => rowsOf<{ scope_name: string }>(await managedScopes(db)))
    expect(rows.map((r) => r.scope_name)).toEqual(['email', 'entitlements', 'offline_access', 'openid', 'profile'])
  })

  it('keeps a Postgres error\'s SQLSTATE across the HTTP driver (a unique violation is 23505)', async () => {
    const err = await withDb((db) => db.execute(sql`insert into scope_mappings (name, scope_name)
      select name, scope_name from scope_mappings limit 1`)).catch((e: unknown) => e)
    expect(sqlState(err)).toBe('23505')
  })
})
