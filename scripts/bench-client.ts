/**
 * The benchmarks' HTTP client: `fetch`'s signature over node:http with a keep-alive agent. Node's `fetch` (undici
 * behind WHATWG streams) spends about a millisecond of this machine's CPU on every request, which the latency
 * figures would count as the Worker's; node:http spends a fraction of it. Redirects are never followed. Also a
 * browser's cookie jar over it, and the admin API of a server under test, over `fetch`.
 */
import { Agent, request } from 'node:http'
import { storeCookie } from '../test/support/browser-forms.ts'
import type { AdminApi } from '../test/support/fixtures.ts'

/**
 * A keep-alive agent of its own: `maxSockets` requests at once (each on its connection), from `localAddress` (a
 * loopback address of this machine, e.g. `127.0.0.2`) when given, so that a server that takes the client's address
 * from the TCP peer (`npm start`) sees that client there.
 */
export const benchAgent = (maxSockets: number, localAddress?: string): Agent =>
  new Agent({ keepAlive: true, maxSockets, ...(localAddress && { localAddress }) })

/** The agent of every caller that names none: 16 connections. */
const sharedAgent = benchAgent(16)

/** `fetch` over node:http: through `agent` (by default one of 16 connections that every caller shares). */
export async function benchFetch(url: string, init: RequestInit = {}, agent: Agent = sharedAgent): Promise<Response> {
  const headers = new Headers(init.headers)
  let body: Buffer | undefined
  if (init.body instanceof URLSearchParams) {
    body = Buffer.from(init.body.toString())
    if (!headers.has('Content-Type')) headers.set('Content-Type', 'application/x-www-form-urlencoded;charset=UTF-8')
  } else if (typeof init.body === 'string') {
    body = Buffer.from(init.body)
    if (!headers.has('Content-Type')) headers.set('Content-Type', 'text/plain;charset=UTF-8')
  } else if (init.body != null) throw new TypeError('benchFetch: only string and URLSearchParams bodies')
  if (body) headers.set('Content-Length', String(body.length))
  return new Promise((resolve, reject) => {
    const req = request(url, { method: init.method ?? 'GET', headers: Object.fromEntries(headers), agent }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (chunk: Buffer) => chunks.push(chunk))
      res.on('error', reject)
      res.on('end', () => {
        const out = new Headers()
        for (let i = 0; i < res.rawHeaders.length; i += 2) out.append(res.rawHeaders[i]!, res.rawHeaders[i + 1]!)
        const status = res.statusCode ?? 500
        const empty = status === 204 || status === 304 || (status >= 100 && status < 200)
        resolve(new Response(empty ? null : Buffer.concat(chunks), { status, headers: out }))
      })
    })
    req.on('error', reject)
    req.end(body)
  })
}

/**
 * A browser's cookie jar over {@link benchFetch} (through `agent`, by default the shared one), redirects left to the
 * caller; `edgeHeaders` go on every request that does not set them itself.
 */
export class Browser {
  readonly cookies = new Map<string, string>()
  constructor(readonly base: string, readonly edgeHeaders: Record<string, string> = {},
    readonly agent: Agent = sharedAgent) {}
  async request(path: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers)
    for (const [name, value] of Object.entries(this.edgeHeaders)) if (!headers.has(name)) headers.set(name, value)
    if (this.cookies.size) headers.set('Cookie', [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; '))
    const res = await benchFetch(`${this.base}${path}`, { ...init, headers }, this.agent)
    for (const line of res.headers.getSetCookie()) storeCookie(this.cookies, line)
    return res
  }
}

/** How many JWTs (three base64url parts) the JSON object of a token answer carries. */
export const jwtsIn = (body: Record<string, unknown>): number =>
  Object.values(body).filter((v) => typeof v === 'string' && /^[\w-]+\.[\w-]+\.[\w-]+$/.test(v)).length

/** The admin API of the server at `base` (`/api/v3`), with the bearer `adminToken`. */
export const adminApi = (base: string, adminToken: string): AdminApi => ({ admin: (method, path, body) =>
  fetch(`${base}/api/v3${path}`, { method, headers: { Authorization: `Bearer ${adminToken}`,
    'Content-Type': 'application/json' }, ...(body !== undefined && { body: JSON.stringify(body) }) }) })
