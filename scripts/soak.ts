/**
 * `npm run soak`: `npm start`'s server (src/node.ts, a child process) on a real PostgreSQL (`DATABASE_URL`, the
 * embedded server of the workerd tests) under `--minutes` (default 5; `--seconds` for a short run) of mixed traffic
 * from `--concurrency` clients (default 16) spread over `--addresses` loopback addresses (127.0.0.2 and on; the
 * server takes the client's address from the TCP peer): people signing in and going through the code flow with
 * PKCE, userinfo, a refresh, introspection, RP-initiated logout, revocation; services sending `client_credentials`,
 * introspecting and revoking (scripts/soak-traffic.ts). Several clients of each kind; the code-flow clients have
 * back-channel logout URIs on a receiver in this process, one that always answers 200, one that alternates 503 and
 * 200 and one that always answers 503, so deliveries fail and the scheduled run retries them; the purge runs every
 * `--purge-interval` seconds (default 10) under the load, and tokens expire after a minute or two so it has rows
 * to delete. Passwords are hashed with 10000 PBKDF2 iterations, as in the benchmarks.
 *
 * Per interval (a minute; a quarter of a short run), after a `--warmup` (15 s, or one interval if shorter; its
 * answers are judged too): req/s, p50 and p99 of every answer, the unexpected answers by status and request, the
 * refusals the traffic asked for, the server process's resident memory and CPU, and the load average (Linux:
 * /proc). Then per request; the purge's and the back-channel logout's work, from the server's log, the outbox and
 * the receiver; and a verdict per goal (issue 19): no answer the traffic did not ask for (and no error in the
 * server's log); the last interval's p99 at most 1.5x the first's; memory flat (the server's RSS at the end at
 * most `MEMORY_TOLERANCE` above its lowest after the warm-up), these two judged over intervals of a minute or more
 * only. It exits 1 when a goal fails, so that `.ci/run`'s short run (`--seconds 20`) fails on any unexpected answer.
 */
import { cpus, loadavg } from 'node:os'
import { parseArgs } from 'node:util'
import { createProviderApp, createUserWithPassword, defaultMappingPks, generateKeyPair, type AdminApi }
  from '../test/support/fixtures.ts'
import { startReceiver, type Receiver } from '../test/support/logout-receiver.ts'
import { startTestPostgres } from '../test/support/postgres.ts'
import { benchAgent } from './bench-client.ts'
import { startEdgeOidc } from './bench-server.ts'
import { quantile } from './bench-stats.ts'
import { processCpuMs, processRssMiB } from './proc-cpu.ts'
import { REDIRECT, SoakClient, Tally, type Bucket, type World } from './soak-traffic.ts'

const { values: args } = parseArgs({ options: {
  minutes: { type: 'string', default: '5' }, seconds: { type: 'string' },
  /** Seconds per reporting interval: 60, or a quarter of a run shorter than 4 minutes. */
  interval: { type: 'string' }, warmup: { type: 'string' },
  concurrency: { type: 'string', default: '16' }, addresses: { type: 'string', default: '8' },
  'purge-interval': { type: 'string', default: '10' },
} })
const SECONDS = args.seconds ? Number(args.seconds) : Number(args.minutes) * 60
const INTERVAL = args.interval ? Number(args.interval) : SECONDS >= 240 ? 60 : Math.max(1, SECONDS / 4)
const WARMUP = args.warmup ? Number(args.warmup) : Math.min(15, INTERVAL)
const CONCURRENCY = Number(args.concurrency)
const ADDRESSES = Number(args.addresses)
/**
 * Memory flat: the server's RSS at the end of the last interval at most this much above the lowest at the end of
 * any interval after the warm-up (a leak grows it from there; the heap V8 sizes up in the first minute does not count).
 */
const MEMORY_TOLERANCE = 0.1
/** The back-channel receivers' paths: always 200, 503 and 200 by turns, always 503. */
const RECEIVERS = { ok: [200], flaky: Array.from({ length: 100_000 }, (_, i) => (i % 2 ? 200 : 503)), down: [503] }

/** The server's log, apart from its request lines: purge runs, back-channel deliveries, warnings and errors. */
class ServerLog {
  purges = 0
  readonly purged = new Map<string, number>()
  readonly scheduled = { delivered: 0, failed: 0 }
  readonly messages = new Map<string, number>()
  /** The first line of each kind of warning or error. */
  readonly firsts = new Map<string, string>()
  readonly errors: string[] = []
  line = (line: string): void => {
    if (line.includes('"msg":"request"')) return
    let entry: { level?: string; msg?: string; deleted?: Record<string, number>; delivered?: number; failed?: number }
    try {
      entry = JSON.parse(line)
    } catch {
      return // the banner
    }
    if (entry.level === 'error') this.errors.push(line)
    if (entry.msg === 'purged expired rows') {
      this.purges++
      for (const [table, n] of Object.entries(entry.deleted ?? {})) this.purged.set(table, (this.purged.get(table) ?? 0) + n)
    } else if (entry.msg === 'back-channel logout run') {
      this.scheduled.delivered += entry.delivered ?? 0
      this.scheduled.failed += entry.failed ?? 0
    }
    const key = `${entry.level} ${entry.msg}`
    this.messages.set(key, (this.messages.get(key) ?? 0) + 1)
    if ((entry.level === 'warn' || entry.level === 'error') && !this.firsts.has(key)) this.firsts.set(key, line)
  }
}

