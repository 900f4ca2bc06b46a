import type { MiddlewareHandler, NotFoundHandler } from 'hono'
import { isAllowedHost, type Config } from '../config.ts'
import type { AppEnv } from '../deps.ts'
import { NotFoundPage } from '../pages/not-found.ts'
import { protectPage } from './page-headers.ts'

/** RFC 6797 §6.1: a year, subdomains included (what `PUBLIC_URL` names is the provider's own host). */
const HSTS = 'max-age=31536000; includeSubDomains'

/**
 * Headers of every answer: `nosniff`, never framed (RFC 9700 §4.16), Referer only to this origin (not
 * `no-referrer`: browsers then send `Origin: null` on the pages' own form posts, failing the CSRF check), and HSTS
 * when the public URL is https. A header a handler set itself is kept. Not `Cross-Origin-Resource-Policy:
 * same-origin` (hono's `secureHeaders` default), which would hide the public JWKS and discovery documents from
 * other origins' `no-cors` loads; pages set their own CSP (`protectPage`).
 */
export function responseHeaders(config: Config): MiddlewareHandler<AppEnv> {
  const headers: Array<[string, string]> = [
    ['X-Content-Type-Options', 'nosniff'], ['X-Frame-Options', 'DENY'], ['Referrer-Policy', 'same-origin'],
    ...config.publicUrl?.startsWith('https:') ? [['Strict-Transport-Security', HSTS] as [string, string]] : [],
  ]
  return async (c, next) => {
    await next()
    for (const [name, value] of headers) if (!c.res.headers.has(name)) c.res.headers.set(name, value)
  }
}

/**
 * `ALLOWED_HOSTS` (Django's setting): without `PUBLIC_URL` the request's host becomes the issuer, so a host
 * outside the list gets 400 before any endpoint builds a URL from it.
 */
export const hostAllowed: MiddlewareHandler<AppEnv> = async (c, next) => {
  if (isAllowedHost(c.var.deps.config.allowedHosts, new URL(c.req.url).host)) return next()
  c.header('Cache-Control', 'no-store')
  return c.json({ error: 'invalid_request', error_description: 'The Host header names a host outside ALLOWED_HOSTS',
    request_id: c.var.requestId }, 400)
}

/** Paths whose clients are programs: their 404 stays authentik's JSON. */
const API_PATHS = /^\/(api\/|application\/o\/|\.well-known\/)/

/** A path nothing serves: JSON for the API and the OAuth endpoints and for programs, a page for browsers. */
export const notFound: NotFoundHandler<AppEnv> = (c) => {
  if (API_PATHS.test(c.req.path) || !(c.req.header('Accept') ?? '').includes('text/html')) {
    return c.json({ detail: 'Not found.' }, 404)
  }
  protectPage(c)
  return c.html(NotFoundPage(), 404)
}
