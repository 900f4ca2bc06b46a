/**
 * The servers `npm run bench` and `npm run soak` measure, each in its own process: `startServer` spawns `node [node
 * options] --import tsx <script>` with `PORT` and its environment, pinned to one CPU (`taskset -c`, Debian's
 * util-linux) when asked, its output passed on line by line when asked, and waits until it answers `GET /`;
 * `startEdgeOidc` is `npm start`'s server (src/node.ts) on PGlite or on the PostgreSQL at `DATABASE_URL`, with its
 * admin API; `createTokenClient` makes a provider (ES256) and its application for the token requests; `pinProcess`
 * moves a running process (every thread) to some CPUs.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import {
  createProviderApp, defaultMappingPks, generateKeyPair, type AdminApi, type Provider,
} from '../test/support/fixtures.ts'
import { unusedPort } from '../test/support/http-server.ts'
import { adminApi } from './bench-client.ts'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
export const ADMIN_TOKEN = 'bench-admin-token-0123456789'
export const REDIRECT = 'https://rp.bench/callback'

export interface BenchServer { base: string; server: ChildProcess; stop(): Promise<void> }

export interface ServerOptions {
  /** The CPU to run it on alone (`taskset -c`). */
  cpu?: number
  /** Its output (stdout and stderr), line by line; without it the output is dropped. */
  onLine?: (line: string) => void
}

/**
 * A server in its own process: `node [node options] --import tsx <script>` (`argv`'s last entry) with `PORT` and
 * `env`, on CPU `cpu` alone when given, once it answers `GET /`; its output handed to `onLine` when given. A server
 * that exits before it answers fails at once.
 */
export async function startServer(argv: string[], env: Record<string, string>,
  { cpu, onLine }: ServerOptions = {}): Promise<BenchServer> {
  const port = await unusedPort()
  const base = `http://127.0.0.1:${port}`
  const script = argv.at(-1)!
  const node = [process.execPath, ...argv.slice(0, -1), '--import', 'tsx', script]
  // taskset execs node: the child's pid is node's.
  const [command, ...args] = cpu === undefined ? node : ['taskset', '-c', String(cpu), ...node]
  const server = spawn(command!, args, { cwd: ROOT, stdio: onLine ? ['ignore', 'pipe', 'pipe'] : 'ignore',
    env: { ...process.env, ...env, PORT: String(port) } })
  if (onLine) for (const stream of [server.stdout!, server.stderr!]) createInterface({ input: stream }).on('line', onLine)
  const exited = new Promise<void>((resolve) => server.once('exit', () => resolve()))
  const stop = async () => {
    if (server.exitCode === null && server.signalCode === null) server.kill('SIGTERM')
    await exited
  }
  for (let i = 0; !(await fetch(`${base}/`).then(() => true, () => false)); i++) {
    if (server.exitCode !== null || server.signalCode !== null) {
      await stop()
      throw new Error(`${script} exited during start-up (${server.exitCode ?? server.signalCode})`)
    }
    if (i > 120) {
      await stop()
      throw new Error(`${script} did not start within 60 s`)
    }
    await new Promise((resolve) => setTimeout(resolve, 500))
  }
  return { base, server, stop }
}

export interface EdgeOidcOptions {
  /** PostgreSQL instead of PGlite (in a data folder of its own, removed when it stops). */
  databaseUrl?: string
  cpu?: number
  /** A folder: the server runs under `node --cpu-prof` and writes its profile there. */
  profile?: string
  /** More of its environment (`PURGE_INTERVAL_SECONDS`...). */
  env?: Record<string, string>
  /** Its log, line by line (see {@link startServer}). */
  onLine?: (line: string) => void
}

/** `npm start`'s server in its own process, with the admin token {@link ADMIN_TOKEN} and its admin API. */
export async function startEdgeOidc(options: EdgeOidcOptions = {}): Promise<BenchServer & { api: AdminApi }> {
  const dataDir = await mkdtemp(join(tmpdir(), 'edge-oidc-bench-'))
  const profile = options.profile ? ['--cpu-prof', '--cpu-prof-dir', options.profile] : []
  const started = await startServer([...profile, 'src/node.ts'], { DATA_DIR: dataDir, ADMIN_TOKEN,
    PASSWORD_ITERATIONS: '10000', ...(options.databaseUrl && { DATABASE_URL: options.databaseUrl,
      SECRET_KEY: 'bench-secret-key-0123456789abcdefghijklmnopqrstuvwxyz' }), ...options.env },
    options)
    .catch(async (err: unknown) => {
      await rm(dataDir, { recursive: true, force: true })
      throw err
    })
  return { ...started, api: adminApi(started.base, ADMIN_TOKEN), async stop() {
    await started.stop()
    await rm(dataDir, { recursive: true, force: true })
  } }
}

/**
 * A provider `slug` with `grants`, signing with a new P-256 key (ES256), the default scope mappings and the
 * redirect URI {@link REDIRECT}, and its application.
 */
export async function createTokenClient(api: AdminApi, slug: string, grants: string[]): Promise<Provider> {
  const key = await generateKeyPair(api, slug, { alg: 'ecdsa', key_size: 256 })
  return createProviderApp(api, slug, { signing_key: key.pk, grant_types: grants,
    redirect_uris: [{ matching_mode: 'strict', url: REDIRECT }], property_mappings: await defaultMappingPks(api) })
}

/** Pins the running process `pid` (every thread; children it forks later inherit it) to `cpus` (`0`, `0-1`). */
export function pinProcess(pid: number, cpus: string): void {
  execFileSync('taskset', ['-a', '-p', '-c', cpus, String(pid)], { stdio: 'ignore' })
}
