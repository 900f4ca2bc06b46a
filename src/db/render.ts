import {
  Column, entityKind, is, Name, Param, Placeholder, SQL, StringChunk, Subquery, Table, View, type SQLWrapper,
} from 'drizzle-orm'
import { PgDialect } from 'drizzle-orm/pg-core'

/**
 * The text and parameters of a raw `sql` statement, as drizzle's PgDialect renders them, in one walk that asks
 * each chunk what it is once. drizzle's own render (`sqlToQuery`) tests every chunk against its entity classes
 * one after another, each test a walk up the chunk's prototype chain, and allocates a result per chunk: for the
 * large first statement of a client-authenticated request that was the largest single part of the Worker's and
 * the Node server's JavaScript per request (README "Edge performance").
 *
 * Only what the hot raw statements are made of is rendered here: string chunks, names, nested `sql`, tables,
 * columns, parameters (with their encoders), plain values, lists and query builders; any other chunk (a
 * subquery, a view, an alias, a placeholder, an enum, inlined parameters...) hands the whole statement to
 * drizzle. The result equals drizzle's (test/db/render.test.ts, and for every statement the hot requests offer
 * for keeping, test/db/kept-statements.test.ts), which matters beyond correctness: a kept statement is found by
 * the hash of this text.
 */
const dialect = new PgDialect()

export interface RenderedQuery {
  sql: string
  params: unknown[]
}

/** drizzle's render of `query`: {@link renderFast}'s when it can, else drizzle's own. */
export function renderQuery(query: SQL): RenderedQuery {
  return renderFast(query) ?? dialect.sqlToQuery(query)
}

class Unhandled extends Error {}

/** The render of `query`, or null when it holds a chunk only drizzle renders. */
export function renderFast(query: SQL): RenderedQuery | null {
  const out: RenderedQuery = { sql: '', params: [] }
  try {
    walk(query, out)
  } catch (err) {
    if (err instanceof Unhandled) return null
    throw err
  }
  return out
}

const escapeName = (name: string): string => dialect.escapeName(name)

function walk(query: SQL, out: RenderedQuery): void {
  if ((query as unknown as { shouldInlineParams: boolean }).shouldInlineParams) throw new Unhandled()
  for (const chunk of query.queryChunks as unknown[]) chunkOf(chunk, out)
}

/** One chunk, in the order of drizzle's `buildQueryFromSourceParams`. */
function chunkOf(chunk: unknown, out: RenderedQuery): void {
  if (chunk === undefined) return
  if (typeof chunk === 'function') throw new Unhandled() // an enum
  if (chunk === null || typeof chunk !== 'object') return param(chunk, out)
  if (chunk instanceof StringChunk) {
    out.sql += chunk.value.join('')
  } else if (chunk instanceof SQL) {
    walk(chunk, out)
  } else if (chunk instanceof Param) {
    if (is(chunk.value, Placeholder)) throw new Unhandled()
    const mapped: unknown = chunk.value === null ? null : chunk.encoder.mapToDriverValue(chunk.value)
    if (is(mapped, SQL)) walk(mapped as SQL, out)
    else param(mapped, out)
  } else if (chunk instanceof Name) {
    out.sql += escapeName(chunk.value)
  } else if (chunk instanceof Table) {
    table(chunk, out)
  } else if (chunk instanceof Column) {
    // A column named by its key takes its name from drizzle's casing cache: drizzle's business.
    if (chunk.keyAsName) throw new Unhandled()
    table(chunk.table, out)
    out.sql += `.${escapeName(chunk.name)}`
  } else if (Array.isArray(chunk)) {
    out.sql += '('
    chunk.forEach((item, i) => {
      if (i > 0) out.sql += ', '
      chunkOf(item, out)
    })
    out.sql += ')'
  } else if (is(chunk, View) || is(chunk, Placeholder) || is(chunk, SQL.Aliased) || is(chunk, Subquery)) {
    throw new Unhandled()
  } else if (typeof (chunk as Partial<SQLWrapper>).getSQL === 'function') {
    // A query builder: its statement, in parentheses unless it says otherwise.
    const wrapper = chunk as SQLWrapper & { shouldOmitSQLParens?(): boolean }
    if (wrapper.shouldOmitSQLParens?.()) return walk(wrapper.getSQL(), out)
    out.sql += '('
    walk(wrapper.getSQL(), out)
    out.sql += ')'
  } else if (entityKind in (chunk.constructor ?? {})) {
    throw new Unhandled()
  } else {
    // A plain object (a Date...): drizzle passes it as a parameter.
    param(chunk, out)
  }
}

// drizzle's internal table fields (`Table.Symbol`), global symbols.
const NAME = Symbol.for('drizzle:Name')
const SCHEMA = Symbol.for('drizzle:Schema')
const IS_ALIAS = Symbol.for('drizzle:IsAlias')
const field = (t: Table, key: symbol): unknown => (t as unknown as Record<symbol, unknown>)[key]
const isAlias = (t: Table): boolean => Boolean(field(t, IS_ALIAS))

function table(t: Table, out: RenderedQuery): void {
  const schema = field(t, SCHEMA) as string | undefined
  const name = field(t, NAME) as string
  out.sql += schema === undefined || isAlias(t) ? escapeName(name) : `${escapeName(schema)}.${escapeName(name)}`
}

function param(value: unknown, out: RenderedQuery): void {
  out.params.push(value)
  out.sql += `$${out.params.length}`
}
