/** Postgres SQLSTATE of an error thrown by any of our drivers (drizzle wraps it in `cause`). */
export function sqlState(err: unknown): string | undefined {
  for (let e: unknown = err, depth = 0; e && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code
    if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return code
  }
  return undefined
}

export const isUniqueViolation = (err: unknown): boolean => sqlState(err) === '23505'
export const isForeignKeyViolation = (err: unknown): boolean => sqlState(err) === '23503'

/** Text Postgres refuses to store (NUL in text, `\u0000` in jsonb): the request's fault, not the server's. */
export const isUnstorableText = (err: unknown): boolean => ['22021', '22P05'].includes(sqlState(err) ?? '')

// SQLSTATE classes that mean "the database cannot serve now": connection exceptions, insufficient resources,
// operator intervention (shutdown, crash recovery), and a serialization failure or deadlock a retry would resolve.
const UNAVAILABLE_STATE = /^(08|53|57P0|40001|40P01)/

/**
 * The database is unreachable, timing out, shutting down or refusing for now, through any of our drivers: a
 * Postgres SQLSTATE of that kind, the HTTP client's `NeonUnavailableError`, Neon's serverless driver's connection
 * or server errors (which carry no SQLSTATE), or an aborted or timed-out fetch. The request answers 503 with
 * `Retry-After`, never a 500.
 */
export function isDatabaseUnavailable(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const { name, message, code } = e as { name?: unknown; message?: unknown; code?: unknown }
    if (typeof code === 'string' && UNAVAILABLE_STATE.test(code)) return true
    // node-postgres (`npm start` with DATABASE_URL): the socket's error, or the pool's message when it drops.
    if (typeof code === 'string' && /^E(CONNREFUSED|CONNRESET|TIMEDOUT|HOSTUNREACH|NETUNREACH|NOTFOUND|PIPE)$/.test(code)) return true
    if (/^Connection terminated/.test(String(message))) return true
    if (name === 'NeonUnavailableError' || name === 'TimeoutError' || name === 'AbortError') return true
    if (name === 'NeonDbError' && code === undefined
      && /^(Error connecting to database|Server error \(HTTP status 5)/.test(String(message))) return true
  }
  return false
}