/** Clients of each kind: four services, three code-flow clients (one per receiver path); eight users. */
async function setUp(api: AdminApi, base: string, receiver: Receiver): Promise<World> {
  const signing = (await generateKeyPair(api, 'soak', { alg: 'ecdsa', key_size: 256 })).pk
  const mappings = await defaultMappingPks(api)
  const short = { signing_key: signing, property_mappings: mappings, access_code_validity: 'minutes=1',
    access_token_validity: 'minutes=1', refresh_token_validity: 'minutes=2' }
  const world: World = { base, services: [], webs: [], users: [] }
  for (let i = 1; i <= 4; i++) {
    world.services.push(await createProviderApp(api, `soak-service-${i}`, { ...short, grant_types: ['client_credentials'] }))
  }
  for (const path of Object.keys(RECEIVERS) as Array<keyof typeof RECEIVERS>) {
    receiver.answers.set(`/${path}`, [...RECEIVERS[path]])
    const slug = `soak-web-${path}`
    world.webs.push({ slug, ...await createProviderApp(api, slug, { ...short, grant_types: ['authorization_code',
      'refresh_token'], redirect_uris: [{ matching_mode: 'strict', url: REDIRECT }], logout_method: 'backchannel',
    logout_uri: `${receiver.base}/${path}` }) })
  }
  for (let i = 1; i <= 8; i++) world.users.push((await createUserWithPassword(api, `soak-user-${i}`)).username)
  return world
}

const ms = (x: number) => (Number.isNaN(x) ? '' : x.toFixed(1))
const counts = (m: Map<string, number>) => [...m].filter(([, n]) => n > 0).sort((a, b) => b[1] - a[1])
  .map(([k, n]) => `${k} ×${n}`).join('; ')

function bucketRow(b: Bucket): string {
  const seconds = (b.ended - b.started) / 1000
  return `| ${b.label} | ${b.latencies.length} | ${(b.latencies.length / seconds).toFixed(0)} | ${
    ms(quantile(b.latencies, 0.5))} | ${ms(quantile(b.latencies, 0.99))} | ${counts(b.unexpected) || 0} | ${
    b.refusals} | ${b.rssMiB?.toFixed(1) ?? ''} | ${b.cpuPercent?.toFixed(0) ?? ''} | ${b.load.toFixed(2)} |`
}

/** `--concurrency` clients until the end, the tally's intervals closed (and printed) as they end. */
async function drive(world: World, serverPid: number): Promise<Tally> {
  const tally = new Tally()
  const started = performance.now()
  const until = started + (WARMUP + SECONDS) * 1000
  const agents = Array.from({ length: ADDRESSES }, (_, i) => benchAgent(16, `127.0.0.${2 + i}`))
  console.log('| interval | answers | req/s | p50 ms | p99 ms | unexpected (status request: what ×n) | refusals asked for '
    + '| server RSS MiB | server CPU % | load (1 min) |')
  console.log('|---|---|---|---|---|---|---|---|---|---|')
  let n = 0
  let cpu = processCpuMs(serverPid)
  const close = () => {
    const bucket = tally.current
    bucket.ended = performance.now()
    bucket.rssMiB = processRssMiB(serverPid)
    const now = processCpuMs(serverPid)
    if (now !== null && cpu !== null) bucket.cpuPercent = (now - cpu) / (bucket.ended - bucket.started) * 100
    cpu = now
    bucket.load = loadavg()[0]!
    console.log(bucketRow(bucket))
  }
  tally.open(`warm-up (${WARMUP} s)`)
  const boundaries: ReturnType<typeof setTimeout>[] = []
  for (let at = WARMUP; at < WARMUP + SECONDS - 1e-9; at += INTERVAL) {
    boundaries.push(setTimeout(() => {
      close()
      tally.open(`${INTERVAL >= 60 ? 'minute' : `${INTERVAL} s`} ${++n}`)
    }, at * 1000))
  }
  await Promise.all(Array.from({ length: CONCURRENCY }, (_, i) =>
    new SoakClient(world, `127.0.0.${2 + (i % ADDRESSES)}`, agents[i % ADDRESSES]!, tally).run(until)))
  boundaries.forEach(clearTimeout)
  close()
  for (const agent of agents) agent.destroy()
  return tally
}

/** The outbox by status, from the admin API. */
async function outbox(api: AdminApi): Promise<string> {
  const out: string[] = []
  for (const status of ['pending', 'delivered', 'failed']) {
    const page = await (await api.admin('GET', `/oauth2/logout_notifications/?status=${status}&page_size=1`)).json() as
      { pagination?: { count: number } }
    out.push(`${status} ${page.pagination?.count ?? '?'}`)
  }
  return out.join(', ')
}

