import type { AppContext } from '../deps.ts'

/** What a page may load: its own inline styles and nothing else. */
export const PAGE_CSP = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'"

/**
 * Headers of every page that acts on a session: never framed (clickjacking, RFC 9700 §4.16), never cached, no
 * Referer to other sites. Not `no-referrer`: browsers then send `Origin: null` on the page's own form posts,
 * failing the CSRF check.
 */
export function protectPage(c: AppContext, csp = PAGE_CSP): void {
  c.header('Cache-Control', 'no-store')
  c.header('X-Frame-Options', 'DENY')
  c.header('Content-Security-Policy', `${csp}; frame-ancestors 'none'`)
  c.header('Referrer-Policy', 'same-origin')
}
