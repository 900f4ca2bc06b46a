/**
 * `npm run bench`'s concurrency row (issue 19): one client's `client_credentials` requests from one address, all
 * sent at once, each on its own connection: three bursts of 64 with the right secret (goal: all 200), then 120
 * with wrong secrets (goal: exactly 10 answered, whatever the answer, and the rest 429). The client is a new one
 * and the address (`127.0.0.2`, loopback) is used by nothing else in the benchmark, so what the wrong secrets
 * leave in the brute-force counters holds back no other measurement.
 */
import { randomBytes } from 'node:crypto'
import { adminApi, benchAgent, benchFetch } from './bench-client.ts'
import { ADMIN_TOKEN, createTokenClient } from './bench-server.ts'

const ADDRESS = '127.0.0.2'
const BURSTS = 3
const HONEST = 64
const WRONG = 120
const ANSWERED_WRONG = 10

export interface Burst {
  name: string
  /** Answers by status. */
  statuses: Map<number, number>
  goal: string
  met: boolean
}

/** The bursts against the server at `base`: a new client `slug`, then the requests. */
export async function concurrency(base: string, slug: string): Promise<Burst[]> {
  const client = await createTokenClient(adminApi(base, ADMIN_TOKEN), slug, ['client_credentials'])
  const agent = benchAgent(Math.max(HONEST, WRONG), ADDRESS)
  const burst = async (secrets: string[]) => {
    const statuses = new Map<number, number>()
    await Promise.all(secrets.map(async (secret) => {
      const res = await benchFetch(`${base}/application/o/token/`, { method: 'POST',
        headers: { Authorization: `Basic ${btoa(`${client.client_id}:${secret}`)}` },
        body: new URLSearchParams({ grant_type: 'client_credentials' }) }, agent)
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1)
    }))
    return statuses
  }
  const bursts: Burst[] = []
  try {
    for (let i = 1; i <= BURSTS; i++) {
      const statuses = await burst(Array.from({ length: HONEST }, () => client.client_secret))
      bursts.push({ name: `${HONEST} right secrets, burst ${i} of ${BURSTS}`, statuses, goal: 'all 200',
        met: statuses.get(200) === HONEST })
    }
    const statuses = await burst(Array.from({ length: WRONG }, () => randomBytes(32).toString('hex')))
    bursts.push({ name: `${WRONG} wrong secrets`, statuses, goal: `exactly ${ANSWERED_WRONG} answered, the rest 429`,
      met: statuses.get(429) === WRONG - ANSWERED_WRONG })
  } finally {
    agent.destroy()
  }
  return bursts
}

/** The table of every database's bursts. */
export function concurrencyLines(runs: ReadonlyArray<readonly [string, readonly Burst[]]>): string[] {
  const lines = [`\nOne client's client_credentials from one address (${ADDRESS}), all at once (issue 19's concurrency row):\n`,
    '| database | requests at once | 200 | answered otherwise | 429 | goal | met |', '|---|---|---|---|---|---|---|']
  for (const [db, bursts] of runs) {
    for (const b of bursts) {
      const other = [...b.statuses].filter(([s]) => s !== 200 && s !== 429)
      const otherCount = other.reduce((n, [, c]) => n + c, 0)
      lines.push(`| ${db} | ${b.name} | ${b.statuses.get(200) ?? 0} | ${otherCount}${otherCount ? ` (${
        other.map(([s, c]) => `${s} × ${c}`).join(', ')})` : ''} | ${b.statuses.get(429) ?? 0} | ${b.goal} | ${b.met ? 'yes' : 'no'} |`)
    }
  }
  return lines
}
