import { getCookie, setCookie } from 'hono/cookie'
import { base64urlEncode } from '../crypto/encoding.ts'
import { constantTimeEqual } from '../crypto/hash.ts'
import { origin, type AppContext } from '../deps.ts'
import { MessagePage } from '../pages/layout.ts'
import { protectPage } from './page-headers.ts'
import { secureCookies } from './session.ts'

/** The forms that act on a session; each gets its own token so one cannot be replayed into another. */
export type CsrfForm = 'login' | 'consent' | 'logout' | 'device'

/** The hidden input every protected form carries. */
export const CSRF_FIELD = 'csrf_token'

const cookieName = (c: AppContext) => (secureCookies(c) ? '__Host-edge_oidc_csrf' : 'edge_oidc_csrf')

async function sign(c: AppContext, seed: string, form: CsrfForm): Promise<string> {
  const key = await c.var.deps.keys.getHmacKey(`csrf:${c.var.deps.config.secretKey}`)
  const mac = await crypto.subtle.sign('HMAC', key, new TextEncoder().encode(`${form}|${seed}`))
  return base64urlEncode(mac)
}

/**
 * The token for `form`: an HMAC (keyed from SECRET_KEY) of a random per-browser cookie and the form's name,
 * so a page from another origin can neither read nor forge it. Sets the cookie on first use.
 */
export async function csrfToken(c: AppContext, form: CsrfForm): Promise<string> {
  let seed = getCookie(c, cookieName(c))
  if (!seed || !/^[A-Za-z0-9_-]{43}$/.test(seed)) {
    seed = base64urlEncode(crypto.getRandomValues(new Uint8Array(32)))
    setCookie(c, cookieName(c), seed, { httpOnly: true, sameSite: 'Lax', path: '/', secure: secureCookies(c) })
  }
  return sign(c, seed, form)
}

/**
 * The origin check (the `Origin` header, or `Sec-Fetch-Site: same-origin` from browsers that omit it for
 * same-origin posts) plus the form token against its cookie, compared in constant time.
 */
export async function verifyCsrf(c: AppContext, form: CsrfForm, submitted: unknown): Promise<boolean> {
  const from = c.req.header('Origin')
  const sameOrigin = from !== undefined ? from === origin(c) : c.req.header('Sec-Fetch-Site') === 'same-origin'
  const seed = getCookie(c, cookieName(c))
  if (!sameOrigin || !seed || typeof submitted !== 'string') return false
  return constantTimeEqual(submitted, await sign(c, seed, form))
}

/** A 403 page for a form that failed its CSRF check (foreign origin, missing or wrong token). */
export async function csrfFailed(c: AppContext): Promise<Response> {
  protectPage(c)
  return c.html(MessagePage({ title: 'Forbidden',
    message: 'This form has expired or was sent from another site. Go back, reload the page and try again.' }), 403)
}
