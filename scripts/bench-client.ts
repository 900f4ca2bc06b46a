/**
 * The benchmarks' HTTP client: `fetch`'s signature over node:http with a keep-alive agent. Node's `fetch` (undici
 * behind WHATWG streams) spends about a millisecond of this machine's CPU on every request, which the latency
 * figures would count as the Worker's; node:http spends a fraction of it. Redirects are never followed.
 */
import { Agent, request } from 'node:http'
import { storeCookie } from '../test/support/browser-forms.ts'

/**
 * A keep-alive agent; with `localAddress` (e.g. `127.0.0.5`) its connections leave from that address, so that a
 * server that takes the client's address from the TCP peer (`npm start`) sees that client there.
 */
export function clientAgent(localAddress?: string): Agent {
  return new Agent({ keepAlive: true, maxSockets: 16, ...(localAddress && { localAddress }) })
}

const shared = clientAgent()

export async function benchFetch(url: string, init: RequestInit = {}, agent: Agent = shared): Promise<Response> {
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

/** A browser's cookie jar over `benchFetch` (through `agent`), redirects left to the caller; `headers` go on every request. */
export class BenchBrowser {
  readonly cookies = new Map<string, string>()
  constructor(readonly base: string, readonly headers: Record<string, string> = {}, readonly agent: Agent = shared) {}
  async request(path: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers)
    for (const [name, value] of Object.entries(this.headers)) headers.set(name, value)
    if (this.cookies.size) headers.set('Cookie', [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; '))
    const res = await benchFetch(`${this.base}${path}`, { ...init, headers }, this.agent)
    for (const line of res.headers.getSetCookie()) storeCookie(this.cookies, line)
    return res
  }
}
