import type { RedirectURI } from '../db/schema.ts'
import type { AppContext } from '../deps.ts'
import { originMatchesRedirectUri } from '../oauth/redirect-uri.ts'

/**
 * authentik `cors_allow`: only an Origin matching one of the provider's redirect URIs may read the answer
 * (strict entries by scheme, host and port; regex entries by full match of the bare Origin).
 */
export function corsHeaders(c: AppContext, uris: readonly RedirectURI[], expose?: string): Record<string, string> {
  const requestOrigin = c.req.header('Origin')
  if (!requestOrigin || !originMatchesRedirectUri(requestOrigin, uris)) return {}
  return {
    'Access-Control-Allow-Origin': requestOrigin,
    'Access-Control-Allow-Credentials': 'true',
    ...(expose && { 'Access-Control-Expose-Headers': expose }),
  }
}

/**
 * A preflight names no client and carries no token, so it cannot tell which provider's redirect URIs apply
 * (and scanning all of them would cost a statement per preflight): like authentik, it allows any Origin. What
 * guards the data is the answer to the request itself, readable only by the provider's origins.
 */
export function corsPreflight(c: AppContext, methods: string): Response {
  const requestOrigin = c.req.header('Origin')
  if (!requestOrigin) return c.body(null, 204, { Vary: 'Origin' })
  return c.body(null, 204, {
    'Access-Control-Allow-Origin': requestOrigin,
    'Access-Control-Allow-Credentials': 'true',
    'Access-Control-Allow-Methods': methods,
    'Access-Control-Allow-Headers': c.req.header('Access-Control-Request-Headers') ?? 'Authorization, Content-Type, DPoP',
    Vary: 'Origin',
  })
}
