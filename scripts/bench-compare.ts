/**
 * `npm run bench -- --compare`: `client_credentials` throughput of `npm start`'s server on PostgreSQL (the
 * `DATABASE_URL` path: every token persisted) beside node-oidc-provider (scripts/bench-oidc-provider.ts: its memory
 * adapter, JWT access tokens signed ES256), both on this machine in one run. Both servers and PostgreSQL run on CPU 0
 * (`taskset`), the load generator (scripts/bench-load.ts, its own process) alone on CPU 1, with `connections`
 * keep-alive connections sending the same plain request (`grant_type=client_credentials`, the client's secret in
 * HTTP Basic). After an untimed warm-up round each, `rounds` rounds of `seconds` each, alternating (edge-oidc,
 * oidc-provider, edge-oidc, ...). It answers the lines to print: every round, the medians, the answers that were
 * not 2xx by status, and the ratio edge-oidc ÷ oidc-provider of the median req/s (every answer counted, as issue 19
 * measured it; the ratio of 2xx answers beside it), against issue 19's goal: at least 0.5x with no non-2xx.
 */
import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import { fileURLToPath } from 'node:url'
import { benchFetch, jwtsIn } from './bench-client.ts'
import type { LoadResult, LoadSpec } from './bench-load.ts'
import { createTokenClient, pinProcess, startEdgeOidc, startServer, type BenchServer } from './bench-server.ts'
import { median } from './bench-stats.ts'
import { descendants } from './proc-cpu.ts'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const SERVER_CPU = 0
const LOAD_CPU = 1

export interface CompareOptions { rounds: number; seconds: number; warmupSeconds: number; connections: number }

interface Target { name: string; spec: Omit<LoadSpec, 'connections' | 'seconds'>; jwts: number; rounds: LoadResult[] }

/** `scripts/bench-load.ts` on CPU {@link LOAD_CPU} alone: what it measured. */
async function pinnedLoad(spec: LoadSpec): Promise<LoadResult> {
  const load = spawn('taskset', ['-c', String(LOAD_CPU), process.execPath, '--import', 'tsx', 'scripts/bench-load.ts'],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, BENCH_LOAD: JSON.stringify(spec) } })
  let out = ''
  load.stdout.on('data', (chunk: Buffer) => { out += chunk })
  const code = await new Promise<number | null>((resolve) => load.once('exit', resolve))
  if (code !== 0) throw new Error(`the load generator exited with ${code}`)
  return JSON.parse(out.trim().split('\n').at(-1)!) as LoadResult
}

/** The request of `target`, sent once: it must be answered 200; how many JWTs the answer carries. */
async function jwtsPerAnswer(name: string, spec: Target['spec']): Promise<number> {
  const res = await benchFetch(spec.url, { method: 'POST', headers: spec.headers, body: spec.body })
  const text = await res.text()
  if (res.status !== 200) throw new Error(`${name} answered the benchmark's request ${res.status}: ${text}`)
  return jwtsIn(JSON.parse(text) as Record<string, unknown>)
}

const tokenRequest = (url: string, clientId: string, secret: string): Target['spec'] => ({ url,
  headers: { Authorization: `Basic ${btoa(`${clientId}:${secret}`)}`, 'Content-Type': 'application/x-www-form-urlencoded' },
  body: 'grant_type=client_credentials' })

const perSecond = (r: LoadResult) => r.answers / r.seconds
const ok = (r: LoadResult) => Object.entries(r.statuses).reduce((n, [s, c]) => (/^2\d\d$/.test(s) ? n + c : n), 0)
const notOk = (r: LoadResult) => r.answers - ok(r)
/** `429 × 422, 500 × 1`, or `0`. */
const byStatus = (results: readonly LoadResult[]): string => {
  const sum: Record<string, number> = {}
  for (const r of results) for (const [s, c] of Object.entries(r.statuses)) if (!/^2\d\d$/.test(s)) sum[s] = (sum[s] ?? 0) + c
  return Object.entries(sum).map(([s, c]) => `${s} × ${c}`).join(', ') || '0'
}

