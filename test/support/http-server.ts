import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { serve } from '@hono/node-server'
import type { TestContext } from './app.ts'

export interface HttpServer {
  /** `http://127.0.0.1:<port>`, no trailing slash. */
  base: string
  close(): Promise<void>
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.close((err) => (err ? reject(err) : resolve()))
    // Keep-alive sockets of fetch or a browser would hold `close` open until they time out.
    server.closeAllConnections()
  })
}

/** The real app of `t` on @hono/node-server, on 127.0.0.1 at a free port (end-to-end tests). */
export function startHttpServer(t: TestContext): Promise<HttpServer> {
  return new Promise((resolve, reject) => {
    const server = serve({ fetch: t.app.fetch, port: 0, hostname: '127.0.0.1' }, (info) => {
      // As npm start allows its own port (`nodeDefaultHosts`): the Host names it, and ALLOWED_HOSTS checks ports.
      t.deps.config.allowedHosts?.push(`127.0.0.1:${info.port}`, `localhost:${info.port}`)
      resolve({ base: `http://127.0.0.1:${info.port}`, close: () => closeServer(server as Server) })
    })
    server.once('error', reject)
  })
}

/** A port on 127.0.0.1 that nothing listens on (for a redirect URI that is never contacted). */
export async function unusedPort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', resolve)
  })
  const { port } = server.address() as AddressInfo
  await closeServer(server)
  return port
}

/** A client's redirect URI: a tiny server on 127.0.0.1 that answers 200 "ok" at `/callback`, 404 elsewhere. */
export interface Callback {
  /** `http://127.0.0.1:<port>/callback` */
  url: string
  /** The absolute URLs of the requests to `/callback` (not e.g. a browser's `/favicon.ico`), in order. */
  received: URL[]
  close(): Promise<void>
}

export async function startCallbackServer(): Promise<Callback> {
  const received: URL[] = []
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', `http://${req.headers.host ?? '127.0.0.1'}`)
    if (url.pathname !== '/callback') return void res.writeHead(404).end()
    received.push(url)
    res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8' }).end('ok')
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', resolve)
  })
  const { port } = server.address() as AddressInfo
  return { url: `http://127.0.0.1:${port}/callback`, received, close: () => closeServer(server) }
}
