import { drizzle } from 'drizzle-orm/node-postgres'
import { migrate } from 'drizzle-orm/node-postgres/migrator'
import pg from 'pg'
import type { Logger } from '../log.ts'
import { describeError } from '../log.ts'
import type { Database, Db } from './client.ts'
import { MIGRATIONS_FOLDER, openPglite } from './pglite.ts'
import * as schema from './schema.ts'

/**
 * `pg_advisory_lock` keys (one 64-bit namespace per database): migrations and start-up of `npm start`, and
 * the purge timer. Fixed numbers, so every instance of any version agrees on them.
 */
export const STARTUP_LOCK = 0x6564_6f69_6463_0001n
export const PURGE_LOCK = 0x6564_6f69_6463_0002n

/** The database of `npm start`: the embedded PGlite, or a PostgreSQL that several instances share. */
export interface NodeStore {
  kind: 'pglite' | 'postgres'
  db: Db
  database: Database
  /**
   * Run `task` unless another instance is running a task under the same `lock` (`pg_try_advisory_lock`, held
   * on one connection for the task's duration); answers whether it ran. PGlite has one instance: it always runs.
   */
  exclusive(lock: bigint, task: (db: Db) => Promise<void>): Promise<boolean>
  close(): Promise<void>
}

/** PGlite in `dataDir`, migrated. */
export async function openPgliteStore(dataDir: string): Promise<NodeStore> {
  const { client, db, database } = await openPglite(dataDir)
  return {
    kind: 'pglite', db, database,
    exclusive: async (_lock, task) => (await task(db), true),
    close: () => client.close(),
  }
}

/**
 * PostgreSQL at `url` through node-postgres and drizzle's node-postgres driver (the same statements as on
 * Neon). Migrations run under `STARTUP_LOCK`, so instances starting together apply them once.
 */
export async function openPostgresStore(url: string, log: Logger): Promise<NodeStore> {
  const pool = new pg.Pool({ connectionString: url, max: 10 })
  // An idle client's connection dropping (a restart of the server) is reported here; the pool reconnects.
  pool.on('error', (err) => log.log('warn', 'database pool error', describeError(err)))
  const db = drizzle({ client: pool, schema }) as unknown as Db
  const store: NodeStore = {
    kind: 'postgres', db,
    database: { open: () => ({ db, close: async () => {} }) },
    async exclusive(lock, task) {
      const client = await pool.connect()
      try {
        const { rows } = await client.query<{ locked: boolean }>('select pg_try_advisory_lock($1) as locked', [lock.toString()])
        if (!rows[0]?.locked) return false
        try {
          await task(db)
        } finally {
          await client.query('select pg_advisory_unlock($1)', [lock.toString()])
        }
        return true
      } finally {
        client.release()
      }
    },
    close: () => pool.end(),
  }
  try {
    const client = await pool.connect()
    try {
      await client.query('select pg_advisory_lock($1)', [STARTUP_LOCK.toString()])
      try {
        await migrate(drizzle({ client }), { migrationsFolder: MIGRATIONS_FOLDER })
      } finally {
        await client.query('select pg_advisory_unlock($1)', [STARTUP_LOCK.toString()])
      }
    } finally {
      client.release()
    }
  } catch (err) {
    await pool.end().catch(() => {})
    throw err
  }
  return store
}
