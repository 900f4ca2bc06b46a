import { createApp } from '../../src/app.ts'
import { forwardedAddress } from '../../src/client-address.ts'
import { FixedClock } from '../../src/clock.ts'
import { parseConfig, type Config } from '../../src/config.ts'
import { KeyCache } from '../../src/crypto/key-cache.ts'
import { StatementCounter, type Db } from '../../src/db/client.ts'
import { openPglite } from '../../src/db/pglite.ts'
import { createMetadataCache, type Deps } from '../../src/deps.ts'
import { MemoryLogger } from '../../src/log.ts'

export const ADMIN_TOKEN = 'test-admin-token-0123456789'
export const SECRET_KEY = 'test-secret-key-0123456789abcdefghijklmnopqrstuvwxyz'
export const START = '2026-06-01T12:00:00.000Z'

export interface TestContext {
  app: ReturnType<typeof createApp>
  db: Db
  deps: Deps
  clock: FixedClock
  counter: StatementCounter
  log: MemoryLogger
  /** A request to the app, as a client would send it. */
  request(path: string, init?: RequestInit): Promise<Response>
  /** An admin API call with the admin token; `body` is sent as JSON. */
  admin(method: string, path: string, body?: unknown): Promise<Response>
  close(): Promise<void>
}

/** One in-memory PGlite, migrated, per test file (it takes seconds to start): call in `beforeAll`. */
export async function createTestContext(env: Record<string, string> = {}, defaultHosts?: string[]): Promise<TestContext> {
  const counter = new StatementCounter()
  const { client, db, database } = await openPglite(undefined, counter)
  const clock = new FixedClock(START)
  const config: Config = parseConfig({ SECRET_KEY, ADMIN_TOKEN, PASSWORD_ITERATIONS: '10000', ...env }, defaultHosts)
  const log = new MemoryLogger()
  const deps: Deps = {
    database, clock, keys: new KeyCache(), config, log,
    fetch: () => Promise.reject(new Error('no outbound fetch in this test')),
    metadata: createMetadataCache(config),
    // The tests stand in for a trusted proxy: they name the client's address in `CF-Connecting-IP` or XFF.
    clientAddress: forwardedAddress,
  }
  const app = createApp(deps)
  const request = async (path: string, init?: RequestInit) => app.request(path, init)
  const admin = (method: string, path: string, body?: unknown) => request(`/api/v3${path}`, {
    method,
    headers: { Authorization: `Bearer ${ADMIN_TOKEN}`, ...(body !== undefined && { 'Content-Type': 'application/json' }) },
    ...(body !== undefined && { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  })
  return { app, db, deps, clock, counter, log, request, admin, close: () => client.close() }
}
