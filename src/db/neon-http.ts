import type { Logger as DrizzleLogger } from 'drizzle-orm/logger'
import { drizzle } from 'drizzle-orm/pg-proxy'
import type { Database, Db } from './client.ts'
import { neonFetch } from './neon-fetch.ts'
import * as schema from './schema.ts'

export interface NeonHttpOptions {
  /**
   * Local development and tests only: the URL of a local endpoint of Neon's HTTP protocol
   * (test/support/neon-http.ts) in front of a plain Postgres. Production leaves it unset and talks to Neon.
   */
  fetchEndpoint?: string | undefined
  /** A statement that has no answer by then fails (and the request answers 503); default 10 s. */
  timeoutMs?: number
  logger?: DrizzleLogger
}

/**
 * Postgres through Neon's HTTP protocol (DESIGN.md "Data"): each statement is one `fetch` over a connection the
 * runtime keeps warm, so a request pays only its statements' round trips, never connection set-up (the WebSocket
 * `Pool` costs three more on every request: upgrade, start-up, password). Request paths use no interactive
 * transactions, so nothing needs a session; only migrations (scripts/migrate.ts) use Neon's WebSocket driver.
 * drizzle's remote driver (`pg-proxy`) runs the same statements as on PGlite and Postgres; src/db/neon-fetch.ts
 * speaks the protocol. One instance serves every request of the isolate: it holds no connection.
 */
export function neonHttpDatabase(connectionString: string, options: NeonHttpOptions = {}): Database {
  const query = neonFetch(connectionString, { endpoint: options.fetchEndpoint, timeoutMs: options.timeoutMs ?? 10_000 })
  const db = drizzle((sql, params, method) => query(sql, params, method === 'all'),
    { schema, logger: options.logger ?? false }) as unknown as Db
  return { open: () => ({ db, close: async () => {} }) }
}
