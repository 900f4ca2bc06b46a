import { Param, SQL, StringChunk } from 'drizzle-orm'
import type { Db } from './client.ts'
import { sqlState } from './errors.ts'
import { KEPT_STATEMENTS } from './kept-statements.table.ts'
import { renderQuery } from './render.ts'

/**
 * Statements whose plans the database keeps. Neon's HTTP endpoint sends every statement unnamed, so Postgres
 * parses and plans each one afresh: for the one statement of a client-authenticated request (the provider
 * bundle, the artefact, the counters and the writes, src/db/client-statement.ts) that was about 1 ms of its 3, on
 * every request. A PL/pgSQL function keeps the plans of its statements for the life of its connection, and Neon's
 * endpoint keeps its connections, so each such statement shape is also a function `edge_kept_<key>` whose body
 * is exactly its text (created by a migration, `npm run db:kept`): the request then sends
 * `select * from edge_kept_<key>($1, ...)` with the same parameters, which is parsed and planned in a few
 * hundredths of a millisecond. The same answer, rows and errors (SQLSTATEs) alike, on every driver.
 *
 * `<key>` is a 64-bit hash of the statement's text as drizzle renders it (values are parameters, so one key per
 * shape). A text whose key the table below lacks (a shape no migration made, or code changed since) runs as
 * itself; so does one whose function is missing (the Worker deployed before the migration, or after a newer
 * one dropped it), after one refused call.
 */
/** A 64-bit FNV-1a-style hash of `text` (two 32-bit lanes), as 16 hex digits. */
export function statementKey(text: string): string {
  let a = 0x811c9dc5
  let b = 0x27d4eb2f
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    a = Math.imul(a ^ c, 0x01000193)
    b = Math.imul(b ^ c, 0x5bd1e995)
    b ^= b >>> 15
  }
  return (a >>> 0).toString(16).padStart(8, '0') + (b >>> 0).toString(16).padStart(8, '0')
}

export const keptFunctionName = (key: string): string => `edge_kept_${key}`

/** The key of the kept function `statement` calls (as {@link executeKept} sends it), or null. */
export const keptCallKey = (statement: string): string | null =>
  /^select \* from "edge_kept_([0-9a-f]{16})"\(/.exec(statement)?.[1] ?? null

let kept: ReadonlySet<string> = KEPT_STATEMENTS
/** Sees each statement offered for keeping: its text and parameters as rendered here, and the statement. */
export type KeptRecorder = (rendered: { sql: string; params: unknown[] }, query: SQL) => void
let recorder: KeptRecorder | undefined

/**
 * For `npm run db:kept` and its test: which keys have functions (`keys`), and a `record` hook that sees every
 * statement offered for keeping. `reset` puts back the generated table and no hook.
 */
export function configureKeptStatements(
  options: { keys?: ReadonlySet<string>; record?: KeptRecorder } | 'reset',
): void {
  kept = options === 'reset' ? KEPT_STATEMENTS : options.keys ?? kept
  recorder = options === 'reset' ? undefined : options.record
}

/** The keys of the texts seen lately: a request's statements are few shapes, each rendered anew every time. */
const keys = new Map<string, string>()
const KEYS_KEPT = 256

function keyOf(text: string): string {
  let key = keys.get(text)
  if (key === undefined) {
    if (keys.size >= KEYS_KEPT) keys.clear()
    keys.set(text, key = statementKey(text))
  }
  return key
}

/**
 * `select * from "edge_kept_<key>"($1, ...)` with `params`, as one flat list of chunks (its render is a single
 * pass; nested `sql` fragments, one per parameter, cost a pass each). A primitive value is its own chunk, which
 * drizzle knows for a parameter at a glance; anything else (an array would be a list) goes in a `Param`.
 */
function keptCall(key: string, params: readonly unknown[]): SQL {
  const chunks: unknown[] = [new StringChunk(`select * from "${keptFunctionName(key)}"(`)]
  params.forEach((value, i) => {
    if (i > 0) chunks.push(new StringChunk(', '))
    chunks.push(value === null || typeof value !== 'object' ? value : new Param(value))
  })
  chunks.push(new StringChunk(')'))
  return new SQL(chunks as ConstructorParameters<typeof SQL>[0])
}

/** `db.execute(query)`, through its kept function when there is one. */
export async function executeKept(db: Db, query: SQL): Promise<unknown> {
  const rendered = renderQuery(query)
  recorder?.(rendered, query)
  const { sql: text, params } = rendered
  const key = keyOf(text)
  if (!kept.has(key)) return db.execute(query)
  try {
    return await db.execute(keptCall(key, params))
  } catch (err) {
    // 42883 undefined_function: this database has no such function (yet, or any more). A call that failed
    // inside the function rolled back whatever it did, so running the statement itself is safe either way.
    if (sqlState(err) === '42883') return db.execute(query)
    throw err
  }
}
