/**
 * `npm run db:migrate`: apply `drizzle/` to `DATABASE_URL` through the Neon driver, as the Worker reaches it.
 * `NEON_WS_PROXY=127.0.0.1:<port>` points the driver at a local WebSocket-to-TCP bridge instead of Neon.
 */
import { fileURLToPath } from 'node:url'
import { neonConfig } from '@neondatabase/serverless'
import type { NeonDatabase } from 'drizzle-orm/neon-serverless'
import { migrate } from 'drizzle-orm/neon-serverless/migrator'
import ws from 'ws'
import type { Schema } from '../src/db/client.ts'
import { neonDatabase } from '../src/db/neon.ts'

export const MIGRATIONS_FOLDER = fileURLToPath(new URL('../drizzle', import.meta.url))

export interface MigrateOptions {
  /** `host:port` of a WebSocket-to-TCP bridge (local use only). */
  wsProxy?: string | undefined
}

/** Apply every pending migration in `drizzle/`; already applied ones are skipped, so it is safe to rerun. */
export async function migrateDatabase(databaseUrl: string, options: MigrateOptions = {}): Promise<void> {
  // Node 20 has no global WebSocket; workerd and Node 22+ do.
  neonConfig.webSocketConstructor = ws
  const handle = neonDatabase(databaseUrl, options.wsProxy ? { wsProxy: options.wsProxy } : {}).open()
  try {
    await migrate(handle.db as unknown as NeonDatabase<Schema>, { migrationsFolder: MIGRATIONS_FOLDER })
  } finally {
    await handle.close()
  }
}

async function main(): Promise<void> {
  const databaseUrl = process.env.DATABASE_URL
  if (!databaseUrl) {
    console.error('db:migrate: DATABASE_URL is required (postgres://user:password@host/database)')
    process.exit(2)
  }
  const wsProxy = process.env.NEON_WS_PROXY || undefined
  await migrateDatabase(databaseUrl, { wsProxy })
  console.log(`db:migrate: ${new URL(databaseUrl).host}${new URL(databaseUrl).pathname} is up to date`)
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().catch((err: unknown) => {
    console.error('db:migrate failed:', err instanceof Error ? err.message : err)
    process.exit(1)
  })
}
