import { PGlite } from '@electric-sql/pglite'
import { drizzle } from 'drizzle-orm/pglite'
import { migrate } from 'drizzle-orm/pglite/migrator'
import type { Logger as DrizzleLogger } from 'drizzle-orm/logger'
import * as schema from './schema.ts'
import type { Database, Db } from './client.ts'

export const MIGRATIONS_FOLDER = new URL('../../drizzle', import.meta.url).pathname

/** PGlite in `dataDir` (or in memory), migrated: the embedded database of `npm start` and Node tests. */
export async function openPglite(
  dataDir?: string,
  logger?: DrizzleLogger,
): Promise<{ client: PGlite; db: Db; database: Database }> {
  const client = dataDir ? new PGlite(dataDir) : new PGlite()
  const db = drizzle({ client, schema, logger: logger ?? false }) as unknown as Db
  await migrate(drizzle({ client }), { migrationsFolder: MIGRATIONS_FOLDER })
  const database: Database = { open: () => ({ db, close: async () => {} }) }
  return { client, db, database }
}
