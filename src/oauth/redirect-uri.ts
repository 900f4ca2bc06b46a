import * as z from 'zod'
import type { RedirectURI } from '../db/schema.ts'

/** authentik `RedirectURI`: one registered redirect URI, matched exactly or as a regular expression. */
export const RedirectURISchema = z.object({
  matching_mode: z.enum(['strict', 'regex']).default('strict'),
  url: z.string(),
  redirect_uri_type: z.enum(['authorization', 'logout']).default('authorization'),
}) satisfies z.ZodType<RedirectURI, unknown>

export type RedirectURIType = RedirectURI['redirect_uri_type']

/**
 * Python's `re.fullmatch(url, uri)` in JS: `^(?:url)$`, no flags; null when the pattern does not compile.
 * The pattern is first compiled alone, so that an unbalanced `)` (an error in Python) cannot close our
 * group early and turn the full match into a prefix match (`a)|(.*` would match anything otherwise).
 */
export function compileRedirectPattern(url: string): RegExp | null {
  try {
    new RegExp(url)
    return new RegExp(`^(?:${url})$`)
  } catch {
    return null
  }
}

/**
 * The longest URI a regex entry is tried on. Patterns are the operator's, but the URI is the client's: a long
 * crafted URI against a backtracking pattern could burn a Worker's CPU time, so longer ones simply don't match.
 */
export const MAX_REGEX_SUBJECT_LENGTH = 2048

/** True when `uri` matches `entry`: exact string equality, or a full regex match (invalid regex: no match). */
export function entryMatches(entry: RedirectURI, uri: string): boolean {
  if (entry.matching_mode === 'regex') {
    return uri.length <= MAX_REGEX_SUBJECT_LENGTH && (compileRedirectPattern(entry.url)?.test(uri) ?? false)
  }
  return entry.url === uri
}

/** authentik `OAuthAuthorizationParams.check_redirect_uri`: the first entry of `type` that `uri` matches. */
export function matchRedirectUri(entries: readonly RedirectURI[], uri: string, type: RedirectURIType): RedirectURI | null {
  return entries.find((e) => e.redirect_uri_type === type && entryMatches(e, uri)) ?? null
}

const FORBIDDEN_SCHEMES = new Set(['javascript', 'data', 'vbscript'])

/**
 * authentik `FORBIDDEN_URI_SCHEMES`. The URI is cleaned as a browser's URL parser does first (leading and
 * trailing C0 controls and spaces trimmed, tabs and newlines removed anywhere), so `" Java\tScript:"` counts.
 */
export function isForbiddenScheme(uri: string): boolean {
  // eslint-disable-next-line no-control-regex
  const cleaned = uri.replace(/^[\u0000-\u0020]+|[\u0000-\u0020]+$/g, '').replace(/[\t\n\r]/g, '')
  const scheme = /^([a-zA-Z][a-zA-Z0-9+.-]*):/.exec(cleaned)?.[1]
  return scheme !== undefined && FORBIDDEN_SCHEMES.has(scheme.toLowerCase())
}

/**
 * Whether `uri` holds a control character, which a `Location` header cannot (`Headers.set` throws on them):
 * a regex entry can match such a URI (`.` matches NUL, `[^?]*` a line break).
 */
export function hasControlCharacter(uri: string): boolean {
  // eslint-disable-next-line no-control-regex
  return /[\u0000-\u001f\u007f]/.test(uri)
}

/**
 * Why a redirect URI cannot be registered, or null; checked when a provider is saved, not first at sign-in. A
 * strict entry is compared as a string, so it must be an absolute URI (RFC 6749 §3.1.2) and no script
 * (`javascript:`, `data:`, `vbscript:`, authentik `FORBIDDEN_URI_SCHEMES`); a regex must compile.
 */
export function registeredRedirectUriError(entry: Pick<RedirectURI, 'matching_mode' | 'url'>): string | null {
  if (entry.matching_mode === 'regex') {
    return compileRedirectPattern(entry.url) === null ? `Invalid Regex Pattern: ${entry.url}` : null
  }
  if (isForbiddenScheme(entry.url)) return `URI scheme of ${entry.url} is not allowed.`
  return parseUrl(entry.url) === null ? `Enter a valid URL: ${entry.url} is not an absolute URI.` : null
}

function parseUrl(url: string): URL | null {
  try {
    return new URL(url)
  } catch {
    return null
  }
}

/**
 * CORS (authentik `origin_matches_redirect_uri`): may `origin` read our answers? A strict entry allows the
 * scheme, host and port of its URL; a regex entry must fully match the bare Origin; invalid regexes are skipped.
 */
export function originMatchesRedirectUri(origin: string, entries: readonly RedirectURI[]): boolean {
  const parsed = parseUrl(origin)
  if (!parsed || parsed.hostname === '') return false
  return entries.some((entry) => {
    if (entry.matching_mode === 'regex') return entryMatches(entry, origin)
    const allowed = parseUrl(entry.url)
    return allowed !== null && allowed.hostname !== '' && allowed.protocol === parsed.protocol
      && allowed.hostname === parsed.hostname && allowed.port === parsed.port
  })
}
