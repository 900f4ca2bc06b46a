/**
 * The client side of Neon's HTTP query protocol (`POST https://api.<region host>/sql`), which is all the Worker
 * needs of `@neondatabase/serverless`: that package also bundles a WebSocket Postgres client and Node shims
 * (about 140 KiB of the Worker's minified code) that the HTTP path never runs. The protocol: the connection string
 * in `Neon-Connection-String`, `{query, params}` with every parameter as text, and answers
 * `{fields: [{name, dataTypeID}], rows: [[text...]]}` (`Neon-Raw-Text-Output`, `Neon-Array-Mode`); a Postgres error
 * is a 400 with its fields (`code`, `constraint`, ...).
 */

/** A Postgres error as the endpoint reports it: `code` is the SQLSTATE (src/db/errors.ts reads it). */
export class NeonQueryError extends Error {
  override name = 'NeonQueryError'
  constructor(message: string, readonly code: string | undefined, readonly detail: Record<string, unknown>) {
    super(message)
  }
}

/** The database could not be asked or did not answer: unreachable, timed out, or an endpoint error (5xx). */
export class NeonUnavailableError extends Error {
  override name = 'NeonUnavailableError'
}

interface Field { name: string; dataTypeID: number }
interface RawResult { fields: Field[]; rows: Array<Array<string | null>>; rowCount?: number | null; command?: string }

// node-postgres's default text parsers for the types our statements return, with drizzle's overrides (dates,
// timestamps and intervals stay text: drizzle's columns parse them); every other type stays text too.
const parseBool = (v: string) => v === 't' || v === 'true'
const SCALAR: Record<number, (v: string) => unknown> = {
  16: parseBool, 21: Number, 23: Number, 26: Number, 700: Number, 701: Number, 114: JSON.parse, 3802: JSON.parse,
}
const ARRAY_OF: Record<number, number> = {
  1000: 16, 1005: 21, 1007: 23, 1009: 25, 1015: 1043, 1016: 20, 1021: 700, 1022: 701, 1182: 1082, 1115: 1114,
  1185: 1184, 199: 114, 3807: 3802, 2951: 2950,
}

/** A one-dimensional Postgres array literal (`{a,"b c",NULL}`) into its elements. */
function parseArray(text: string, element: (v: string) => unknown): unknown[] {
  const out: unknown[] = []
  let i = 1
  while (i < text.length - 1) {
    let value = ''
    let quoted = false
    if (text[i] === '"') {
      quoted = true
      for (i++; i < text.length && text[i] !== '"'; i++) value += text[i] === '\\' ? text[++i] : text[i]
      i++
    } else {
      for (; i < text.length - 1 && text[i] !== ','; i++) value += text[i]
    }
    out.push(!quoted && value === 'NULL' ? null : element(value))
    i++ // the comma
  }
  return out
}

function parserOf(type: number): (v: string) => unknown {
  const scalar = SCALAR[type]
  if (scalar) return scalar
  const element = ARRAY_OF[type]
  if (element !== undefined) {
    const inner = SCALAR[element] ?? ((v: string) => v)
    return (v) => parseArray(v, inner)
  }
  return (v) => v
}

/** A parameter as text, as node-postgres's `prepareValue` sends it. */
function prepare(value: unknown): string | null {
  if (value === null || value === undefined) return null
  if (value instanceof Date) return value.toISOString()
  if (value instanceof Uint8Array) return `\\x${[...value].map((b) => b.toString(16).padStart(2, '0')).join('')}`
  if (Array.isArray(value)) {
    const items = value.map((v) => {
      const text = prepare(v)
      return text === null ? 'NULL' : `"${text.replace(/[\\"]/g, '\\$&')}"`
    })
    return `{${items.join(',')}}`
  }
  if (typeof value === 'object') return JSON.stringify(value)
  return String(value)
}

export interface NeonFetchOptions {
  /** The endpoint's URL; Neon's own (`https://api.<host minus its first label>/sql`) by default. */
  endpoint?: string | undefined
  timeoutMs: number
  fetch?: typeof fetch
}

export interface QueryResult {
  rows: unknown[]
  rowCount: number
}

/** A query function over Neon's HTTP protocol: rows as arrays (`arrayMode`) or objects by column name. */
export function neonFetch(connectionString: string, options: NeonFetchOptions) {
  const url = options.endpoint ?? `https://${new URL(connectionString).hostname.replace(/^[^.]+\./, 'api.')}/sql`
  const doFetch = options.fetch ?? ((input: string, init?: RequestInit) => fetch(input, init))
  return async function query(sql: string, params: unknown[], arrayMode: boolean): Promise<QueryResult> {
    let res: Response
    try {
      res = await doFetch(url, {
        method: 'POST',
        headers: { 'Neon-Connection-String': connectionString, 'Neon-Raw-Text-Output': 'true',
          'Neon-Array-Mode': 'true', 'Content-Type': 'application/json' },
        body: JSON.stringify({ query: sql, params: params.map(prepare) }),
        signal: AbortSignal.timeout(options.timeoutMs),
      })
    } catch (err) {
      throw new NeonUnavailableError(`the database could not be reached: ${String(err)}`, { cause: err })
    }
    if (res.status === 400) {
      const body = (await res.json().catch(() => ({}))) as Record<string, unknown>
      throw new NeonQueryError(String(body.message ?? 'query failed'), body.code as string | undefined, body)
    }
    if (!res.ok) throw new NeonUnavailableError(`the database endpoint answered ${res.status}`)
    const result = (await res.json()) as RawResult
    const parsers = result.fields.map((f) => parserOf(f.dataTypeID))
    const rows = result.rows.map((row) => {
      const values = row.map((v, i) => (v === null ? null : parsers[i]!(v)))
      return arrayMode ? values : Object.fromEntries(result.fields.map((f, i) => [f.name, values[i]]))
    })
    return { rows, rowCount: result.rowCount ?? rows.length }
  }
}
