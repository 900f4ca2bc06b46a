/**
 * `npm run bench`: throughput and CPU on this machine. `npm start`'s server (src/node.ts, a child process), once on
 * PGlite (the database inside the server's process) and once on PostgreSQL (`DATABASE_URL`, the embedded server of
 * the workerd tests, its own process), under `--concurrency` parallel clients: req/s, p50 and p99 of client
 * credentials, code exchange and userinfo over `--requests` requests each, and the server process's CPU (user +
 * system, from /proc on Linux) per issued token during the client credentials run. That CPU is set against the
 * same stack's floor (scripts/bench-floor.ts: a server that only reads the form, sends `select 1` and signs two
 * tokens, under the same load), with one statement and with two; issue 19's goal is at most 1.5x the one-statement
 * floor. A bare jose ES256 sign in this process is printed beside them. On PGlite that CPU includes the database's;
 * on PostgreSQL it is the app's alone (HTTP, routing, drizzle, signing). Then issue 19's concurrency row
 * (scripts/bench-concurrency.ts) on each database. With `--compare`, last, client credentials req/s beside
 * node-oidc-provider (scripts/bench-compare.ts; `--rounds`, `--seconds`, `--connections`). A benchmark, not a
 * test: it prints figures.
 */
import { loadavg } from 'node:os'
import { parseArgs } from 'node:util'
import { generateKeyPair as joseKeyPair, SignJWT } from 'jose'
import { formFields } from '../test/support/browser-forms.ts'
import { createUserWithPassword, PASSWORD } from '../test/support/fixtures.ts'
import { startTestPostgres } from '../test/support/postgres.ts'
import { benchFetch, Browser, jwtsIn } from './bench-client.ts'
import { compare } from './bench-compare.ts'
import { concurrency, concurrencyLines, type Burst } from './bench-concurrency.ts'
import { createTokenClient, REDIRECT, startEdgeOidc, startServer } from './bench-server.ts'
import { quantile } from './bench-stats.ts'
import { descendantsCpuMs, processCpuMs } from './proc-cpu.ts'

const { values: args } = parseArgs({ options: {
  requests: { type: 'string', default: '400' }, concurrency: { type: 'string', default: '8' },
  /** A folder: the server runs under `node --cpu-prof` and writes its profile there. */
  profile: { type: 'string' },
  /** Client credentials beside node-oidc-provider: `--rounds` rounds of `--seconds` each, `--connections`. */
  compare: { type: 'boolean', default: false },
  rounds: { type: 'string', default: '5' }, seconds: { type: 'string', default: '10' },
  connections: { type: 'string', default: '16' },
} })
const N = Number(args.requests)
const CONCURRENCY = Number(args.concurrency)
const GRANTS = ['authorization_code', 'refresh_token', 'client_credentials']
/** Issue 19's goal: the app's CPU per token at most this many times the one-statement floor's. */
const FLOOR_GOAL = 1.5

/** `N` requests, `CONCURRENCY` at a time: req/s, p50, p99. */
async function load(name: string, send: (i: number) => Promise<Response>): Promise<string> {
  const samples: number[] = []
  let next = 0
  const started = performance.now()
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    for (let i = next++; i < N; i = next++) {
      const t0 = performance.now()
      const res = await send(i)
      await res.arrayBuffer()
      if (res.status !== 200) throw new Error(`${name}: ${res.status}`)
      samples.push(performance.now() - t0)
    }
  }))
  const seconds = (performance.now() - started) / 1000
  return `| ${name} | ${(N / seconds).toFixed(0)} | ${quantile(samples, 0.5).toFixed(1)} | ${quantile(samples, 0.99).toFixed(1)} |`
}

/**
 * Per issued token: CPU ms of the server process and of the PostgreSQL server (null: PGlite, or not measured); the
 * concurrency row's bursts.
 */
interface Run {
  rows: string[]; serverCpuMsPerToken: number | null; postgresCpuMsPerToken: number | null; bursts: Burst[]
}

