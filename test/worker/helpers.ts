import { env, exports } from 'cloudflare:workers'
import type { Db } from '../../src/db/client.ts'
import { neonDatabase } from '../../src/db/neon.ts'
import { neonHttpDatabase } from '../../src/db/neon-http.ts'
import { storeCookie } from '../support/browser-forms.ts'
import type { AdminApi } from '../support/fixtures.ts'

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

/** `admin` as the shared fixtures take it (`test/support/fixtures.ts`). */
export const workerAdmin: AdminApi = { admin }

/** Run `fn` on the test database through Neon's HTTP driver, as the Worker reaches it. */
export async function withDb<T>(fn: (db: Db) => Promise<T>): Promise<T> {
  return fn(neonHttpDatabase(env.DATABASE_URL, { fetchEndpoint: env.NEON_HTTP_ENDPOINT }).open().db)
}

/** Run `fn` through Neon's WebSocket `Pool` (what migrations use), then end the pool. */
export async function withWsDb<T>(fn: (db: Db) => Promise<T>): Promise<T> {
  const handle = neonDatabase(env.DATABASE_URL, { wsProxy: env.NEON_WS_PROXY }).open()
  try {
    return await fn(handle.db)
  } finally {
    await handle.close()
  }
}

/** `path?query` of a `Location` on the Worker's origin (relative or absolute), for the next request. */
export function localPath(location: string | null): string {
  if (location === null) throw new Error('no Location header')
  const url = new URL(location, ORIGIN)
  if (url.origin !== ORIGIN) throw new Error(`Location ${location} leaves ${ORIGIN}`)
  return `${url.pathname}${url.search}`
}

/**
 * A minimal browser against the Worker: a cookie jar (by name; every cookie of this app is `Path=/`), redirects
 * left to the test (`redirect: 'manual'`), and the `Origin` a browser sends on form posts.
 */
export class WorkerBrowser {
  /** name → value; edit freely. */
  readonly cookies = new Map<string, string>()

  async request(path: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers)
    if (this.cookies.size > 0) headers.set('Cookie', [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; '))
    const res = await workerFetch(path, { ...init, headers, redirect: 'manual' })
    for (const line of res.headers.getSetCookie()) storeCookie(this.cookies, line)
    return res
  }

  get(path: string): Promise<Response> {
    return this.request(path)
  }

  /** A form POST (`application/x-www-form-urlencoded`), from a page of `origin` (the Worker's by default). */
  post(path: string, fields: Record<string, string>, origin = ORIGIN): Promise<Response> {
    return this.request(path, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Origin: origin },
      body: new URLSearchParams(fields).toString(),
    })
  }
}
