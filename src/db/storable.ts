/**
 * A lone UTF-16 surrogate: a JavaScript string and JSON (`"\ud800"`) can hold one, Unicode cannot. Postgres
 * refuses it in jsonb (SQLSTATE 22P02, which is no client error in general), and text sent through Neon's HTTP
 * endpoint travels as JSON to a server that need not accept it.
 */
export const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/

/** Text Postgres cannot store: a NUL (text and jsonb alike) or a lone surrogate. */
export const isUnstorableString = (value: string): boolean => value.includes('\u0000') || LONE_SURROGATE.test(value)

/**
 * Whether a decoded JSON value (a JWT's claims) holds such text anywhere, in its keys or its values: the caller
 * refuses it with its own error before it reaches a statement. Deeper than 64 levels counts as unstorable.
 */
export function holdsUnstorableText(value: unknown, depth = 0): boolean {
  if (typeof value === 'string') return isUnstorableString(value)
  if (value === null || typeof value !== 'object') return false
  if (depth > 64) return true
  for (const [k, v] of Object.entries(value)) {
    if (isUnstorableString(k) || holdsUnstorableText(v, depth + 1)) return true
  }
  return false
}