/** The server of `npm start` in its own process, on PGlite or on the PostgreSQL at `databaseUrl`. */
async function throughput(databaseUrl?: string): Promise<Run> {
  const { base, server, api, stop } = await startEdgeOidc({ ...(databaseUrl && { databaseUrl }),
    ...(args.profile && { profile: args.profile }) })
  try {
    const client = await createTokenClient(api, 'bench', GRANTS)
    await createUserWithPassword(api, 'bench-user')
    const browser = new Browser(base)
    const browse = (path: string, init?: RequestInit) => browser.request(path, init)
    const fields = formFields(await (await browse('/login')).text())
    await browse('/login', { method: 'POST', headers: { Origin: base },
      body: new URLSearchParams({ ...fields, username: 'bench-user', password: PASSWORD }) })
    const query = new URLSearchParams({ client_id: client.client_id, redirect_uri: REDIRECT, response_type: 'code',
      scope: 'openid profile email' })
    const codes: string[] = []
    for (let i = 0; i <= N; i++) {
      codes.push(new URL((await browse(`/application/o/authorize/?${query}`)).headers.get('Location')!).searchParams.get('code')!)
    }
    const basic = `Basic ${btoa(`${client.client_id}:${client.client_secret}`)}`
    const token = (params: Record<string, string>) => benchFetch(`${base}/application/o/token/`, { method: 'POST',
      headers: { Authorization: basic }, body: new URLSearchParams(params) })
    const rows: string[] = []
    let serverCpuMsPerToken: number | null = null
    let postgresCpuMsPerToken: number | null = null
    const send = () => token({ grant_type: 'client_credentials', client_secret: client.client_secret, scope: 'openid' })
    const cc = await send()
    if (cc.status === 200) {
      const jwts = jwtsIn(await cc.json() as Record<string, unknown>) // the access token and the ID token
      for (let i = 0; i < 50; i++) await (await send()).arrayBuffer() // warm-up: JIT, caches, connections
      const before = { server: processCpuMs(server.pid!), postgres: databaseUrl ? descendantsCpuMs('postgres') : null }
      rows.push(await load('client credentials', send))
      const after = { server: processCpuMs(server.pid!), postgres: databaseUrl ? descendantsCpuMs('postgres') : null }
      const perToken = (a: number | null, b: number | null) => (a === null || b === null ? null : (b - a) / N / jwts)
      serverCpuMsPerToken = perToken(before.server, after.server)
      postgresCpuMsPerToken = perToken(before.postgres, after.postgres)
    } else rows.push(`| client credentials | not served (${cc.status}) | | |`)
    rows.push(await load('code exchange', (i) => token({ grant_type: 'authorization_code', code: codes[i]!,
      redirect_uri: REDIRECT })))
    const { access_token: bearer } = await (await token({ grant_type: 'authorization_code', code: codes[N]!,
      redirect_uri: REDIRECT })).json() as { access_token: string }
    rows.push(await load('userinfo', () => benchFetch(`${base}/application/o/userinfo/`, {
      headers: { Authorization: `Bearer ${bearer}` } })))
    // Last: the wrong secrets leave their counts behind (on an address and a client of their own).
    const bursts = await concurrency(base, 'bench-burst')
    return { rows, serverCpuMsPerToken, postgresCpuMsPerToken, bursts }
  } finally {
    await stop()
  }
}

/**
 * The floor of the CPU per token on PostgreSQL: scripts/bench-floor.ts, a server on the same stack that reads the
 * form, sends `statements` statements `select 1` and signs two JWTs, under the same load as the client credentials
 * run.
 */
async function floorCpuMsPerToken(databaseUrl: string, statements: number): Promise<number | null> {
  const { base, server, stop } = await startServer(['scripts/bench-floor.ts'],
    { DATABASE_URL: databaseUrl, FLOOR_STATEMENTS: String(statements) })
  try {
    const send = () => benchFetch(`${base}/token`, { method: 'POST',
      headers: { Authorization: `Basic ${btoa(`${'c'.repeat(40)}:${'s'.repeat(128)}`)}` },
      body: new URLSearchParams({ grant_type: 'client_credentials', client_secret: 's'.repeat(128), scope: 'openid' }) })
    for (let i = 0; i < 50; i++) await (await send()).arrayBuffer()
    const before = processCpuMs(server.pid!)
    await load('floor', send)
    const after = processCpuMs(server.pid!)
    return before === null || after === null ? null : (after - before) / N / 2
  } finally {
    await stop()
  }
}

