import type { Server } from 'node:http'
import { serve } from '@hono/node-server'

/** How long in-flight requests get to finish after SIGTERM or SIGINT before their connections are cut. */
export const SHUTDOWN_GRACE_MS = 10_000

export class PortInUse extends Error {
  override name = 'PortInUse'
}

/** Listen on `port` (all interfaces); a port already taken rejects with a `PortInUse` naming `PORT`. */
export function listen(fetch: (request: Request, env: unknown) => Response | Promise<Response>, port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = serve({ fetch, port, hostname: '0.0.0.0' }) as Server
    server.once('listening', () => resolve(server))
    server.once('error', (err: NodeJS.ErrnoException) => {
      reject(err.code === 'EADDRINUSE' || err.code === 'EACCES'
        ? new PortInUse(`edge-oidc: cannot listen on port ${port} (${err.code === 'EACCES' ? 'not permitted' : 'in use'}): set PORT to a free port`)
        : err)
    })
  })
}

/**
 * Stop on SIGTERM or SIGINT: stop accepting (`server.close`), let in-flight requests finish for at most
 * `graceMs` (idle keep-alive connections are closed at once, the rest when the grace ends), run `cleanUp`
 * (the purge timer, the database), log one line and exit 0. A second signal during the wait exits at once.
 */
export function stopOnSignals(server: Server, cleanUp: () => Promise<void>, graceMs = SHUTDOWN_GRACE_MS): void {
  let stopping = false
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) process.exit(1)
    stopping = true
    const started = Date.now()
    const cut = setTimeout(() => server.closeAllConnections(), graceMs)
    server.close(() => {
      clearTimeout(cut)
      void cleanUp().catch(() => {}).finally(() => {
        console.log(JSON.stringify({ level: 'info', time: new Date().toISOString(), msg: 'stopped', signal,
          ms: Date.now() - started }))
        process.exit(0)
      })
    })
    server.closeIdleConnections()
  }
  process.on('SIGTERM', stop)
  process.on('SIGINT', stop)
}
