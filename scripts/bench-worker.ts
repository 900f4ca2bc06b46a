/**
 * The Worker for `npm run bench:edge`, in workerd: the bundle `wrangler deploy` would upload (`--dry-run --outdir`,
 * minified as in wrangler.toml). By default workerd serves it alone (`workerd serve` with a generated config:
 * scripts/bench-worker.ts `viaWorkerd`), nothing in front: a request goes from the client straight to the Worker,
 * as it does at Cloudflare's edge, and the client adds the header Cloudflare's front adds (`CF-Connecting-IP`).
 * `--runner miniflare` serves it through Miniflare, whose entry Worker handles every request before the Worker
 * does (about 0.7 ms a request on this machine); `--profile` uses it, for its inspector. `wrangler dev`
 * (`--runner wrangler-dev`) puts its development proxy in front as well (a second workerd process that forwards
 * every request, for live reload and the inspector), which costs 3-4 ms a request here.
 */
import { execFileSync, spawn } from 'node:child_process'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Miniflare } from 'miniflare'
import WebSocket from 'ws'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const WRANGLER = join(ROOT, 'node_modules/.bin/wrangler')
const QUIET = { ...process.env, WRANGLER_SEND_METRICS: 'false' }
/** The workerd binary Miniflare and wrangler run (the `workerd` package, their dependency, exports its path). */
const WORKERD = (createRequire(import.meta.url)('workerd') as { default: string }).default

export type Runner = 'workerd' | 'miniflare' | 'wrangler-dev' | 'node'

export interface BenchWorker {
  /** `http://127.0.0.1:<port>`, no trailing slash. */
  url: string
  /**
   * Headers the client adds to every request: what Cloudflare's front would set (`CF-Connecting-IP`) where nothing
   * in front of the Worker sets it (Miniflare's entry Worker and wrangler's proxy do).
   */
  edgeHeaders: Record<string, string>
  /** With `profile`: starts V8's CPU profiler in the Worker's isolate; the answer stops it and returns the profile. */
  profile?: () => Promise<() => Promise<unknown>>
  stop(): Promise<void>
}

/** One DevTools session with the Worker's isolate (workerd's inspector). */
async function devtools(inspectorPort: number) {
  const targets = await (await fetch(`http://127.0.0.1:${inspectorPort}/json`)).json() as Array<{ webSocketDebuggerUrl: string }>
  const ws = new WebSocket(targets[0]!.webSocketDebuggerUrl)
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve())
    ws.once('error', reject)
  })
  let id = 0
  const call = (method: string, params: Record<string, unknown> = {}) => new Promise<Record<string, unknown>>((resolve) => {
    const mine = ++id
    const onMessage = (data: WebSocket.RawData) => {
      const message = JSON.parse(String(data)) as { id?: number; result?: Record<string, unknown> }
      if (message.id !== mine) return
      ws.off('message', onMessage)
      resolve(message.result ?? {})
    }
    ws.on('message', onMessage)
    ws.send(JSON.stringify({ id: mine, method, params }))
  })
  await call('Profiler.enable')
  await call('Profiler.setSamplingInterval', { interval: 100 })
  return {
    async start() {
      await call('Profiler.start')
      return async () => (await call('Profiler.stop')).profile
    },
    close: () => ws.close(),
  }
}

async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as { port: number }).port
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}

async function waitUntilServing(url: string): Promise<void> {
  for (let i = 0; !(await fetch(`${url}/`).then((res) => res.arrayBuffer(), () => null)); i++) {
    if (i > 120) throw new Error('the Worker did not start within 60 s')
    await new Promise((resolve) => setTimeout(resolve, 500))
  }
}

/** The bundle `wrangler deploy` would upload, in a new temporary directory; unminified for a profile (names). */
async function buildBundle(profile: boolean): Promise<{ outdir: string; compatibilityDate: string }> {
  const outdir = await mkdtemp(join(tmpdir(), 'edge-oidc-bench-worker-'))
  execFileSync(WRANGLER, ['deploy', '--dry-run', '--outdir', outdir, ...(profile ? ['--no-minify'] : [])],
    { cwd: ROOT, env: QUIET, stdio: ['ignore', 'ignore', 'inherit'] })
  return { outdir, compatibilityDate: await compatibilityDate() }
}

/** wrangler.toml's `compatibility_date`, which `wrangler deploy` would deploy with. */
async function compatibilityDate(): Promise<string> {
  const toml = await readFile(join(ROOT, 'wrangler.toml'), 'utf8')
  const date = /^compatibility_date\s*=\s*"([^"]+)"/m.exec(toml)?.[1]
  if (!date) throw new Error('wrangler.toml has no compatibility_date')
  return date
}

