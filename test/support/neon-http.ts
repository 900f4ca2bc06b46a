import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import pg from 'pg'

/**
 * A local endpoint of Neon's HTTP query protocol (what `neon()` and drizzle's `neon-http` speak) in front of a
 * plain PostgreSQL, so that the Worker runs in tests exactly as in production: `POST /sql` with
 * `Neon-Connection-String`, `Neon-Raw-Text-Output: true` and `Neon-Array-Mode: true`; `{query, params}` answers
 * `{command, rowCount, rows, fields}` with every value as Postgres text; `{queries: [...]}` runs as one
 * transaction (honouring `Neon-Batch-Isolation-Level`, `-Read-Only`, `-Deferrable`) and answers `{results}`; a
 * Postgres error answers 400 with its fields (`code`, `constraint`, ...), as Neon does.
 *
 * `POST /__control` sets faults for the database-down tests and the benchmark: `{latencyMs}` delays every answer,
 * `{fault: 'down'}` answers 503, `{fault: 'hang'}` never answers, `{fault: null}` recovers; it answers the settings
 * and `queries`, how many statements have run (so tests in workerd can count a request's statements).
 */
export interface NeonHttpEndpoint {
  /** `http://127.0.0.1:<port>/sql`, as `neonConfig.fetchEndpoint` takes it. */
  url: string
  /** How many queries (a batch counts each of its queries) it has run. */
  queries(): number
  /**
   * When each statement or batch was in this endpoint (`performance.now()` of this process): `arrived` (its request
   * came in), `ran` (the injected round trip over, handed to Postgres) and `answered` (its answer written).
   */
  timeline(): readonly Visit[]
  close(): Promise<void>
}

export type NeonFault = 'down' | 'hang' | null

interface Query { query: string; params?: unknown[] }

export interface Visit { arrived: number; ran: number; answered: number }

const ERROR_FIELDS = ['severity', 'code', 'detail', 'hint', 'position', 'internalPosition', 'internalQuery', 'where',
  'schema', 'table', 'column', 'dataType', 'constraint', 'file', 'line', 'routine'] as const

const ISOLATION: Record<string, string> = {
  Serializable: 'serializable', RepeatableRead: 'repeatable read', ReadCommitted: 'read committed',
  ReadUncommitted: 'read uncommitted',
}

// Every value as the text Postgres sent: the driver parses it by type (`Neon-Raw-Text-Output`).
const RAW_TEXT = { getTypeParser: () => (value: string) => value }

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of req) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks).toString('utf8')
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'Content-Type': 'application/json' })
  res.end(JSON.stringify(body))
}

function shape(result: pg.QueryResult<unknown[]>) {
  return {
    command: result.command, rowCount: result.rowCount, rows: result.rows,
    fields: result.fields.map((f) => ({ name: f.name, dataTypeID: f.dataTypeID, tableID: f.tableID,
      columnID: f.columnID, dataTypeSize: f.dataTypeSize, dataTypeModifier: f.dataTypeModifier, format: 'text' })),
  }
}

function errorBody(err: unknown): Record<string, unknown> {
  const e = err as Record<string, unknown>
  const body: Record<string, unknown> = { message: e.message ?? String(err) }
  for (const field of ERROR_FIELDS) if (e[field] !== undefined) body[field] = e[field]
  return body
}

/**
 * Resolves at `deadline` (`performance.now()`), to within a few tenths of a millisecond: a timer alone fires up
 * to 1 ms early or late (libuv's loop clock counts whole milliseconds), which would charge a round trip short or
 * long. So a timer until 2 ms before, then one turn of the event loop after another (`setImmediate`: other
 * requests are served meanwhile, concurrent statements keep overlapping).
 */
async function holdUntil(deadline: number): Promise<void> {
  const early = deadline - performance.now() - 2
  if (early > 0) await new Promise((resolve) => setTimeout(resolve, early))
  while (performance.now() < deadline) await new Promise((resolve) => setImmediate(resolve))
}

/** Start the endpoint in front of `databaseUrl` (a plain PostgreSQL reached over TCP). */
export async function startNeonHttpEndpoint(databaseUrl: string): Promise<NeonHttpEndpoint> {
  // Connections stay open (no idle timeout) and two are opened now: Neon keeps its own to the database warm, so a
  // statement here must not pay for a Postgres start-up either.
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 8, idleTimeoutMillis: 0 })
  pool.on('error', () => {}) // an idle client's server closed: the pool replaces it
  const warm = await Promise.all([pool.connect(), pool.connect()])
  for (const client of warm) client.release()
  let count = 0
  let latencyMs = 0
  let fault: NeonFault = null
  const hanging = new Set<ServerResponse>()
  const visits: Visit[] = []

  const run = (client: pg.PoolClient, q: Query) => {
    count++
    return client.query<unknown[]>({ text: q.query, values: q.params ?? [], rowMode: 'array', types: RAW_TEXT })
  }

  async function answer(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const arrived = performance.now()
    const body = await readBody(req)
    if (req.url === '/__control') {
      const control = JSON.parse(body) as { latencyMs?: number; fault?: NeonFault }
      if (control.latencyMs !== undefined) latencyMs = control.latencyMs
      if (control.fault !== undefined) fault = control.fault
      return send(res, 200, { latencyMs, fault, queries: count })
    }
    if (req.method !== 'POST' || req.url !== '/sql') return send(res, 404, { message: 'not found' })
    // One round trip per statement or batch, counted from the request's arrival: the answer leaves no earlier than
    // `latencyMs` after the request came in, plus what Postgres takes.
    await holdUntil(arrived + latencyMs)
    if (fault === 'hang') {
      hanging.add(res)
      return
    }
    if (fault === 'down') return send(res, 503, { message: 'the database is unavailable' })
    if (!req.headers['neon-connection-string']) return send(res, 400, { message: 'missing Neon-Connection-String' })
    const payload = JSON.parse(body) as Query | { queries: Query[] }
    const ran = performance.now()
    res.once('finish', () => {
      visits.push({ arrived, ran, answered: performance.now() })
      if (visits.length > 10_000) visits.splice(0, 5_000)
    })
    const client = await pool.connect()
    try {
      if (!('queries' in payload)) return send(res, 200, shape(await run(client, payload)))
      const level = ISOLATION[String(req.headers['neon-batch-isolation-level'] ?? '')] ?? 'read committed'
      const mode = `${req.headers['neon-batch-read-only'] === 'true' ? ' read only' : ''}${
        req.headers['neon-batch-deferrable'] === 'true' ? ' deferrable' : ''}`
      await client.query(`begin isolation level ${level}${mode}`)
      try {
        const results = []
        for (const q of payload.queries) results.push(shape(await run(client, q)))
        await client.query('commit')
        send(res, 200, { results })
      } catch (err) {
        await client.query('rollback').catch(() => {})
        throw err
      }
    } catch (err) {
      send(res, 400, errorBody(err))
    } finally {
      client.release()
    }
  }

  // Keep-alive well above Node's 5 s default, so the Worker's connection stays open between the benchmark's phases;
  // no Nagle delay on answers (Node's default, said here because the round trip is what this server measures).
  const server: Server = createServer({ keepAliveTimeout: 60_000, noDelay: true }, (req, res) => {
    answer(req, res).catch((err: unknown) => {
      if (!res.headersSent) send(res, 500, { message: String(err) })
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}/sql`,
    queries: () => count,
    timeline: () => visits,
    async close() {
      for (const res of hanging) res.destroy()
      const closed = new Promise<void>((resolve) => server.close(() => resolve()))
      server.closeAllConnections()
      await closed
      await pool.end()
    },
  }
}
