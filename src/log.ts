import { DrizzleQueryError } from 'drizzle-orm'

/** One JSON object per line. Callers pass facts, never secrets or tokens. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error'

export interface Logger {
  log(level: LogLevel, msg: string, fields?: Record<string, unknown>): void
}

/** Writes to the console, which Workers and Node both forward to their log pipelines. */
export const consoleLogger: Logger = {
  log(level, msg, fields = {}) {
    const line = JSON.stringify({ level, time: new Date().toISOString(), msg, ...fields })
    if (level === 'error' || level === 'warn') console.error(line)
    else console.log(line)
  },
}

/** Collects lines in memory, for tests that assert on what was (and was not) logged. */
export class MemoryLogger implements Logger {
  readonly lines: Array<{ level: LogLevel; msg: string } & Record<string, unknown>> = []
  log(level: LogLevel, msg: string, fields: Record<string, unknown> = {}): void {
    this.lines.push({ level, msg, ...fields })
  }
}

/** Describe an unknown thrown value for a log line without its message leaking anywhere else. */
export function describeError(err: unknown): Record<string, unknown> {
  // drizzle's message, and so its stack, lists the failed statement's bound values: user codes, nonces, claims.
  // Its text (placeholders only) and what the database answered are enough to go on.
  if (err instanceof DrizzleQueryError) return { ...describeError(err.cause), query: err.query }
  if (err instanceof Error) return { error: err.name, error_message: err.message, stack: err.stack }
  // workerd hands the Neon pool ErrorEvents, whose text is in `message` (or the wrapped `error`).
  if (err && typeof err === 'object') {
    const e = err as { type?: unknown; message?: unknown; error?: unknown }
    if (e.error instanceof Error) return describeError(e.error)
    if (typeof e.message === 'string') return { error: String(e.type ?? 'error'), error_message: e.message }
  }
  return { error: String(err) }
}
