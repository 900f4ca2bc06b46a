/**
 * `npm run bench:edge`: what each request costs when the database is far away. The Worker runs in workerd (the
 * bundle `wrangler deploy` builds, served by workerd alone with nothing in front: scripts/bench-worker.ts;
 * `--runner miniflare` puts Miniflare's entry Worker in front, `--runner wrangler-dev` wrangler's development
 * proxy as well), the database is the embedded PostgreSQL behind the local endpoint of Neon's HTTP protocol, which
 * delays every statement or batch by the round-trip time (`--rtt`, default 50 ms). Each request type gets
 * `--warmup` untimed requests, then `--requests` timed ones at the round trip and as many at none
 * (scripts/bench-edge-measure.ts). It prints (scripts/bench-edge-report.ts), per request type, the statements
 * counted at the endpoint, the medians at the round trip and at none, the floor (a Worker that only sends as many
 * statements `select 1`, scripts/bench-worker.ts) and the time over it, the slope ((median at RTT − median at 0)
 * ÷ RTT) and issue 19's goals for the requests it lists: within the floor + 8 ms, and a slope of at most 1.2. Then
 * where the time went at the round trip (at the database or elsewhere, from the endpoint's timeline) and the CPU
 * per request (Linux) of the workerd process (the Worker), this process (the client and the endpoint, which Neon
 * replaces in production) and Postgres; where each request's time over its floor went; with `--postgres-log`,
 * Postgres' own parse, plan and execute time. A benchmark, not a test: it prints figures (and exits non-zero
 * only when it could not run).
 */
import { writeFile } from 'node:fs/promises'
import { loadavg } from 'node:os'
import { parseArgs } from 'node:util'
import { formFields } from '../test/support/browser-forms.ts'
import {
  adminJson, createProviderApp, createUser, createUserWithPassword, defaultMappingPks, PASSWORD,
} from '../test/support/fixtures.ts'
import { startTestPostgres } from '../test/support/postgres.ts'
import { adminApi, benchFetch, Browser } from './bench-client.ts'
import { measurer, type Measure, type Row } from './bench-edge-measure.ts'
import { printDetail, printGoals, printOverFloor, printPostgresPhases } from './bench-edge-report.ts'
import { ADMIN_TOKEN, REDIRECT } from './bench-server.ts'
import { servingRunner, startFloorWorker, startWorker, type Runner } from './bench-worker.ts'
import { idleWake } from './idle-wake.ts'

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
/** Issue 19's goals hold for these (item 1's requests: one statement before the answer). */
const GOALS = new Set(['authorize (signed in, implicit consent)', 'code exchange', 'refresh', 'client credentials',
  'password grant (app password)', 'device poll (approved)', 'revocation (refresh token)'])

const GRANTS = ['authorization_code', 'refresh_token', 'client_credentials', 'password', 'device_code']

