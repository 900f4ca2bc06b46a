/**
 * `npm run bench:edge`: what each request costs when the database is far away. The Worker runs in workerd (the
 * bundle `wrangler deploy` builds, served by workerd alone with nothing in front: scripts/bench-worker.ts;
 * `--runner miniflare` puts Miniflare's entry Worker in front, `--runner wrangler-dev` wrangler's development
 * proxy as well), the database is the embedded PostgreSQL behind the
 * local endpoint of Neon's HTTP protocol, which delays every statement or batch by the round-trip time (`--rtt`,
 * default 50 ms). Per request type it prints the statements counted at the endpoint, the median and p95 latency
 * over `--requests` requests (default 20, after `--warmup` untimed ones), latency ÷ RTT, whether the goal holds (at
 * most its statements in round trips plus 10 ms), the time over the floor (a Worker that only sends as many
 * statements `select 1`, scripts/bench-worker.ts), where the time beyond the round trips went (at the database or
 * elsewhere, from the endpoint's timeline), and where the CPU went per request (Linux): the workerd process (the
 * Worker), this process (the client and the endpoint, which Neon replaces in production) and Postgres; with
 * `--postgres-log`, Postgres' own parse, plan and execute time. Then, per request, what the goal's 10 ms leave for
 * the Worker's own work once the database's part and the floor's hops are paid. A benchmark, not a test: it prints
 * figures (and exits non-zero only when it could not run).
 */
import { writeFile } from 'node:fs/promises'
import { loadavg } from 'node:os'
import { parseArgs } from 'node:util'
import { formFields } from '../test/support/browser-forms.ts'
import {
  createProviderApp, createUserWithPassword, defaultMappingPks, PASSWORD,
} from '../test/support/fixtures.ts'
import type { Visit } from '../test/support/neon-http.ts'
import { startTestPostgres, type StatementPhase } from '../test/support/postgres.ts'
import { BenchBrowser, benchFetch } from './bench-client.ts'
import { servingRunner, startFloorWorker, startWorker, type Runner } from './bench-worker.ts'
import { idleWake } from './idle-wake.ts'
import { quantile } from './quantile.ts'
import { descendants, processCpuMs } from './proc-cpu.ts'
import { adminApiAt } from './server-process.ts'

const { values: args } = parseArgs({ options: {
  rtt: { type: 'string', default: '50' }, requests: { type: 'string', default: '20' },
  /**
   * Untimed requests of each type first, with no injected round trip: an isolate that serves traffic has its
   * code compiled and optimized by V8, a fresh one has not.
   */
  warmup: { type: 'string', default: '100' },
  runner: { type: 'string', default: 'workerd' },
  /** Postgres logs each statement's parse, bind (the plan) and execute times: a table of them per request type. */
  'postgres-log': { type: 'boolean', default: false },
  /**
   * PBKDF2 iterations of the benchmark user's password (`PASSWORD_ITERATIONS`): the login POST pays them in CPU.
   * 10000 by default, to time the rest of the request; the Workers default is 100000 (src/config.ts).
   */
  'password-iterations': { type: 'string', default: '10000' },
  /** A file: the timed requests' CPU profile of the Worker's isolate (`.cpuprofile`, for DevTools). */
  profile: { type: 'string' },
} })
const RTT = Number(args.rtt)
const N = Math.max(1, Number(args.requests))
const WARMUP = Math.max(0, Number(args.warmup))
const RUNNER = args.runner as Runner
if (!['workerd', 'miniflare', 'wrangler-dev', 'node'].includes(RUNNER)) {
  throw new Error('--runner: workerd, miniflare, wrangler-dev or node')
}
/** What serves the Worker: `--runner`, except that a profile of workerd's needs Miniflare's inspector. */
const SERVED_BY = servingRunner(RUNNER, args.profile !== undefined)
const ADMIN_TOKEN = 'bench-admin-token-0123456789'
const REDIRECT = 'https://rp.bench/callback'

