import { env, exports } from 'cloudflare:workers'
import type { Db } from '../../src/db/client.ts'
import { neonDatabase } from '../../src/db/neon.ts'

export const ORIGIN = 'https://idp.test'

/** A request to the Worker, as a client on the internet would send it. */
export function workerFetch(path: string, init?: RequestInit): Promise<Response> {
  return exports.default.fetch(`${ORIGIN}${path}`, init)
}

/** An admin API call with the configured `ADMIN_TOKEN`; `body` goes as JSON. */
export function admin(method: string, path: string, body?: unknown): Promise<Response> {
  return workerFetch(`/api/v3${path}`, {
    method,
    headers: {
      Authorization: `Bearer ${env.ADMIN_TOKEN}`,
      ...(body !== undefined && { 'Content-Type': 'application/json' }),
    },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  })
}

/** Run `fn` on the test database through the Neon driver (as the Worker reaches it), then end the pool. */
export async function withDb<T>(fn: (db: Db) => Promise<T>): Promise<T> {
  const handle = neonDatabase(env.DATABASE_URL, { wsProxy: env.NEON_WS_PROXY }).open()
  try {
    return await fn(handle.db)
  } finally {
    await handle.close()
  }
}