/** A bare jose ES256 sign of a token-sized payload, in this process: ms of CPU each. */
async function signCpuMs(): Promise<number> {
  const { privateKey } = await joseKeyPair('ES256')
  const payload = { iss: 'https://bench', sub: 'x'.repeat(64), aud: 'a'.repeat(40), scope: 'openid' }
  const sign = () => new SignJWT(payload).setProtectedHeader({ alg: 'ES256' }).sign(privateKey)
  for (let i = 0; i < 100; i++) await sign()
  const runs = 1000
  const cpu = process.cpuUsage()
  for (let i = 0; i < runs; i++) await sign()
  const used = process.cpuUsage(cpu)
  return (used.user + used.system) / 1000 / runs
}

/** The CPU table: each database's server CPU per token against a bare sign and the one-statement floor. */
function cpuLines(runs: ReadonlyArray<readonly [string, Run]>, floors: ReadonlyMap<number, number | null>,
  sign: number): string[] {
  const one = floors.get(1) ?? null
  const lines = [`\nCPU of the server process per issued token (client credentials), against a bare jose ES256 sign`
    + ` (${sign.toFixed(3)} ms) and the same stack's one-statement floor (${one === null ? 'not measured' : `${one.toFixed(3)} ms`});`
    + ` goal at most ${FLOOR_GOAL}x that floor:\n`,
  '| database | server process CPU per token ms | ÷ sign | ÷ one-statement floor | within the goal | PostgreSQL server CPU per token ms |',
  '|---|---|---|---|---|---|']
  for (const [db, run] of runs) {
    const cpu = run.serverCpuMsPerToken
    if (cpu === null) {
      lines.push(`| ${db} | not measured | | | | |`)
      continue
    }
    const pg = run.postgresCpuMsPerToken === null ? '' : run.postgresCpuMsPerToken.toFixed(3)
    // On PGlite the database runs inside the server process: no floor of the same stack to hold it to.
    const ratio = db === 'PGlite' || one === null ? null : cpu / one
    lines.push(`| ${db} | ${cpu.toFixed(3)} | ${(cpu / sign).toFixed(1)}x | ${ratio === null ? '(the database inside)' : `${
      ratio.toFixed(1)}x`} | ${ratio === null ? '' : ratio <= FLOOR_GOAL ? 'yes' : 'no'} | ${db === 'PGlite' ? 'inside the server process' : pg} |`)
  }
  for (const [statements, floor] of floors) {
    lines.push(floor === null ? `| floor, ${statements} × select 1 | not measured | | | | |`
      : `| floor: the same stack, form, ${statements} × select 1, 2 signs (scripts/bench-floor.ts) | ${floor.toFixed(3)} | ${
        (floor / sign).toFixed(1)}x | ${one === null ? '' : `${(floor / one).toFixed(1)}x`} | | |`)
  }
  return lines
}

async function main(): Promise<void> {
  const postgres = await startTestPostgres()
  const runs: Array<[string, Run]> = []
  const floors = new Map<number, number | null>()
  let compared: string[] = []
  try {
    runs.push(['PGlite', await throughput()])
    runs.push(['PostgreSQL', await throughput(postgres.databaseUrl)])
    for (const statements of [1, 2]) floors.set(statements, await floorCpuMsPerToken(postgres.databaseUrl, statements))
    if (args.compare) {
      compared = await compare(postgres.databaseUrl, { rounds: Number(args.rounds), seconds: Number(args.seconds),
        warmupSeconds: 3, connections: Number(args.connections) })
    }
  } finally {
    await postgres.stop()
  }
  const sign = await signCpuMs()
  console.log(`\nbench: npm start's server, ${N} requests each, ${CONCURRENCY} at a time\n`)
  console.log('| database | request | req/s | p50 ms | p99 ms |\n|---|---|---|---|---|')
  for (const [db, run] of runs) for (const row of run.rows) console.log(`| ${db} ${row}`)
  for (const line of [...cpuLines(runs, floors, sign), ...concurrencyLines(runs.map(([db, run]) => [db, run.bursts] as const)),
    ...compared]) console.log(line)
  console.log(`\nload average (1, 5, 15 min): ${loadavg().map((x) => x.toFixed(2)).join(', ')}`)
}

main().catch((err) => {
  console.error(err)
  process.exit(1)
})
