/**
 * `npm run bench:edge`: what each request costs when the database is far away. The Worker runs in workerd (the
 * bundle `wrangler deploy` builds, served by Miniflare with nothing in front: scripts/bench-worker.ts; `--runner
 * wrangler-dev` puts wrangler's development proxy in front), the database is the embedded PostgreSQL behind the
 * local endpoint of Neon's HTTP protocol, which delays every statement or batch by the round-trip time (`--rtt`,
 * default 50 ms). Per request type it prints the statements counted at the endpoint, the median and p95 latency
 * over `--requests` requests (default 20), latency ÷ RTT, whether the goal holds (at most its statements in round
 * trips plus 10 ms), and where the CPU went per request (Linux): the workerd process (the Worker), this process
 * (the client and the endpoint, which Neon replaces in production) and Postgres. A benchmark, not a test: it prints
 * figures (and exits non-zero only when it could not run).
 */
import { writeFile } from 'node:fs/promises'
import { loadavg } from 'node:os'
import { parseArgs } from 'node:util'
import { storeCookie, formFields } from '../test/support/browser-forms.ts'
import {
  createProviderApp, createUserWithPassword, defaultMappingPks, PASSWORD, type AdminApi,
} from '../test/support/fixtures.ts'
import { startTestPostgres } from '../test/support/postgres.ts'
import { benchFetch } from './bench-client.ts'
import { startWorker, type Runner } from './bench-worker.ts'
import { descendants, processCpuMs } from './proc-cpu.ts'

const { values: args } = parseArgs({ options: {
  rtt: { type: 'string', default: '50' }, requests: { type: 'string', default: '20' },
  runner: { type: 'string', default: 'workerd' },
  /** A file: the timed requests' CPU profile of the Worker's isolate (`.cpuprofile`, for DevTools). */
  profile: { type: 'string' },
} })
const RTT = Number(args.rtt)
const N = Math.max(1, Number(args.requests))
const RUNNER = args.runner as Runner
if (RUNNER !== 'workerd' && RUNNER !== 'wrangler-dev') throw new Error('--runner: workerd or wrangler-dev')
const ADMIN_TOKEN = 'bench-admin-token-0123456789'
const REDIRECT = 'https://rp.bench/callback'

/** A browser's cookie jar over fetch, redirects left to the caller. */
class Agent {
  readonly cookies = new Map<string, string>()
  constructor(readonly base: string) {}
  async request(path: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers)
    if (this.cookies.size) headers.set('Cookie', [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; '))
    const res = await benchFetch(`${this.base}${path}`, { ...init, headers })
    for (const line of res.headers.getSetCookie()) storeCookie(this.cookies, line)
    return res
  }
}

/** CPU ms per request (means over the timed runs): workerd (the Worker), this process (client and endpoint), Postgres. */
interface Cpu { workerd: number | null; bench: number | null; postgres: number | null }
interface Row { name: string; statements: number; after: number; samples: number[]; cpu: Cpu }

const sumCpu = (pids: number[]) => pids.reduce<number | null>((total, pid) => {
  const ms = processCpuMs(pid)
  return ms === null ? total : (total ?? 0) + ms
}, null)
const pidsOf = (comm: string) => descendants(process.pid).filter((p) => p.comm === comm).map((p) => p.pid)
const benchCpuMs = () => {
  const { user, system } = process.cpuUsage()
  return (user + system) / 1000
}

const quantile = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))]!