/** CPU ms per request (means over the timed runs): workerd (the Worker), this process (client and endpoint), Postgres. */
interface Cpu { workerd: number | null; bench: number | null; postgres: number | null }
/**
 * Where one request's time went, from the endpoint's timeline: `database`, the time some statement of it was in
 * the endpoint beyond the injected round trip (Postgres and the endpoint, which stand for Neon); `elsewhere`, the
 * time no statement was (the client, the Worker and the hops between them): `before` the first statement came in,
 * `between` statements, and `after` the last one was answered.
 */
interface Split { database: number; elsewhere: number; before: number; between: number; after: number }
interface Row {
  name: string; statements: number; after: number; samples: number[]; splits: Split[]; cpu: Cpu
  /** Each timed request's span in epoch ms, for the Postgres log's phases. */
  spans: Array<[number, number]>
}

/**
 * Where each request's 10 ms beyond its round trips went (medians, so the parts add up only roughly): the time at the
 * database (Postgres and the endpoint, which stand for Neon), the floor's time elsewhere (the client, workerd and
 * the hops, with no work of ours), and what that leaves of the 10 ms for the Worker's own work, against what the
 * Worker took beyond the floor's. A negative "left" says that no Worker could meet the goal on this machine with
 * these statements: the database's part and the hops alone take the 10 ms.
 */
function printAllowance(rows: readonly Row[], floorRows: readonly Row[]): void {
  const median = (r: Row, k: keyof Split) => quantile(r.splits.map((x) => x[k]), 0.5)
  const floorElsewhere = new Map(floorRows.map((r) => [r.statements, median(r, 'elsewhere')]))
  console.log('\nThe goal\'s 10 ms beyond the round trips, per request (medians, ms):\n')
  console.log('| request | at the database | the floor\'s hops (its time elsewhere) | left for the Worker\'s work |'
    + ' the Worker\'s time beyond the floor\'s |')
  console.log('|---|---|---|---|---|')
  for (const r of rows) {
    const hops = floorElsewhere.get(r.statements)
    if (r.statements === 0 || hops === undefined) continue
    const database = median(r, 'database')
    console.log(`| ${r.name} | ${database.toFixed(1)} | ${hops.toFixed(1)} | ${(10 - database - hops).toFixed(1)} | `
      + `${(median(r, 'elsewhere') - hops).toFixed(1)} |`)
  }
}

/** {@link Split} of a request from `started` to `ended` that ran `visits`, each holding one injected round trip. */
function split(visits: readonly Visit[], started: number, ended: number, rtt: number): Split {
  const mine = visits.filter((v) => v.arrived >= started && v.answered <= ended).sort((a, b) => a.arrived - b.arrived)
  let inside = 0
  let until = -Infinity
  for (const v of mine) { // the union of the visits' intervals: concurrent statements overlap
    const from = Math.max(v.arrived, until)
    if (v.answered > from) inside += v.answered - from
    until = Math.max(until, v.answered)
  }
  // Concurrent statements share their round trip: count as many as the visits' union can hold.
  const rounds = Math.min(mine.length, Math.floor((inside + 0.5) / Math.max(rtt, 1e-9)))
  const elsewhere = ended - started - inside
  const before = mine.length ? mine[0]!.arrived - started : elsewhere
  const after = mine.length ? ended - until : 0
  return { database: inside - rounds * rtt, elsewhere, before, between: elsewhere - before - after, after }
}

const sumCpu = (pids: number[]) => pids.reduce<number | null>((total, pid) => {
  const ms = processCpuMs(pid)
  return ms === null ? total : (total ?? 0) + ms
}, null)
const pidsOf = (comm: string) => descendants(process.pid).filter((p) => p.comm === comm).map((p) => p.pid)
const benchCpuMs = () => {
  const { user, system } = process.cpuUsage()
  return (user + system) / 1000
}

