import { connect, type Socket } from 'node:net'
import type { AddressInfo } from 'node:net'
import { WebSocketServer, type WebSocket } from 'ws'

/** A running bridge: `proxy` is the `host:port` that `NEON_WS_PROXY` takes. */
export interface WsBridge {
  proxy: string
  /** Sockets currently open, for tests that check nothing leaks. */
  open(): number
  close(): Promise<void>
}

/**
 * A WebSocket-to-TCP bridge in the shape of Neon's `wsproxy`: `ws://<proxy>/v1?address=<host>:<port>` opens a
 * TCP connection to `host:port` and relays binary frames both ways. Only `target` may be reached, so the
 * bridge is no open relay even on loopback.
 */
export async function startWsBridge(target: { host: string; port: number }): Promise<WsBridge> {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0 })
  const pairs = new Set<{ ws: WebSocket; tcp: Socket }>()

  server.on('connection', (ws, request) => {
    const address = new URL(request.url ?? '/', 'http://bridge').searchParams.get('address')
    if (address !== `${target.host}:${target.port}`) {
      ws.close(1008, 'address not allowed')
      return
    }
    const tcp = connect({ host: target.host, port: target.port })
    const pair = { ws, tcp }
    pairs.add(pair)
    const pending: Buffer[] = []
    let connected = false
    tcp.on('connect', () => {
      connected = true
      for (const chunk of pending.splice(0)) tcp.write(chunk)
    })
    ws.on('message', (data: Buffer | ArrayBuffer | Buffer[]) => {
      const chunk = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer)
      if (connected) tcp.write(chunk)
      else pending.push(chunk)
    })
    tcp.on('data', (chunk) => {
      if (ws.readyState === ws.OPEN) ws.send(chunk)
    })
    const end = () => {
      pairs.delete(pair)
      tcp.destroy()
      if (ws.readyState === ws.OPEN || ws.readyState === ws.CONNECTING) ws.close()
    }
    tcp.on('close', end)
    tcp.on('error', end)
    ws.on('close', end)
    ws.on('error', end)
  })

  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve)
    server.once('error', reject)
  })
  const { port } = server.address() as AddressInfo

  return {
    proxy: `127.0.0.1:${port}`,
    open: () => pairs.size,
    close: () => new Promise<void>((resolve) => {
      for (const { ws, tcp } of pairs) {
        tcp.destroy()
        ws.terminate()
      }
      pairs.clear()
      server.close(() => resolve())
    }),
  }
}
