import { and, eq, ilike, or, type Column, type SQL } from 'drizzle-orm'
import type { PgTable } from 'drizzle-orm/pg-core'
import * as z from 'zod'
import type { Db } from '../db/client.ts'
import { windowTotal } from '../db/client.ts'
import type { ListResult, Page } from './resource.ts'

export { windowTotal }

/** A boolean query filter (`?is_active=true`); anything else is DRF's `"<value>" is not a valid choice.` */
export const queryBool = () => z.enum(['true', 'false']).transform((v) => v === 'true')

/** An integer pk in a filter (django-filter's `ModelChoiceFilter` wording for anything else). */
export const pkFilter = z.string()
  .regex(/^\d{1,9}$/, 'Select a valid choice. That choice is not one of the available choices.')
  .transform(Number)

/**
 * django-filter's exact filters: `column = value` for each filter of `filters` that is given, under the column
 * `columns` names for it (`{ scope_name: scopeMappings.scopeName }`); no condition at all when none is given.
 */
export function whereEquals<F extends object>(filters: F, columns: { [K in keyof F]?: Column }): SQL | undefined {
  return and(...(Object.entries(columns) as Array<[string, Column]>).map(([name, column]) => {
    const value: unknown = (filters as Record<string, unknown>)[name]
    return value === undefined ? undefined : eq(column, value)
  }))
}

/** `%`, `_` and `\` stand for themselves: the text is searched for as it was typed. */
const likeLiteral = (text: string): string => text.replace(/[\\%_]/g, '\\$&')

/**
 * DRF's `SearchFilter`: the rows where any of `columns` contains `search`, ignoring case; no condition at all
 * when there is no search.
 */
export function searchAny(search: string | undefined, ...columns: Column[]): SQL | undefined {
  if (!search) return undefined
  const pattern = `%${likeLiteral(search)}%`
  return or(...columns.map((column) => ilike(column, pattern)))
}

/** The rows of a page, as `limit` and `offset`. */
export interface Range {
  limit: number
  offset: number
}

/**
 * A page and the total it belongs to, in one statement: `read` selects the page's rows with `windowTotal()` as
 * `total`. Only a page past the end has no row to carry the total; then a second statement counts the rows of
 * `from` (a table, or a join as SQL) that match `where`.
 */
export async function pageOf<R extends { total: number }, T>(
  db: Db,
  from: PgTable | SQL,
  where: SQL | undefined,
  page: Page,
  read: (range: Range) => Promise<R[]>,
  map: (row: R) => T | Promise<T>,
): Promise<ListResult<T>> {
  const rows = await read({ limit: page.pageSize, offset: (page.page - 1) * page.pageSize })
  const first = rows[0]
  const count = first ? Number(first.total) : page.page > 1 ? await db.$count(from, where) : 0
  return { count, results: await Promise.all(rows.map((row) => map(row))) }
}

/** `pageOf` over the whole rows of one table, in `orderBy` order. */
export function tablePage<TTable extends PgTable, T>(
  db: Db,
  table: TTable,
  where: SQL | undefined,
  orderBy: SQL[],
  page: Page,
  map: (row: TTable['$inferSelect']) => T,
): Promise<ListResult<T>> {
  type Row = { row: TTable['$inferSelect']; total: number }
  const read = (range: Range) => db.select({ row: table, total: windowTotal() }).from(table as PgTable).where(where)
    .orderBy(...orderBy).limit(range.limit).offset(range.offset) as unknown as Promise<Row[]>
  return pageOf(db, table, where, page, read, (r) => map(r.row))
}