/** The request types, in order; `slugs` are clients enough for one new one per cold discovery. */
async function measureRequests(measure: Measure, agent: Browser, slugs: readonly string[]): Promise<Row[]> {
  const api = adminApi(agent.base, ADMIN_TOKEN)
  const mappings = await defaultMappingPks(api)
  const clients = []
  for (const slug of slugs) {
    clients.push(await createProviderApp(api, slug, { redirect_uris: [{ matching_mode: 'strict', url: REDIRECT }],
      property_mappings: mappings, grant_types: GRANTS }))
  }
  const client = clients[0]!
  await createUserWithPassword(api, 'bench-user')
  // An app password of a service account, for the password grant (authentik's `username` and app password).
  const account = await createUser(api, 'bench-service', { type: 'service_account' })
  const { key: appPassword } = await adminJson<{ key: string }>(api, 'POST', '/core/tokens/',
    { identifier: 'bench-app-password', user: account.pk }, 201)
  const basic = `Basic ${btoa(`${client.client_id}:${client.client_secret}`)}`
  const post = (path: string, params: Record<string, string>, headers: Record<string, string> = { Authorization: basic }) =>
    agent.request(path, { method: 'POST', headers, body: new URLSearchParams(params) })
  const token = (params: Record<string, string>) => post('/application/o/token/', params)
  const authorizeQuery = new URLSearchParams({ client_id: client.client_id, redirect_uri: REDIRECT,
    response_type: 'code', scope: 'openid profile email offline_access', state: 's' }).toString()
  const loginForm = async () => formFields(await (await agent.request('/login')).text())
  const login = (fields: Record<string, string>) => post('/login',
    { ...fields, username: 'bench-user', password: PASSWORD }, { Origin: agent.base })
  const code = async () => {
    const res = await agent.request(`/application/o/authorize/?${authorizeQuery}`)
    return new URL(res.headers.get('Location')!).searchParams.get('code')!
  }
  const exchange = async (c: string) => (await token({ grant_type: 'authorization_code', code: c,
    redirect_uri: REDIRECT })).json() as Promise<{ access_token: string; refresh_token: string }>
  /**
   * The `i`th device authorization, approved by the signed-in user on the /device page (the code entered, then
   * Allow on the confirmation that names the device, which every consent mode shows): its device code. Each
   * comes from an address of its own (198.18.0.0/15, for benchmarks), as a device's would: an address may start
   * 20 an hour (src/oauth/device-authorization.ts).
   */
  const approvedDevice = async (i: number) => {
    const res = await post('/application/o/device/', { scope: 'openid' },
      { Authorization: basic, 'CF-Connecting-IP': `198.18.${(i >> 8) & 255}.${i & 255}` })
    if (res.status !== 200) throw new Error(`device authorization: ${res.status} ${await res.text()}`)
    const started = await res.json() as { device_code: string; verification_uri_complete: string }
    const page = new URL(started.verification_uri_complete)
    const fields = formFields(await (await agent.request(`${page.pathname}${page.search}`)).text(), '/device')
    const asked = await post('/device', fields, { Origin: agent.base })
    if (asked.status !== 200) throw new Error(`the device page answered ${asked.status}`)
    const done = await post('/device', { ...formFields(await asked.text(), '/device'), action: 'allow' },
      { Origin: agent.base })
    if (done.status !== 200) throw new Error(`the device confirmation answered ${done.status}`)
    return started.device_code
  }
  await login(await loginForm())
  let tokens = await exchange(await code())

  const rows: Row[] = []
  /** A request type's row; one that is `optional` (as before) is skipped with a line instead of ending the run. */
  const request = async <T>(name: string, prepare: (i: number) => Promise<T>, run: (input: T) => Promise<Response>,
    optional = false) => {
    const row = await (optional ? measure(name, prepare, run).catch((err: Error) => console.log(`skipped: ${err.message}`))
      : measure(name, prepare, run))
    if (row) rows.push(row)
  }
  const discoveryOf = (slug: string) => agent.request(`/application/o/${slug}/.well-known/openid-configuration`)
  await request('discovery, cold', async (i) => slugs[i + 1]!, discoveryOf)
  await request('discovery, warm', async () => slugs[1]!, discoveryOf)
  await request('JWKS, warm', async () => { await agent.request(`/application/o/${slugs[1]}/jwks/`) },
    () => agent.request(`/application/o/${slugs[1]}/jwks/`))
  await request('authorize (signed in, implicit consent)', async () => undefined,
    () => agent.request(`/application/o/authorize/?${authorizeQuery}`))
  await request('login POST', loginForm, login)
  await request('code exchange', () => code(), (c) => token({ grant_type: 'authorization_code', code: c,
    redirect_uri: REDIRECT }))
  await request('refresh', async () => tokens.refresh_token, async (refresh) => {
    const res = await token({ grant_type: 'refresh_token', refresh_token: refresh })
    tokens = { ...tokens, ...(await res.clone().json()) as typeof tokens }
    return res
  })
  await request('client credentials', async () => undefined, () => token({ grant_type: 'client_credentials',
    client_secret: client.client_secret, scope: 'openid' }), true)
  await request('password grant (app password)', async () => undefined, () => token({ grant_type: 'password',
    username: account.username, password: appPassword, scope: 'openid' }))
  await request('device poll (approved)', approvedDevice, (deviceCode) => token({
    grant_type: 'urn:ietf:params:oauth:grant-type:device_code', device_code: deviceCode }))
  await request('revocation (refresh token)', async () => (await exchange(await code())).refresh_token,
    (refresh) => post('/application/o/revoke/', { token: refresh, token_type_hint: 'refresh_token' }))
  await request('userinfo', async () => tokens.access_token, (at) => agent.request('/application/o/userinfo/',
    { headers: { Authorization: `Bearer ${at}` } }))
  await request('introspection', async () => tokens.access_token, (at) => post('/application/o/introspect/', { token: at }), true)
  return rows
}