async function main(): Promise<void> {
  const postgres = await startTestPostgres()
  const vars = { DATABASE_URL: postgres.databaseUrl, NEON_HTTP_ENDPOINT: postgres.neonHttp.url,
    SECRET_KEY: 'bench-secret-key-0123456789abcdefghijklmnopqrstuvwxyz', ADMIN_TOKEN, PASSWORD_ITERATIONS: '10000' }
  const worker = await startWorker(vars, RUNNER, args.profile !== undefined)
  const base = worker.url
  const control = (body: Record<string, unknown>) => fetch(postgres.neonHttp.url.replace(/\/sql$/, '/__control'),
    { method: 'POST', body: JSON.stringify(body) })
  try {
    const api: AdminApi = { admin: (method, path, body) => fetch(`${base}/api/v3${path}`, { method,
      headers: { Authorization: `Bearer ${ADMIN_TOKEN}`, 'Content-Type': 'application/json' },
      ...(body !== undefined && { body: JSON.stringify(body) }) }) }
    const mappings = await defaultMappingPks(api)
    const slugs = Array.from({ length: N + 1 }, (_, i) => `bench-${i}`)
    const clients = []
    for (const slug of slugs) {
      clients.push(await createProviderApp(api, slug, { redirect_uris: [{ matching_mode: 'strict', url: REDIRECT }],
        property_mappings: mappings, grant_types: ['authorization_code', 'refresh_token', 'client_credentials'] }))
    }
    const client = clients[0]!
    await createUserWithPassword(api, 'bench-user')
    const agent = new Agent(base)
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
    /** `n` timed runs of `run`, each after its untimed `prepare`; the statements of the last run are counted. */
    async function measure<T>(name: string, prepare: (i: number) => Promise<T>, run: (input: T) => Promise<Response>) {
      const samples: number[] = []
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
        const input = await prepare(i)
        await control({ latencyMs: RTT })
        const before = postgres.neonHttp.queries() - postgres.neonHttp.afterAnswer()
        const afterBefore = postgres.neonHttp.afterAnswer()
        const cpuBefore = { workerd: sumCpu(workerdPids), postgres: sumCpu(postgresPids), bench: benchCpuMs() }
        const stopProfile = await worker.profile?.()
        const started = performance.now()
        const res = await run(input)
        await res.arrayBuffer()
        samples.push(performance.now() - started)
        add('bench', cpuBefore.bench, benchCpuMs())
        add('workerd', cpuBefore.workerd, sumCpu(workerdPids))
        add('postgres', cpuBefore.postgres, sumCpu(postgresPids))
        if (stopProfile) profiles.push({ name, profile: await stopProfile() })
        // The answer's statements; a give-back run after the answer (it may land during the next request) apart.
        statements = postgres.neonHttp.queries() - postgres.neonHttp.afterAnswer() - before
        after = postgres.neonHttp.afterAnswer() - afterBefore
        if (res.status >= 400) throw new Error(`${name}: ${res.status}`)
      }
      rows.push({ name, statements, after, samples, cpu })
    }
    const discoveryOf = (slug: string) => agent.request(`/application/o/${slug}/.well-known/openid-configuration`)
    await measure('discovery, cold', async (i) => slugs[i + 1]!, discoveryOf)
    await measure('discovery, warm', async () => slugs[1]!, discoveryOf)
    await measure('JWKS, warm', async () => { await agent.request(`/application/o/${slugs[1]}/jwks/`) },
      () => agent.request(`/application/o/${slugs[1]}/jwks/`))
    await measure('authorize (signed in)', async () => undefined,
      () => agent.request(`/application/o/authorize/?${authorizeQuery}`))
    await measure('login POST', async () => formFields(await (await agent.request('/login')).text()),
      (fields) => agent.request('/login', { method: 'POST', headers: { Origin: base },
        body: new URLSearchParams({ ...fields, username: 'bench-user', password: PASSWORD }) }))
    await measure('code exchange', () => code(), (c) => token({ grant_type: 'authorization_code', code: c,
      redirect_uri: REDIRECT }))
    await measure('refresh', async () => tokens.refresh_token, async (refresh) => {
      const res = await token({ grant_type: 'refresh_token', refresh_token: refresh })
      tokens = { ...tokens, ...(await res.clone().json()) as typeof tokens }
      return res
    })
    await measure('client credentials', async () => undefined, () => token({ grant_type: 'client_credentials',
      client_secret: client.client_secret, scope: 'openid' })).catch((err) => console.log(`skipped: ${err.message}`))
    await measure('userinfo', async () => tokens.access_token, (at) => agent.request('/application/o/userinfo/',
      { headers: { Authorization: `Bearer ${at}` } }))
    await measure('introspection', async () => tokens.access_token, (at) => agent.request('/application/o/introspect/',
      { method: 'POST', headers: { Authorization: basic }, body: new URLSearchParams({ token: at }) }))
      .catch((err) => console.log(`skipped: ${err.message}`))

    console.log(`\nbench:edge: the Worker in workerd, database round trip ${RTT} ms, ${N} requests each\n`)
    console.log('| request | statements | median ms | p95 ms | median ÷ RTT | goal ms (statements × RTT + 10) | within |'
      + ' CPU ms: Worker (workerd) | endpoint + client | Postgres |')
    console.log('|---|---|---|---|---|---|---|---|---|---|')
    const ms = (x: number | null) => (x === null ? '' : x.toFixed(1))
    for (const r of rows) {
      const median = quantile(r.samples, 0.5)
      const goal = r.statements * RTT + 10
      const statements = `${r.statements}${r.after > 0 ? ` (+${r.after} after the answer)` : ''}`
      console.log(`| ${r.name} | ${statements} | ${median.toFixed(1)} | ${quantile(r.samples, 0.95).toFixed(1)} | `
        + `${RTT > 0 ? (median / RTT).toFixed(2) : ''} | ${goal} | ${median <= goal ? 'yes' : 'no'} | ${ms(r.cpu.workerd)} | `
        + `${ms(r.cpu.bench)} | ${ms(r.cpu.postgres)} |`)
    }
    if (args.profile) {
      await writeFile(args.profile, JSON.stringify(profiles))
      console.log(`\nthe Worker's CPU profiles of every timed request: ${args.profile}`)
    }
    console.log(`\nload average (1, 5, 15 min): ${loadavg().map((x) => x.toFixed(2)).join(', ')}`)
  } finally {
    await worker.stop()
    await postgres.stop()
  }
}

main().catch((err) => {
  console.error(err)
  process.exit(1)
})