/** The address Cloudflare's front puts in `CF-Connecting-IP`: the client's, here loopback. */
const CLIENT_ADDRESS = { 'CF-Connecting-IP': '127.0.0.1' }

/**
 * `workerd serve` with a config of our own (Cap'n Proto text, as the workerd README writes them): one Worker,
 * `worker.js` in `dir` as its only module, `vars` as text bindings, its subrequests through a network service that
 * may reach loopback (where the endpoint is), listening on `127.0.0.1:<port>`. Its log lines are dropped, its
 * errors (stderr) shown. `dir` is a temporary directory it removes when it stops (or fails to start).
 */
async function serveWithWorkerd(dir: string, compatibilityDate: string, vars: Record<string, string>): Promise<BenchWorker> {
  const removeDir = () => rm(dir, { recursive: true, force: true })
  const port = await freePort()
  const text = (value: string) => JSON.stringify(value) // a Cap'n Proto text literal, for these ASCII values
  await writeFile(join(dir, 'bench.capnp'), `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [
    (name = "worker", worker = .worker),
    (name = "loopback", network = (allow = ["public", "private", "local"])),
  ],
  sockets = [(name = "http", address = ${text(`127.0.0.1:${port}`)}, http = (), service = "worker")],
);
const worker :Workerd.Worker = (
  modules = [(name = "worker.js", esModule = embed "worker.js")],
  compatibilityDate = ${text(compatibilityDate)},
  bindings = [${Object.entries(vars).map(([name, value]) => `(name = ${text(name)}, text = ${text(value)})`).join(', ')}],
  globalOutbound = "loopback",
);
`)
  const workerd = spawn(WORKERD, ['serve', join(dir, 'bench.capnp')], { stdio: ['ignore', 'ignore', 'inherit'] })
  const exited = new Promise<void>((resolve) => workerd.once('exit', () => resolve()))
  const stop = async () => {
    workerd.kill('SIGTERM')
    await exited
    await removeDir()
  }
  const url = `http://127.0.0.1:${port}`
  await waitUntilServing(url).catch(async (err: unknown) => {
    await stop()
    throw err
  })
  return { url, edgeHeaders: CLIENT_ADDRESS, stop }
}

async function viaWorkerd(vars: Record<string, string>): Promise<BenchWorker> {
  const { outdir, compatibilityDate } = await buildBundle(false)
  return serveWithWorkerd(outdir, compatibilityDate, vars)
}

async function viaMiniflare(vars: Record<string, string>, profile: boolean): Promise<BenchWorker> {
  // A profile needs the functions' names: the same bundle, not minified.
  const { outdir, compatibilityDate } = await buildBundle(profile)
  const inspectorPort = profile ? await freePort() : undefined
  const mf = new Miniflare({ modules: true, modulesRoot: outdir, scriptPath: join(outdir, 'worker.js'),
    compatibilityDate, bindings: vars, host: '127.0.0.1', port: await freePort(),
    ...(inspectorPort !== undefined && { inspectorPort }),
    // The Worker still writes its request log lines (as at the edge, where Workers Logs collects them); the
    // benchmark prints only its errors, and Miniflare adds no request log of its own.
    logRequests: false,
    handleStructuredLogs: ({ level, message }: { level: string; message: string }) => {
      if (level === 'error') console.error(message)
    } })
  const url = (await mf.ready).origin
  await waitUntilServing(url)
  const session = inspectorPort === undefined ? undefined : await devtools(inspectorPort)
  // Miniflare's entry Worker sets CF-Connecting-IP itself.
  return { url, edgeHeaders: {}, ...(session && { profile: () => session.start() }), async stop() {
    session?.close()
    await mf.dispose()
    await rm(outdir, { recursive: true, force: true })
  } }
}