/** The comparison on the PostgreSQL at `databaseUrl` (a child of this process): the lines to print. */
export async function compare(databaseUrl: string, options: CompareOptions): Promise<string[]> {
  const cpus = availableParallelism()
  if (cpus < 2) throw new Error(`--compare needs two CPUs (one for the servers, one for the load); this machine has ${cpus}`)
  const postgres = descendants(process.pid).filter((p) => p.comm === 'postgres')
  for (const p of postgres) pinProcess(p.pid, String(SERVER_CPU))
  const servers: BenchServer[] = []
  try {
    const edge = await startEdgeOidc({ databaseUrl, cpu: SERVER_CPU })
    servers.push(edge)
    const client = await createTokenClient(edge.api, 'bench-compare', ['client_credentials'])
    const secret = randomBytes(32).toString('hex')
    const anchor = await startServer(['scripts/bench-oidc-provider.ts'],
      { CLIENT_ID: 'bench-oidc-provider', CLIENT_SECRET: secret }, { cpu: SERVER_CPU })
    servers.push(anchor)
    const version = (JSON.parse(readFileSync(`${ROOT}/node_modules/oidc-provider/package.json`, 'utf8')) as { version: string }).version
    const targets: Target[] = [
      { name: 'edge-oidc (npm start, PostgreSQL)',
        spec: tokenRequest(`${edge.base}/application/o/token/`, client.client_id, client.client_secret), jwts: 0, rounds: [] },
      { name: `oidc-provider ${version} (memory adapter)`,
        spec: tokenRequest(`${anchor.base}/token`, 'bench-oidc-provider', secret), jwts: 0, rounds: [] },
    ]
    for (const t of targets) {
      t.jwts = await jwtsPerAnswer(t.name, t.spec)
      await pinnedLoad({ ...t.spec, connections: options.connections, seconds: options.warmupSeconds })
    }
    for (let round = 0; round < options.rounds; round++) {
      for (const t of targets) t.rounds.push(await pinnedLoad({ ...t.spec, connections: options.connections, seconds: options.seconds }))
    }
    return report(targets, options, cpus)
  } finally {
    for (const s of servers) await s.stop()
    for (const p of postgres) {
      try {
        pinProcess(p.pid, `0-${cpus - 1}`)
      } catch {
        // it has exited
      }
    }
  }
}

function report(targets: readonly Target[], options: CompareOptions, cpus: number): string[] {
  const [edge, anchor] = targets as [Target, Target]
  const lines = [`\ncompare: client_credentials, ${options.connections} connections, ${options.rounds} rounds of ${
    options.seconds} s each (after ${options.warmupSeconds} s untimed), alternating; both servers and PostgreSQL on CPU ${
    SERVER_CPU}, the load generator alone on CPU ${LOAD_CPU} (Node ${process.versions.node}, ${cpus} CPUs)\n`,
  `| round | ${targets.map((t) => `${t.name} req/s | its non-2xx`).join(' | ')} |`, '|---|---|---|---|---|']
  for (let i = 0; i < options.rounds; i++) {
    lines.push(`| ${i + 1} | ${targets.map((t) => `${perSecond(t.rounds[i]!).toFixed(0)} | ${byStatus([t.rounds[i]!])}`).join(' | ')} |`)
  }
  lines.push('', '| server | median req/s | median 2xx/s | answers in all | non-2xx in all | JWTs per answer |',
    '|---|---|---|---|---|---|')
  const rate = (t: Target) => median(t.rounds.map(perSecond))
  const okRate = (t: Target) => median(t.rounds.map((r) => ok(r) / r.seconds))
  for (const t of targets) {
    lines.push(`| ${t.name} | ${rate(t).toFixed(0)} | ${okRate(t).toFixed(0)} | ${t.rounds.reduce((n, r) => n + r.answers, 0)} | `
      + `${byStatus(t.rounds)} | ${t.jwts} |`)
  }
  const ratio = rate(edge) / rate(anchor)
  const clean = edge.rounds.every((r) => notOk(r) === 0)
  lines.push('', `edge-oidc ÷ oidc-provider: ${ratio.toFixed(2)}x (2xx answers only: ${(okRate(edge) / okRate(anchor)).toFixed(2)}x);`
    + ` goal at least 0.5x with no non-2xx: ${ratio >= 0.5 && clean ? 'met' : `not met${clean ? '' : ` (${byStatus(edge.rounds)})`}`}`)
  return lines
}
