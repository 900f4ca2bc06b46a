/**
 * `npm run bench`: throughput and CPU on this machine. `npm start`'s server (src/node.ts, a child process), once on
 * PGlite (the database inside the server's process) and once on PostgreSQL (`DATABASE_URL`, the embedded server of
 * the workerd tests, its own process), under `--concurrency` parallel clients: req/s, p50 and p99 of client
 * credentials, code exchange and userinfo over `--requests` requests each, and the server process's CPU (user +
 * system, from /proc on Linux) per issued token during the client credentials run, against a bare jose ES256 sign in this
 * process (goal: at most 5x the sign). On PGlite that CPU includes the database's; on PostgreSQL it is the app's
 * alone (HTTP, routing, drizzle, signing). The last row is the floor of that figure: the same load on a server of
 * the same stack that does nothing but read the form, send two `select 1` and sign two tokens
 * (scripts/bench-floor.ts). A benchmark, not a test: it prints figures.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { generateKeyPair as joseKeyPair, SignJWT } from 'jose'
import { formFields } from '../test/support/browser-forms.ts'
import {
  createProviderApp, createUserWithPassword, defaultMappingPks, generateKeyPair, PASSWORD,
} from '../test/support/fixtures.ts'
import { startTestPostgres } from '../test/support/postgres.ts'
import { BenchBrowser, benchFetch } from './bench-client.ts'
import { quantile } from './quantile.ts'
import { descendantsCpuMs, processCpuMs } from './proc-cpu.ts'
import { adminApiAt, startServer } from './server-process.ts'

const { values: args } = parseArgs({ options: {
  requests: { type: 'string', default: '400' }, concurrency: { type: 'string', default: '8' },
  /** A folder: the server runs under `node --cpu-prof` and writes its profile there. */
  profile: { type: 'string' },
} })
const N = Number(args.requests)
const CONCURRENCY = Number(args.concurrency)
const ADMIN_TOKEN = 'bench-admin-token-0123456789'
const REDIRECT = 'https://rp.bench/callback'
const GRANTS = ['authorization_code', 'refresh_token', 'client_credentials']

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

/** Per issued token: CPU ms of the server process and of the PostgreSQL server (null: PGlite, or not measured). */
interface Run { rows: string[]; serverCpuMsPerToken: number | null; postgresCpuMsPerToken: number | null }

/** The server of `npm start` in its own process, on PGlite or on the PostgreSQL at `databaseUrl`. */
async function throughput(databaseUrl?: string): Promise<Run> {
  const dataDir = await mkdtemp(join(tmpdir(), 'edge-oidc-bench-'))
  const profile = args.profile ? ['--cpu-prof', '--cpu-prof-dir', args.profile] : []
  const { base, server, stop } = await startServer([...profile, 'src/node.ts'], { DATA_DIR: dataDir, ADMIN_TOKEN,
    PASSWORD_ITERATIONS: '10000',
    ...(databaseUrl && { DATABASE_URL: databaseUrl, SECRET_KEY: 'bench-secret-key-0123456789abcdefghijklmnopqrstuvwxyz' }) })
  try {
    const api = adminApiAt(base, ADMIN_TOKEN)
    const key = await generateKeyPair(api, 'bench', { alg: 'ecdsa', key_size: 256 })
    const client = await createProviderApp(api, 'bench', { signing_key: key.pk, grant_types: GRANTS,
      redirect_uris: [{ matching_mode: 'strict', url: REDIRECT }], property_mappings: await defaultMappingPks(api) })
    await createUserWithPassword(api, 'bench-user')
    const browser = new BenchBrowser(base)
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
    const cc = await token({ grant_type: 'client_credentials', client_secret: client.client_secret, scope: 'openid' })
    if (cc.status === 200) {
      const send = () => token({ grant_type: 'client_credentials', client_secret: client.client_secret, scope: 'openid' })
      for (let i = 0; i < 50; i++) await (await send()).arrayBuffer() // warm-up: JIT, caches, connections
      const before = { server: processCpuMs(server.pid!), postgres: databaseUrl ? descendantsCpuMs('postgres') : null }
      rows.push(await load('client credentials', send))
      const after = { server: processCpuMs(server.pid!), postgres: databaseUrl ? descendantsCpuMs('postgres') : null }
      // Each answer carries two signed JWTs (access token and ID token).
      const perToken = (a: number | null, b: number | null) => (a === null || b === null ? null : (b - a) / N / 2)
      serverCpuMsPerToken = perToken(before.server, after.server)
      postgresCpuMsPerToken = perToken(before.postgres, after.postgres)
    } else rows.push(`| client credentials | not served (${cc.status}) | | |`)
    rows.push(await load('code exchange', (i) => token({ grant_type: 'authorization_code', code: codes[i]!,
      redirect_uri: REDIRECT })))
    const { access_token: bearer } = await (await token({ grant_type: 'authorization_code', code: codes[N]!,
      redirect_uri: REDIRECT })).json() as { access_token: string }
    rows.push(await load('userinfo', () => benchFetch(`${base}/application/o/userinfo/`, {
      headers: { Authorization: `Bearer ${bearer}` } })))
    return { rows, serverCpuMsPerToken, postgresCpuMsPerToken }
  } finally {
    await stop()
    await rm(dataDir, { recursive: true, force: true })
  }
}