/** Per request type, the medians of Postgres' own parse, plan and execute time in its timed requests. */
function printPostgresPhases(rows: readonly Row[], phases: readonly StatementPhase[]): void {
  console.log('\nPostgres\' own time per request (its log; median ms): parse, bind (which plans an unnamed statement), execute\n')
  console.log('| request | statements | parse | bind (plan) | execute | in all |')
  console.log('|---|---|---|---|---|---|')
  for (const r of rows) {
    const per = r.spans.map(([from, to]) => {
      const sum = { parse: 0, bind: 0, execute: 0 }
      for (const p of phases) if (p.at >= from && p.at <= to) sum[p.phase] += p.ms
      return sum
    })
    const median = (pick: (x: { parse: number; bind: number; execute: number }) => number) =>
      quantile(per.map(pick), 0.5).toFixed(2)
    console.log(`| ${r.name} | ${r.statements} | ${median((x) => x.parse)} | ${median((x) => x.bind)} | `
      + `${median((x) => x.execute)} | ${median((x) => x.parse + x.bind + x.execute)} |`)
  }
}

async function main(): Promise<void> {
  const postgres = await startTestPostgres({ logStatements: args['postgres-log'] })
  const vars = { DATABASE_URL: postgres.databaseUrl, NEON_HTTP_ENDPOINT: postgres.neonHttp.url,
    SECRET_KEY: 'bench-secret-key-0123456789abcdefghijklmnopqrstuvwxyz', ADMIN_TOKEN,
    PASSWORD_ITERATIONS: String(Number(args['password-iterations'])) }
  const worker = await startWorker(vars, RUNNER, args.profile !== undefined)
  const base = worker.url
  const control = (body: Record<string, unknown>) => fetch(postgres.neonHttp.url.replace(/\/sql$/, '/__control'),
    { method: 'POST', body: JSON.stringify(body) })
  try {
    const api = adminApiAt(base, ADMIN_TOKEN)
    const mappings = await defaultMappingPks(api)
    const slugs = Array.from({ length: WARMUP + N + 1 }, (_, i) => `bench-${i}`)
    const clients = []
    for (const slug of slugs) {
      clients.push(await createProviderApp(api, slug, { redirect_uris: [{ matching_mode: 'strict', url: REDIRECT }],
        property_mappings: mappings, grant_types: ['authorization_code', 'refresh_token', 'client_credentials'] }))
    }
    const client = clients[0]!
    await createUserWithPassword(api, 'bench-user')
    const agent = new BenchBrowser(base, worker.edgeHeaders)
    const basic = `Basic ${btoa(`${client.client_id}:${client.client_secret}`)}`
    const token = (params: Record<string, string>) => agent.request('/application/o/token/', { method: 'POST',
      headers: { Authorization: basic }, body: new URLSearchParams(params) })
    const authorizeQuery = new URLSearchParams({ client_id: client.client_id, redirect_uri: REDIRECT,
      response_type: 'code', scope: 'openid profile email offline_access', state: 's' }).toString()

    const login = async (): Promise<Response> => {
      const page = await agent.request('/login')
      const fields = formFields(await page.text())
      return agent.request('/login', { method: 'POST', headers: { Origin: base },
        body: new URLSearchParams({ ...fields, username: 'bench-user', password: PASSWORD }) })
    }
    const code = async () => {
      const res = await agent.request(`/application/o/authorize/?${authorizeQuery}`)
      return new URL(res.headers.get('Location')!).searchParams.get('code')!
    }
    const exchange = async (c: string) => (await token({ grant_type: 'authorization_code', code: c,
      redirect_uri: REDIRECT })).json() as Promise<{ access_token: string; refresh_token: string }>
    await control({ latencyMs: 0 })
    await login()
    let tokens = await exchange(await code())

    const rows: Row[] = []
    const profiles: Array<{ name: string; profile: unknown }> = []
    /**
     * `WARMUP` untimed runs of `run`, then `N` timed ones, each after its untimed `prepare` (numbered on from the
     * warm-up's); the statements of the last run are counted.
     */
    async function measure<T>(name: string, prepare: (i: number) => Promise<T>, run: (input: T) => Promise<Response>):
      Promise<Row> {
      await control({ latencyMs: 0 })
      for (let i = 0; i < WARMUP; i++) {
        const res = await run(await prepare(i))
        await res.arrayBuffer()
        if (res.status >= 400) throw new Error(`${name} (warm-up): ${res.status}`)
      }
      const samples: number[] = []
      const splits: Split[] = []
      const spans: Array<[number, number]> = []
      let statements = 0
      let after = 0
      const workerdPids = pidsOf('workerd')
      const postgresPids = pidsOf('postgres')
      const cpu: Cpu = { workerd: 0, bench: 0, postgres: 0 }
      const add = (key: keyof Cpu, before: number | null, after: number | null) => {
        cpu[key] = before === null || after === null || cpu[key] === null ? null : cpu[key]! + (after - before) / N
      }
      for (let i = 0; i < N; i++) {
        await control({ latencyMs: 0 })
        const input = await prepare(WARMUP + i)
        await control({ latencyMs: RTT })
        const before = postgres.neonHttp.queries() - postgres.neonHttp.afterAnswer()
        const afterBefore = postgres.neonHttp.afterAnswer()
        const cpuBefore = { workerd: sumCpu(workerdPids), postgres: sumCpu(postgresPids), bench: benchCpuMs() }
        const stopProfile = await worker.profile?.()
        const started = performance.now()
        const res = await run(input)
        await res.arrayBuffer()
        const ended = performance.now()
        samples.push(ended - started)
        splits.push(split(postgres.neonHttp.timeline(), started, ended, RTT))
        spans.push([performance.timeOrigin + started, performance.timeOrigin + ended])
        add('bench', cpuBefore.bench, benchCpuMs())
        add('workerd', cpuBefore.workerd, sumCpu(workerdPids))
        add('postgres', cpuBefore.postgres, sumCpu(postgresPids))
        if (stopProfile) profiles.push({ name, profile: await stopProfile() })
        // The answer's statements; a give-back run after the answer (it may land during the next request) apart.
        statements = postgres.neonHttp.queries() - postgres.neonHttp.afterAnswer() - before
        after = postgres.neonHttp.afterAnswer() - afterBefore
        if (res.status >= 400) throw new Error(`${name}: ${res.status}`)
      }
      return { name, statements, after, samples, splits, spans, cpu }
    }
    const request = async <T>(...args: Parameters<typeof measure<T>>) => { rows.push(await measure(...args)) }
    const discoveryOf = (slug: string) => agent.request(`/application/o/${slug}/.well-known/openid-configuration`)
    await request('discovery, cold', async (i) => slugs[i + 1]!, discoveryOf)
    await request('discovery, warm', async () => slugs[1]!, discoveryOf)
    await request('JWKS, warm', async () => { await agent.request(`/application/o/${slugs[1]}/jwks/`) },
      () => agent.request(`/application/o/${slugs[1]}/jwks/`))
    await request('authorize (signed in)', async () => undefined,
      () => agent.request(`/application/o/authorize/?${authorizeQuery}`))
    await request('login POST', async () => formFields(await (await agent.request('/login')).text()),
      (fields) => agent.request('/login', { method: 'POST', headers: { Origin: base },
        body: new URLSearchParams({ ...fields, username: 'bench-user', password: PASSWORD }) }))
    await request('code exchange', () => code(), (c) => token({ grant_type: 'authorization_code', code: c,
      redirect_uri: REDIRECT }))
    await request('refresh', async () => tokens.refresh_token, async (refresh) => {
      const res = await token({ grant_type: 'refresh_token', refresh_token: refresh })
      tokens = { ...tokens, ...(await res.clone().json()) as typeof tokens }
      return res
    })
    await request('client credentials', async () => undefined, () => token({ grant_type: 'client_credentials',
      client_secret: client.client_secret, scope: 'openid' })).catch((err) => console.log(`skipped: ${err.message}`))
    await request('userinfo', async () => tokens.access_token, (at) => agent.request('/application/o/userinfo/',
      { headers: { Authorization: `Bearer ${at}` } }))
    await request('introspection', async () => tokens.access_token, (at) => agent.request('/application/o/introspect/',
      { method: 'POST', headers: { Authorization: basic }, body: new URLSearchParams({ token: at }) }))
      .catch((err) => console.log(`skipped: ${err.message}`))

    // The floor: the same round trips from a Worker that does nothing else (scripts/bench-worker.ts).
    // Served as the Worker is, so that both pay the same for what is in front of them.
    const floorWorker = await startFloorWorker({ DATABASE_URL: postgres.databaseUrl,
      NEON_HTTP_ENDPOINT: postgres.neonHttp.url }, SERVED_BY === 'workerd' ? 'workerd' : 'miniflare')
    const floorRows: Row[] = []
    try {
      for (const statements of [0, 1, 2]) {
        floorRows.push(await measure(`floor: ${statements} × select 1`, async (i) => i,
          (i) => benchFetch(`${floorWorker.url}/?statements=${statements}&i=${i}`,
            { headers: floorWorker.edgeHeaders })))
      }
    } finally {
      await floorWorker.stop()
    }

    const servedBy = SERVED_BY === RUNNER ? RUNNER : `${SERVED_BY} (for --profile)`
    console.log(`\nbench:edge: the Worker in ${servedBy}, database round trip ${RTT} ms, ${N} requests each after ${WARMUP} `
      + `untimed ones; the user's password hashed with ${vars.PASSWORD_ITERATIONS} PBKDF2 iterations\n`)
    console.log('| request | statements | median ms | p95 ms | median ÷ RTT | goal ms (statements × RTT + 10) | within |'
      + ' over the floor | median ms beyond RTT: at the database | elsewhere (before / between / after the statements) | CPU ms: Worker (workerd) | endpoint + client |'
      + ' Postgres |')
    console.log('|---|---|---|---|---|---|---|---|---|---|---|---|---|')
    const ms = (x: number | null) => (x === null ? '' : x.toFixed(1))
    const floorOf = new Map(floorRows.map((r) => [r.statements, quantile(r.samples, 0.5)]))
    // The floor's own rows last, in the same columns: what the requests above pay with no work of ours in them.
    for (const r of [...rows, ...floorRows]) {
      const median = quantile(r.samples, 0.5)
      const floor = floorRows.includes(r) ? undefined : floorOf.get(r.statements)
      const goal = r.statements * RTT + 10
      const statements = `${r.statements}${r.after > 0 ? ` (+${r.after} after the answer)` : ''}`
      console.log(`| ${r.name} | ${statements} | ${median.toFixed(1)} | ${quantile(r.samples, 0.95).toFixed(1)} | `
        + `${RTT > 0 ? (median / RTT).toFixed(2) : ''} | ${goal} | ${median <= goal ? 'yes' : 'no'} | `
        + `${floor === undefined ? '' : ms(median - floor)} | `
        + `${ms(quantile(r.splits.map((x) => x.database), 0.5))} | ${ms(quantile(r.splits.map((x) => x.elsewhere), 0.5))} `
        + `(${(['before', 'between', 'after'] as const).map((k) => ms(quantile(r.splits.map((x) => x[k]), 0.5))).join(' / ')}) | `
        + `${ms(r.cpu.workerd)} | `
        + `${ms(r.cpu.bench)} | ${ms(r.cpu.postgres)} |`)
    }
    console.log('\n"floor: N × select 1": a Worker that only sends N statements `select 1` through the same endpoint, one '
      + '`fetch` each, and writes one log line (scripts/bench-worker.ts)')
    printAllowance(rows, floorRows)
    if (args['postgres-log']) printPostgresPhases(rows, postgres.statementPhases())
    if (args.profile) {
      await writeFile(args.profile, JSON.stringify(profiles))
      console.log(`\nthe Worker's CPU profiles of every timed request: ${args.profile}`)
    }
    console.log(`\nload average (1, 5, 15 min): ${loadavg().map((x) => x.toFixed(2)).join(', ')}`)
    if (RTT > 1) {
      const wake = await idleWake(RTT)
      console.log(`this machine: the same CPU work (1000 SHA-256) takes ${wake.busy.toFixed(2)} ms after 1 ms idle and `
        + `${wake.idle.toFixed(2)} ms after ${RTT} ms idle (${(wake.idle / wake.busy).toFixed(1)}x): every process here `
        + 'waits one round trip between its bursts of work')
    }
  } finally {
    await worker.stop()
    await postgres.stop()
  }
}

main().catch((err) => {
  console.error(err)
  process.exit(1)
})