async function main(): Promise<void> {
  const postgres = await startTestPostgres({ logStatements: args['postgres-log'] })
  const vars = { DATABASE_URL: postgres.databaseUrl, NEON_HTTP_ENDPOINT: postgres.neonHttp.url,
    SECRET_KEY: 'bench-secret-key-0123456789abcdefghijklmnopqrstuvwxyz', ADMIN_TOKEN,
    PASSWORD_ITERATIONS: String(Number(args['password-iterations'])) }
  const worker = await startWorker(vars, RUNNER, args.profile !== undefined)
  try {
    const profiles: Array<{ name: string; profile: unknown }> = []
    const measure = measurer({ postgres, worker, rtt: RTT, requests: N, warmup: WARMUP, profiles })
    // A new client for every cold discovery: the warm-up's, and both passes'.
    const slugs = Array.from({ length: WARMUP + 2 * N + 1 }, (_, i) => `bench-${i}`)
    const rows = await measureRequests(measure, new Browser(worker.url, worker.edgeHeaders), slugs)

    // The floor: the same round trips from a Worker that does nothing else (scripts/bench-worker.ts), for every
    // statement count above. Served as the Worker is, so that both pay the same for what is in front of them.
    const floorWorker = await startFloorWorker({ DATABASE_URL: postgres.databaseUrl,
      NEON_HTTP_ENDPOINT: postgres.neonHttp.url }, SERVED_BY === 'workerd' ? 'workerd' : 'miniflare')
    const floorRows: Row[] = []
    try {
      for (const statements of [...new Set([0, 1, 2, ...rows.map((r) => r.statements)])].sort((a, b) => a - b)) {
        floorRows.push(await measure(`floor: ${statements} × select 1`, async (i) => i,
          (i) => benchFetch(`${floorWorker.url}/?statements=${statements}&i=${i}`, { headers: floorWorker.edgeHeaders })))
      }
    } finally {
      await floorWorker.stop()
    }

    const servedBy = SERVED_BY === RUNNER ? RUNNER : `${SERVED_BY} (for --profile)`
    console.log(`\nbench:edge: the Worker in ${servedBy}, database round trip ${RTT} ms, then 0 ms; ${N} timed requests of `
      + `each type at each, after ${WARMUP} untimed ones; the user's password hashed with ${vars.PASSWORD_ITERATIONS} `
      + 'PBKDF2 iterations\n')
    printGoals(rows, floorRows, RTT, GOALS)
    console.log('\n"floor: N × select 1": a Worker that only sends N statements `select 1` through the same endpoint, one '
      + '`fetch` each, and writes one log line (scripts/bench-worker.ts). "—": not among issue 19\'s goals.')
    console.log(`\nWhere the time went at RTT ${RTT} (medians; CPU per request):\n`)
    printDetail([...rows, ...floorRows], RTT)
    console.log(`\nEach request's time over its floor at RTT ${RTT} (medians, so the parts add up only roughly):\n`)
    printOverFloor(rows, floorRows)
    if (args['postgres-log']) {
      console.log('\nPostgres\' own time per request (its log; median ms): parse, bind (which plans an unnamed statement), execute\n')
      printPostgresPhases(rows, postgres.statementPhases())
    }
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
