/**
 * `npm run bench:edge`'s measurement: each request type timed twice, at the injected round trip (`rtt`) and at
 * none, with where its time went (from the endpoint's timeline), its statements (counted at the endpoint) and the
 * CPU per request of workerd (the Worker), this process (the client and the endpoint) and Postgres (from /proc on
 * Linux). Used by scripts/bench-edge.ts; printed by scripts/bench-edge-report.ts.
 */
import type { Visit } from '../test/support/neon-http.ts'
import type { TestPostgres } from '../test/support/postgres.ts'
import type { BenchWorker } from './bench-worker.ts'
import { descendants, processCpuMs } from './proc-cpu.ts'

/** CPU ms per request (means over the timed runs): workerd (the Worker), this process (client and endpoint), Postgres. */
export interface Cpu { workerd: number | null; bench: number | null; postgres: number | null }
/**
 * Where one request's time went, from the endpoint's timeline: `database`, the time some statement of it was in
 * the endpoint beyond the injected round trip (Postgres and the endpoint, which stand for Neon); `elsewhere`, the
 * time no statement was (the client, the Worker and the hops between them): `before` the first statement came in,
 * `between` statements, and `after` the last one was answered.
 */
export interface Split { database: number; elsewhere: number; before: number; between: number; after: number }
/** One request type's timed runs at one round-trip time. */
export interface Pass {
  samples: number[]; splits: Split[]; cpu: Cpu
  /** Each timed request's span in epoch ms, for the Postgres log's phases. */
  spans: Array<[number, number]>
}
export interface Row {
  name: string
  /** The request's statements, counted in the last run at `rtt`. */
  statements: number
  /** The runs at the round trip, and at none. */
  rtt: Pass; zero: Pass
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

export interface MeasureSetting {
  postgres: TestPostgres
  worker: BenchWorker
  /** The injected round trip of the first pass (ms); the second has none. */
  rtt: number
  /** Timed requests per pass, and untimed ones before them. */
  requests: number
  warmup: number
  /** With a profiling worker: each timed request's profile at `rtt` lands here. */
  profiles: Array<{ name: string; profile: unknown }>
}

export type Measure = <T>(name: string, prepare: (i: number) => Promise<T>, run: (input: T) => Promise<Response>) =>
  Promise<Row>

/**
 * What measures a request type: `warmup` untimed runs of `run` with no round trip, then `requests` timed ones at
 * `rtt`, then as many at none, each after its untimed `prepare` (numbered on: 0 to `warmup` - 1 for the warm-up,
 * then the first pass's, then the second's). A run answered 400 or more throws.
 */
export function measurer(setting: MeasureSetting): Measure {
  const { postgres, worker, rtt, requests: N, warmup: WARMUP } = setting
  const endpoint = postgres.neonHttp
  const latency = (latencyMs: number) => fetch(endpoint.url.replace(/\/sql$/, '/__control'),
    { method: 'POST', body: JSON.stringify({ latencyMs }) })

  return async function measure<T>(name: string, prepare: (i: number) => Promise<T>,
    run: (input: T) => Promise<Response>): Promise<Row> {
    await latency(0)
    for (let i = 0; i < WARMUP; i++) {
      const res = await run(await prepare(i))
      await res.arrayBuffer()
      if (res.status >= 400) throw new Error(`${name} (warm-up): ${res.status}`)
    }
    let statements = 0
    const timed = async (roundTrip: number, first: number): Promise<Pass> => {
      const pass: Pass = { samples: [], splits: [], spans: [], cpu: { workerd: 0, bench: 0, postgres: 0 } }
      const workerdPids = pidsOf('workerd')
      const postgresPids = pidsOf('postgres')
      const add = (key: keyof Cpu, before: number | null, now: number | null) => {
        const sum = pass.cpu[key]
        pass.cpu[key] = before === null || now === null || sum === null ? null : sum + (now - before) / N
      }
      for (let i = 0; i < N; i++) {
        await latency(0)
        const input = await prepare(first + i)
        await latency(roundTrip)
        const before = endpoint.queries()
        const cpuBefore = { workerd: sumCpu(workerdPids), postgres: sumCpu(postgresPids), bench: benchCpuMs() }
        const stopProfile = roundTrip === rtt ? await worker.profile?.() : undefined
        const started = performance.now()
        const res = await run(input)
        await res.arrayBuffer()
        const ended = performance.now()
        pass.samples.push(ended - started)
        pass.splits.push(split(endpoint.timeline(), started, ended, roundTrip))
        pass.spans.push([performance.timeOrigin + started, performance.timeOrigin + ended])
        add('bench', cpuBefore.bench, benchCpuMs())
        add('workerd', cpuBefore.workerd, sumCpu(workerdPids))
        add('postgres', cpuBefore.postgres, sumCpu(postgresPids))
        if (stopProfile) setting.profiles.push({ name, profile: await stopProfile() })
        if (roundTrip === rtt) statements = endpoint.queries() - before
        if (res.status >= 400) throw new Error(`${name}: ${res.status}`)
      }
      return pass
    }
    const atRtt = await timed(rtt, WARMUP)
    const zero = await timed(0, WARMUP + N)
    await latency(0)
    return { name, statements, rtt: atRtt, zero }
  }
}