async function viaWranglerDev(vars: Record<string, string>): Promise<BenchWorker> {
  const port = await freePort()
  const wrangler = spawn(WRANGLER, ['dev', '--ip', '127.0.0.1', '--port', String(port), '--log-level', 'error',
    ...Object.entries(vars).flatMap(([k, v]) => ['--var', `${k}:${v}`])],
  { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'], env: QUIET })
  const url = `http://127.0.0.1:${port}`
  const exited = new Promise<void>((resolve) => wrangler.once('exit', () => resolve()))
  const stop = async () => {
    wrangler.kill('SIGTERM')
    await exited
  }
  await waitUntilServing(url).catch(async (err: unknown) => {
    await stop()
    throw err
  })
  return { url, edgeHeaders: {}, stop }
}

/**
 * The Worker's own entry (src/worker.ts, its fetch handler and isolate set-up unchanged) in this Node process,
 * behind @hono/node-server: not workerd, but the same code on the same V8, so that `--profile` (this process's
 * inspector) gets the Worker's JavaScript with names and lines (`--runner node`). Its `waitUntil` tasks run unawaited.
 */
async function inNode(vars: Record<string, string>, profile: boolean): Promise<BenchWorker> {
  const { serve } = await import('@hono/node-server')
  const { Session } = await import('node:inspector/promises')
  const session = profile ? new Session() : undefined
  if (session) {
    session.connect()
    await session.post('Profiler.enable')
    await session.post('Profiler.setSamplingInterval', { interval: 100 })
  }
  const worker = (await import('../src/worker.ts')).default
  const ctx = { waitUntil: (p: Promise<unknown>) => void p.catch(() => {}), passThroughOnException: () => {} }
  const port = await freePort()
  const server = serve({ port, hostname: '127.0.0.1',
    fetch: (request: Request) => worker.fetch(request as never, vars as never, ctx as never) as unknown as Promise<Response> })
  const url = `http://127.0.0.1:${port}`
  await waitUntilServing(url)
  return { url, edgeHeaders: CLIENT_ADDRESS, ...(session && { profile: async () => {
    await session.post('Profiler.start')
    return async () => (await session.post('Profiler.stop')).profile
  } }), stop: () => new Promise<void>((resolve) => server.close(() => resolve())) }
}

/**
 * The benchmark's floor: a Worker in Miniflare that only sends `?statements=N` statements `select 1` one after
 * another through Neon's HTTP protocol, as the real one sends its own (the same headers, one `fetch` each), writes
 * one log line and answers. What a request costs beyond its round trips with no work of ours in it: workerd, its
 * subrequests, the endpoint and this machine.
 */
const FLOOR_WORKER = `export default { async fetch(request, env) {
  const n = Number(new URL(request.url).searchParams.get('statements') ?? '0')
  for (let i = 0; i < n; i++) {
    const res = await fetch(env.NEON_HTTP_ENDPOINT, { method: 'POST', headers: { 'Neon-Connection-String': env.DATABASE_URL,
      'Neon-Raw-Text-Output': 'true', 'Neon-Array-Mode': 'true', 'Content-Type': 'application/json' },
      body: JSON.stringify({ query: 'select 1', params: [] }) })
    await res.json()
  }
  console.log(JSON.stringify({ level: 'info', msg: 'request', statements: n }))
  return new Response('ok')
} }`

/** The floor Worker, served as the Worker is (`runner`: workerd alone, or Miniflare). */
export async function startFloorWorker(vars: { DATABASE_URL: string; NEON_HTTP_ENDPOINT: string },
  runner: Runner = 'workerd'): Promise<BenchWorker> {
  if (runner === 'workerd') {
    const dir = await mkdtemp(join(tmpdir(), 'edge-oidc-bench-floor-'))
    await writeFile(join(dir, 'worker.js'), FLOOR_WORKER)
    return serveWithWorkerd(dir, await compatibilityDate(), vars)
  }
  const mf = new Miniflare({ modules: true, script: FLOOR_WORKER, bindings: vars, host: '127.0.0.1',
    port: await freePort(), logRequests: false, handleStructuredLogs: () => {} })
  const url = (await mf.ready).origin
  await waitUntilServing(url)
  return { url, edgeHeaders: {}, stop: () => mf.dispose() }
}

/** What serves the Worker for `runner`: workerd alone has no inspector, so a profile goes through Miniflare. */
export const servingRunner = (runner: Runner, profile: boolean): Runner =>
  runner === 'workerd' && profile ? 'miniflare' : runner

/** Start the Worker with `vars` as its environment; `profile` opens its isolate's inspector (not wrangler-dev). */
export function startWorker(vars: Record<string, string>, runner: Runner = 'workerd', profile = false): Promise<BenchWorker> {
  const serving = servingRunner(runner, profile)
  if (serving === 'node') return inNode(vars, profile)
  if (serving === 'wrangler-dev') return viaWranglerDev(vars)
  return serving === 'miniflare' ? viaMiniflare(vars, profile) : viaWorkerd(vars)
}
