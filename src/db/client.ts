import { sql, type SQL } from 'drizzle-orm'
import type { Logger as DrizzleLogger } from 'drizzle-orm/logger'
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core'
import type * as schema from './schema.ts'

export type Schema = typeof schema

/** The database as every query sees it: PGlite, node Postgres or Neon all satisfy it. */
export type Db = PgDatabase<PgQueryResultHKT, Schema>

/** A request's handle on the database; `close` is awaited (or handed to `waitUntil`) after the response. */
export interface DbHandle {
  db: Db
  close(): Promise<void>
}

/** Opens a handle per request: a Neon `Pool` on Workers, the one shared PGlite in Node. */
export interface Database {
  open(): DbHandle
}

/** A drizzle logger that counts statements, for the per-request budgets of DESIGN.md. */
export class StatementCounter implements DrizzleLogger {
  count = 0
  readonly statements: string[] = []
  logQuery(query: string): void {
    this.count++
    this.statements.push(query)
  }
  reset(): void {
    this.count = 0
    this.statements.length = 0
  }
}

/** `db.execute` answers differ per driver; all of them carry `rows`. */
export function rowsOf<T>(result: unknown): T[] {
  if (Array.isArray(result)) return result as T[]
  return ((result as { rows?: T[] }).rows ?? []) as T[]
}

/**
 * `count(*) over ()`: on each row of a page, how many rows match the query in all (the window is computed after
 * `where` and before `limit`), so a page and its total come in one statement.
 */
export const windowTotal = (): SQL<number> => sql<number>`count(*) over ()`.mapWith(Number)
