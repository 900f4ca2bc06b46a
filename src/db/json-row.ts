import { getTableColumns, type InferSelectModel } from 'drizzle-orm'
import type { PgTable } from 'drizzle-orm/pg-core'

/**
 * A row that a statement returned as `row_to_json(t)` (snake_case column names, timestamps as text), in the
 * shape drizzle selects it: for statements that read a row and write in the same CTE, where the query builder
 * cannot go. JSON columns arrive parsed; timestamps become Dates.
 */
export function fromJsonRow<T extends PgTable>(table: T, json: Record<string, unknown>): InferSelectModel<T> {
  const out: Record<string, unknown> = {}
  for (const [key, column] of Object.entries(getTableColumns(table))) {
    const value = json[column.name] ?? null
    out[key] = value !== null && column.columnType === 'PgTimestamp' ? new Date(String(value)) : value
  }
  return out as InferSelectModel<T>
}