/** Per receiver path: logout tokens received, and how many of them were retries (a session's second or later). */
function receiverCounts(receiver: Receiver): string {
  return Object.keys(RECEIVERS).map((path) => {
    const got = receiver.received.filter((r) => r.path === `/${path}`)
    const sids = new Set(got.map((r) => JSON.parse(Buffer.from(r.fields.logout_token?.split('.')[1] ?? '', 'base64url')
      .toString() || '{}').sid))
    return `/${path}: ${got.length} received, ${got.length - sids.size} of them retries`
  }).join('; ')
}

/**
 * The goals. The trends (p99, memory) are judged only over intervals of a minute or more: over a short run's
 * intervals of seconds, a p99 is a handful of answers that one stall of this shared machine doubles, and the
 * heap is still growing into its size. There they are printed, not judged.
 */
function verdicts(tally: Tally, log: ServerLog): boolean {
  const measured = tally.buckets.slice(1)
  const first = measured[0]!
  const last = measured.at(-1)!
  const unexpected = [...tally.unexpected.values()].reduce((a, b) => a + b, 0)
  const p99 = [quantile(first.latencies, 0.99), quantile(last.latencies, 0.99)] as const
  const sizes = measured.map((b) => b.rssMiB)
  const lowest = sizes.includes(null) ? null : Math.min(...(sizes as number[]))
  const end = last.rssMiB
  const trend = (held: boolean) => (INTERVAL >= 60 ? held : null)
  const goals: Array<[string, boolean | null, string]> = [
    ['no answer the traffic did not ask for, no error in the server log', unexpected === 0 && log.errors.length === 0,
      `${unexpected} unexpected answers (warm-up included), ${log.errors.length} error lines`],
    ['p99 of the last interval at most 1.5x the first', trend(p99[1] <= 1.5 * p99[0]),
      `${ms(p99[1])} ms against ${ms(p99[0])} ms: ${(p99[1] / p99[0]).toFixed(2)}x`],
    [`memory flat: the server's RSS at the end at most ${MEMORY_TOLERANCE * 100}% above its lowest after the warm-up`,
      lowest === null || end === null ? null : trend(end <= lowest * (1 + MEMORY_TOLERANCE)),
      lowest === null || end === null ? 'not measured (no /proc)'
        : `${end.toFixed(1)} MiB against ${lowest.toFixed(1)} MiB: ${((end / lowest - 1) * 100).toFixed(1)}%`],
  ]
  console.log('\n| goal | held | measured |\n|---|---|---|')
  for (const [goal, held, what] of goals) {
    console.log(`| ${goal} | ${held === null ? 'not judged' : held ? 'yes' : 'NO'} | ${what} |`)
  }
  if (INTERVAL < 60) console.log('(the trends are judged over intervals of a minute or more: `--minutes`)')
  return goals.every(([, held]) => held !== false)
}

async function main(): Promise<void> {
  const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}, Node ${process.version}`
  console.log(`soak: ${machine}; load average ${loadavg().map((x) => x.toFixed(2)).join(', ')}`)
  console.log(`${SECONDS} s of traffic after ${WARMUP} s of warm-up, ${CONCURRENCY} clients over ${ADDRESSES} addresses, `
    + `intervals of ${INTERVAL} s, purge every ${args['purge-interval']} s\n`)
  const postgres = await startTestPostgres()
  const receiver = await startReceiver()
  const log = new ServerLog()
  let ok = false
  try {
    const { base, server, api, stop } = await startEdgeOidc({ databaseUrl: postgres.databaseUrl,
      env: { PURGE_INTERVAL_SECONDS: String(Number(args['purge-interval'])) }, onLine: log.line })
    try {
      const world = await setUp(api, base, receiver)
      const tally = await drive(world, server.pid!)
      console.log('\n| request | answers | p50 ms | p99 ms | refusals asked for | unexpected |\n|---|---|---|---|---|---|')
      for (const [name, r] of [...tally.requests].sort((a, b) => b[1].latencies.length - a[1].latencies.length)) {
        console.log(`| ${name} | ${r.latencies.length} | ${ms(quantile(r.latencies, 0.5))} | ${
          ms(quantile(r.latencies, 0.99))} | ${r.refusals} | ${r.unexpected} |`)
      }
      console.log(`\nunexpected answers, by status and request: ${counts(tally.unexpected) || 'none'}`)
      console.log(`purge: ${log.purges} runs, deleted ${counts(log.purged) || 'nothing'}`)
      console.log(`back-channel logout: scheduled runs delivered ${log.scheduled.delivered} and failed ${
        log.scheduled.failed}; outbox ${await outbox(api)}; ${receiverCounts(receiver)}`)
      console.log(`server log apart from requests: ${counts(log.messages)}`)
      for (const line of log.firsts.values()) console.log(`  first of its kind: ${line.slice(0, 700)}`)
      ok = verdicts(tally, log)
    } finally {
      await stop()
    }
  } finally {
    await receiver.close()
    await postgres.stop()
  }
  console.log(`\nload average (1, 5, 15 min): ${loadavg().map((x) => x.toFixed(2)).join(', ')}`)
  process.exit(ok ? 0 : 1)
}

main().catch((err) => {
  console.error(err)
  process.exit(1)
})
