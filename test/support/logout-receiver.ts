import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'

/** What a receiver answers: a status, or 'hang' (never answers). */
export type ReceiverAnswer = number | 'hang'

/** A relying party's back-channel logout endpoint (OIDC Back-Channel Logout 1.0 §2.5) on 127.0.0.1. */
export interface Receiver {
  base: string
  /** Every request: its path (with query), content type and form fields. */
  received: Array<{ path: string; method: string; contentType: string; fields: Record<string, string> }>
  /** Per path (without query): the answers to give in turn; the last one repeats. 200 when unset. */
  answers: Map<string, ReceiverAnswer[]>
  /**
   * Ends the oldest request held by a 'hang' answer on `path` (waiting for one to arrive) by closing its
   * connection unanswered, so that its sender's attempt ends now instead of at its timeout.
   */
  release(path: string): Promise<void>
  close(): Promise<void>
}

export async function startReceiver(): Promise<Receiver> {
  const received: Receiver['received'] = []
  const answers = new Map<string, ReceiverAnswer[]>()
  const held: Array<{ path: string; drop: () => void }> = []
  const waiting: Array<{ path: string; drop: () => void }> = []
  const hold = (path: string, drop: () => void) => {
    const i = waiting.findIndex((w) => w.path === path)
    if (i < 0) return void held.push({ path, drop })
    drop()
    waiting.splice(i, 1)[0]!.drop()
  }
  const server = createServer((req, res) => {
    let body = ''
    req.on('data', (chunk: Buffer) => { body += chunk.toString('utf8') })
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://receiver')
      // For tests that cannot reach this process's memory (workerd): what one path received, as JSON.
      if (req.method === 'GET' && url.pathname === '/received') {
        const path = url.searchParams.get('path') ?? ''
        return void res.writeHead(200, { 'Content-Type': 'application/json' })
          .end(JSON.stringify(received.filter((r) => r.path.split('?')[0] === path)))
      }
      received.push({ path: `${url.pathname}${url.search}`, method: req.method ?? '', contentType: req.headers['content-type'] ?? '',
        fields: Object.fromEntries(new URLSearchParams(body)) })
      const queue = answers.get(url.pathname) ?? [200]
      const answer = queue.length > 1 ? queue.shift()! : queue[0]!
      if (answer === 'hang') return hold(url.pathname, () => req.socket.destroy())
      res.writeHead(answer, { 'Content-Type': 'text/plain' }).end(answer < 300 ? 'ok' : 'no')
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    base: `http://127.0.0.1:${port}`, received, answers,
    release: (path) => new Promise((resolve) => {
      const i = held.findIndex((h) => h.path === path)
      if (i < 0) return void waiting.push({ path, drop: resolve })
      held.splice(i, 1)[0]!.drop()
      resolve()
    }),
    close: () => new Promise((resolve) => {
      server.close(() => resolve())
      server.closeAllConnections()
    }),
  }
}

