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
