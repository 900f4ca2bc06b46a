/**
 * `npm run bench:edge`'s tables, from scripts/bench-edge-measure.ts's rows. Issue 19's goals, for the requests it
 * lists (`goals`): the median at the round trip (`rtt`, 50 ms by default) within the floor of as many statements
 * plus {@link FLOOR_MARGIN_MS}, and the slope, (median at `rtt` − median at 0) ÷ `rtt`, at most {@link SLOPE_GOAL}:
 * what each further millisecond of round trip costs the request, about its statements in sequence (a one-statement
 * request pays one round trip). The floor: a Worker that only sends as many statements `select 1` through the
 * same endpoint (scripts/bench-worker.ts).
 */
import type { StatementPhase } from '../test/support/postgres.ts'
import type { Row, Split } from './bench-edge-measure.ts'
import { median, quantile } from './bench-stats.ts'

export const FLOOR_MARGIN_MS = 8
export const SLOPE_GOAL = 1.2

const ms = (x: number | null | undefined) => (x === null || x === undefined ? '' : x.toFixed(1))
const yesNo = (ok: boolean) => (ok ? 'yes' : 'no')
const splitMedian = (r: Row, k: keyof Split) => median(r.rtt.splits.map((x) => x[k]))
const slopeOf = (r: Row, rtt: number) => (median(r.rtt.samples) - median(r.zero.samples)) / rtt
const statementsOf = (r: Row) => String(r.statements)

/** The goal table: statements, the medians at `rtt` and at 0, the floor and the time over it, the slope, the verdicts. */
export function printGoals(rows: readonly Row[], floorRows: readonly Row[], rtt: number, goals: ReadonlySet<string>): void {
  const floorOf = new Map(floorRows.map((r) => [r.statements, median(r.rtt.samples)]))
  console.log(`| request | statements | median ms, RTT ${rtt} | median ms, RTT 0 | floor ms (its statements, RTT ${rtt}) | `
    + `over the floor | goal: within floor + ${FLOOR_MARGIN_MS} | slope (ms per ms of RTT) | goal: slope ≤ ${SLOPE_GOAL} |`)
  console.log('|---|---|---|---|---|---|---|---|---|')
  // The floor's own rows last: what the requests above pay with no work of ours in them.
  for (const r of [...rows, ...floorRows]) {
    const atRtt = median(r.rtt.samples)
    const isFloor = floorRows.includes(r)
    const floor = isFloor ? undefined : floorOf.get(r.statements)
    const slope = rtt > 0 ? slopeOf(r, rtt) : undefined
    const goal = goals.has(r.name)
    const within = floor === undefined ? '' : goal ? yesNo(atRtt <= floor + FLOOR_MARGIN_MS) : '—'
    const slopeWithin = slope === undefined || isFloor ? '' : goal ? yesNo(slope <= SLOPE_GOAL) : '—'
    console.log(`| ${r.name} | ${statementsOf(r)} | ${ms(atRtt)} | ${ms(median(r.zero.samples))} | ${ms(floor)} | `
      + `${floor === undefined ? '' : ms(atRtt - floor)} | ${within} | ${slope === undefined ? '' : slope.toFixed(2)} | ${slopeWithin} |`)
  }
}

/** Where the time went at `rtt`: p95, median ÷ RTT, the endpoint's timeline, the CPU per request. */
export function printDetail(rows: readonly Row[], rtt: number): void {
  console.log(`| request | p95 ms, RTT ${rtt} | median ÷ RTT | median ms beyond RTT: at the database | elsewhere (before / `
    + 'between / after the statements) | CPU ms: Worker (workerd) | endpoint + client | Postgres | Worker at RTT 0 |')
  console.log('|---|---|---|---|---|---|---|---|---|')
  for (const r of rows) {
    console.log(`| ${r.name} | ${ms(quantile(r.rtt.samples, 0.95))} | ${rtt > 0 ? (median(r.rtt.samples) / rtt).toFixed(2) : ''} | `
      + `${ms(splitMedian(r, 'database'))} | ${ms(splitMedian(r, 'elsewhere'))} `
      + `(${(['before', 'between', 'after'] as const).map((k) => ms(splitMedian(r, k))).join(' / ')}) | `
      + `${ms(r.rtt.cpu.workerd)} | ${ms(r.rtt.cpu.bench)} | ${ms(r.rtt.cpu.postgres)} | ${ms(r.zero.cpu.workerd)} |`)
  }
}

/**
 * Where each request's time over its floor went at `rtt` (medians, so the parts add up only roughly): at the
 * database beyond the floor's `select 1` (Postgres and the endpoint, which stand for Neon), and elsewhere beyond
 * the floor's (the Worker's own work); and what that leaves of the goal's {@link FLOOR_MARGIN_MS} ms.
 */
export function printOverFloor(rows: readonly Row[], floorRows: readonly Row[]): void {
  const floors = new Map(floorRows.map((r) => [r.statements, r]))
  console.log('| request | over the floor | at the database, beyond the floor\'s | elsewhere (the Worker), beyond the '
    + `floor's | left of the ${FLOOR_MARGIN_MS} ms |`)
  console.log('|---|---|---|---|---|')
  for (const r of rows) {
    const floor = floors.get(r.statements)
    if (r.statements === 0 || floor === undefined) continue
    const over = median(r.rtt.samples) - median(floor.rtt.samples)
    console.log(`| ${r.name} | ${ms(over)} | ${ms(splitMedian(r, 'database') - splitMedian(floor, 'database'))} | `
      + `${ms(splitMedian(r, 'elsewhere') - splitMedian(floor, 'elsewhere'))} | ${ms(FLOOR_MARGIN_MS - over)} |`)
  }
}

/** Per request type, the medians of Postgres' own parse, plan and execute time in its timed requests at the RTT. */
export function printPostgresPhases(rows: readonly Row[], phases: readonly StatementPhase[]): void {
  console.log('| request | statements | parse | bind (plan) | execute | in all |')
  console.log('|---|---|---|---|---|---|')
  for (const r of rows) {
    const per = r.rtt.spans.map(([from, to]) => {
      const sum = { parse: 0, bind: 0, execute: 0 }
      for (const p of phases) if (p.at >= from && p.at <= to) sum[p.phase] += p.ms
      return sum
    })
    const phase = (pick: (x: { parse: number; bind: number; execute: number }) => number) => median(per.map(pick)).toFixed(2)
    console.log(`| ${r.name} | ${r.statements} | ${phase((x) => x.parse)} | ${phase((x) => x.bind)} | `
      + `${phase((x) => x.execute)} | ${phase((x) => x.parse + x.bind + x.execute)} |`)
  }
}
