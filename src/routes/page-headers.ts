import type { AppContext } from '../deps.ts'

/** What a page may load: its own inline styles and nothing else. */
export const PAGE_CSP = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'"

/**
 * Headers of every page that acts on a session: never cached, never framed (clickjacking, RFC 9700 §4.16).
 * `X-Frame-Options` and `Referrer-Policy` come with every answer (`responseHeaders`).
 */
export function protectPage(c: AppContext, csp = PAGE_CSP): void {
  c.header('Cache-Control', 'no-store')
  c.header('Content-Security-Policy', `${csp}; frame-ancestors 'none'`)
}