/**
 * The floor of the CPU per token on PostgreSQL: scripts/bench-floor.ts, a server on the same stack that reads the
 * form, sends two statements `select 1` and signs two JWTs, under the same load as the client credentials run.
 */
async function floorCpuMsPerToken(databaseUrl: string): Promise<number | null> {
  const { base, server, stop } = await startServer(['scripts/bench-floor.ts'], { DATABASE_URL: databaseUrl })
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

async function main(): Promise<void> {
  const postgres = await startTestPostgres()
  const runs: [string, Run][] = []
  let floor: number | null
  try {
    runs.push(['PGlite', await throughput()])
    runs.push(['PostgreSQL', await throughput(postgres.databaseUrl)])
    floor = await floorCpuMsPerToken(postgres.databaseUrl)
  } finally {
    await postgres.stop()
  }
  const sign = await signCpuMs()
  console.log(`\nbench: npm start's server, ${N} requests each, ${CONCURRENCY} at a time\n`)
  console.log('| database | request | req/s | p50 ms | p99 ms |\n|---|---|---|---|---|')
  for (const [db, run] of runs) for (const row of run.rows) console.log(`| ${db} ${row}`)
  console.log(`\nCPU of the server process per issued token (client credentials), against a bare jose ES256 sign`
    + ` (${sign.toFixed(3)} ms); goal at most 5x:\n`)
  console.log('| database | server process CPU per token ms | ÷ sign | PostgreSQL server CPU per token ms |')
  console.log('|---|---|---|---|')
  for (const [db, run] of runs) {
    const cpu = run.serverCpuMsPerToken
    const pg = run.postgresCpuMsPerToken === null ? (db === 'PGlite' ? 'inside the server process' : '')
      : run.postgresCpuMsPerToken.toFixed(3)
    console.log(cpu === null ? `| ${db} | not measured | | |` : `| ${db} | ${cpu.toFixed(3)} | ${(cpu / sign).toFixed(1)}x | ${pg} |`)
  }
  console.log(floor === null ? '| floor | not measured | | |'
    : `| floor: the same stack, form, 2 × select 1, 2 signs (scripts/bench-floor.ts) | ${floor.toFixed(3)} | ${
      (floor / sign).toFixed(1)}x | |`)
  console.log(`\nload average (1, 5, 15 min): ${loadavg().map((x) => x.toFixed(2)).join(', ')}`)
}

main().catch((err) => {
  console.error(err)
  process.exit(1)
})
