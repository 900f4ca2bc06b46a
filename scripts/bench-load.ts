/**
 * `npm run bench -- --compare`'s load generator, in a process of its own so that it can have a CPU to itself
 * (scripts/bench-compare.ts starts it under `taskset -c 1`): `BENCH_LOAD` (JSON, {@link LoadSpec}) says what to
 * send; it keeps `connections` keep-alive connections busy with the same `POST` for `seconds`, each sending its next
 * request as soon as its last is answered, and prints one line of JSON ({@link LoadResult}): the answers counted by
 * status, and the time from the first request to the last answer.
 */
import { Agent, request } from 'node:http'

export interface LoadSpec {
  url: string
  headers: Record<string, string>
  body: string
  connections: number
  seconds: number
}

export interface LoadResult {
  answers: number
  seconds: number
  /** Answers by HTTP status (`"200": 12000`); a connection error counts as status `"error"`. */
  statuses: Record<string, number>
}

const spec = JSON.parse(process.env.BENCH_LOAD ?? '') as LoadSpec
const body = Buffer.from(spec.body)
const headers = { ...spec.headers, 'Content-Length': String(body.length) }
const agent = new Agent({ keepAlive: true, maxSockets: spec.connections })

/** One request: its answer's status (the body read and dropped). */
const send = () => new Promise<string>((resolve) => {
  const req = request(spec.url, { method: 'POST', headers, agent }, (res) => {
    res.resume()
    res.once('end', () => resolve(String(res.statusCode)))
    res.once('error', () => resolve('error'))
  })
  req.once('error', () => resolve('error'))
  req.end(body)
})

const statuses: Record<string, number> = {}
const started = performance.now()
const deadline = started + spec.seconds * 1000
await Promise.all(Array.from({ length: spec.connections }, async () => {
  while (performance.now() < deadline) {
    const status = await send()
    statuses[status] = (statuses[status] ?? 0) + 1
  }
}))
const result: LoadResult = { answers: Object.values(statuses).reduce((a, b) => a + b, 0),
  seconds: (performance.now() - started) / 1000, statuses }
console.log(JSON.stringify(result))
agent.destroy()
