/**
 * The Worker for `npm run bench:edge`, in workerd. By default the bundle `wrangler deploy` would upload
 * (`--dry-run --outdir`, minified as in wrangler.toml) served by Miniflare, wrangler's own workerd runner, with
 * nothing in front: a request goes from the client straight to the Worker, as it does at Cloudflare's edge.
 * `wrangler dev` (`--runner wrangler-dev`) puts its development proxy in front (a second workerd process that
 * forwards every request, for live reload and the inspector), which costs 3-4 ms a request on this machine: the
 * benchmark would measure the proxy, not the Worker.
 */
import { execFileSync, spawn } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Miniflare } from 'miniflare'
import WebSocket from 'ws'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const WRANGLER = join(ROOT, 'node_modules/.bin/wrangler')
const QUIET = { ...process.env, WRANGLER_SEND_METRICS: 'false' }

export type Runner = 'workerd' | 'wrangler-dev' | 'node'

export interface BenchWorker {
  /** `http://127.0.0.1:<port>`, no trailing slash. */
  url: string
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

async function viaMiniflare(vars: Record<string, string>, profile: boolean): Promise<BenchWorker> {
  const outdir = await mkdtemp(join(tmpdir(), 'edge-oidc-bench-worker-'))
  // A profile needs the functions' names: the same bundle, not minified.
  execFileSync(WRANGLER, ['deploy', '--dry-run', '--outdir', outdir, ...(profile ? ['--no-minify'] : [])],
    { cwd: ROOT, env: QUIET, stdio: ['ignore', 'ignore', 'inherit'] })
  const inspectorPort = profile ? await freePort() : undefined
  const toml = await readFile(join(ROOT, 'wrangler.toml'), 'utf8')
  const compatibilityDate = /^compatibility_date\s*=\s*"([^"]+)"/m.exec(toml)?.[1]
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
  return { url, ...(session && { profile: () => session.start() }), async stop() {
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
  return { url, stop }
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
  return { url, ...(session && { profile: async () => {
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

export async function startFloorWorker(vars: { DATABASE_URL: string; NEON_HTTP_ENDPOINT: string }): Promise<BenchWorker> {
  const mf = new Miniflare({ modules: true, script: FLOOR_WORKER, bindings: vars, host: '127.0.0.1',
    port: await freePort(), logRequests: false, handleStructuredLogs: () => {} })
  const url = (await mf.ready).origin
  await waitUntilServing(url)
  return { url, stop: () => mf.dispose() }
}

/** Start the Worker with `vars` as its environment; `profile` opens its isolate's inspector (not wrangler-dev). */
export function startWorker(vars: Record<string, string>, runner: Runner = 'workerd', profile = false): Promise<BenchWorker> {
  if (runner === 'node') return inNode(vars, profile)
  return runner === 'wrangler-dev' ? viaWranglerDev(vars) : viaMiniflare(vars, profile)
}
