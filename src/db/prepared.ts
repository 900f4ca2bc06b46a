import { sql, type Placeholder } from 'drizzle-orm'
import type { Db } from './client.ts'

/**
 * Statements whose SQL drizzle would build anew on every request, built once per database instance (one per
 * isolate on Workers) with placeholders for their values: building a relational query with nested relations
 * costs about a millisecond of CPU, as much as the rest of a request's own work (`npm run bench:edge`). A
 * prepared query here is drizzle's: on Neon's HTTP protocol and PGlite it only keeps the SQL text; on node
 * Postgres its name also names a server-side prepared statement, so every name must stand for one SQL text.
 */
const prepared = new WeakMap<Db, Map<string, unknown>>()

export function preparedOnce<T>(db: Db, name: string, build: (name: string) => T): T {
  let byName = prepared.get(db)
  if (!byName) prepared.set(db, byName = new Map())
  let query = byName.get(name) as T | undefined
  if (query === undefined) byName.set(name, query = build(name))
  return query
}

/** A value of a statement: the value itself, or the placeholder a prepared statement fills in. */
export type Bound<T> = T | Placeholder

/** A placeholder named `name`, the value of which `execute` gets under that name. */
export const slot = (name: string): Placeholder => sql.placeholder(name)
