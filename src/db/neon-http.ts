import { neon, neonConfig } from '@neondatabase/serverless'
import type { Logger as DrizzleLogger } from 'drizzle-orm/logger'
import { drizzle } from 'drizzle-orm/neon-http'
import type { Database, Db } from './client.ts'
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

/** Neon's own endpoint for a host: what the driver uses unless a local one was given. */
const NEON_ENDPOINT = neonConfig.fetchEndpoint as (host: string, port: number | string, options?: unknown) => string
/** Local endpoints by the host of the connection string they stand for (tests and local development only). */
const LOCAL_ENDPOINTS = new Map<string, string>()
/** Statement time-outs by local endpoint ('' for Neon's own). */
const TIMEOUTS = new Map<string, number>()
const DEFAULT_TIMEOUT_MS = 10_000

/**
 * Postgres through Neon's HTTP driver (DESIGN.md "Data"): each statement, or each batch, is one `fetch` over a
 * connection the runtime keeps warm, so a request pays only its statements' round trips, never connection set-up
 * (the WebSocket `Pool` costs three more on every request: upgrade, start-up, password). Request paths use no
 * interactive transactions, so nothing needs a session; only migrations (scripts/migrate.ts) use the WebSocket
 * driver. One drizzle instance serves every request of the isolate: it holds no connection.
 */
export function neonHttpDatabase(connectionString: string, options: NeonHttpOptions = {}): Database {
  if (options.fetchEndpoint) {
    // `neonConfig` is global to the isolate, so local endpoints are told apart by the connection string's host.
    LOCAL_ENDPOINTS.set(new URL(connectionString).hostname, options.fetchEndpoint)
    neonConfig.fetchEndpoint = (host, port, opts) => LOCAL_ENDPOINTS.get(host) ?? NEON_ENDPOINT(host, port, opts)
  }
  TIMEOUTS.set(options.fetchEndpoint ?? '', options.timeoutMs ?? DEFAULT_TIMEOUT_MS)
  neonConfig.fetchFunction = (input: RequestInfo | URL, init?: RequestInit) => {
    const ms = TIMEOUTS.get(String(input)) ?? TIMEOUTS.get('') ?? DEFAULT_TIMEOUT_MS
    return fetch(input, { ...init, signal: AbortSignal.timeout(ms) })
  }
  const db = drizzle({ client: neon(connectionString), schema, logger: options.logger ?? false }) as unknown as Db
  return { open: () => ({ db, close: async () => {} }) }
}
