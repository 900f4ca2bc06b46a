import type { TestContext } from './app.ts'

/** Extra request headers; `null` removes one the agent would send (e.g. `{ Origin: null }`). */
export type HeaderMap = Record<string, string | null>

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'", '#x27': "'", apos: "'" }

/** Undo hono/jsx attribute escaping. */
export function unescapeHtml(text: string): string {
  return text.replace(/&(amp|lt|gt|quot|#39|#x27|apos);/g, (_, name: string) => ENTITIES[name] ?? '')
}

function attributes(tag: string): Record<string, string> {
  const out: Record<string, string> = {}
  for (const m of tag.matchAll(/([a-zA-Z_:-]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>"']+)))?/g)) {
    const name = m[1]!.toLowerCase()
    if (!(name in out)) out[name] = unescapeHtml(m[2] ?? m[3] ?? m[4] ?? '')
  }
  return out
}

/** The first `<form>` (whose `action` contains `action`, when given): its action attribute and inner HTML. */
export function findForm(html: string, action?: string): { action: string | undefined; body: string } {
  const form = [...html.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/gi)]
    .map((m) => ({ action: attributes(m[1]!).action, body: m[2]! }))
    .find((f) => action === undefined || (f.action ?? '').includes(action))
  if (!form) throw new Error(action === undefined ? 'no form in page' : `no form with action containing ${action}`)
  return form
}

/**
 * The `name → value` pairs a browser would submit from a form's `<input>`s (not buttons, not unchecked boxes):
 * of the first form whose `action` contains `action` when given, else of the whole page.
 */
export function formFields(html: string, action?: string): Record<string, string> {
  const scope = action === undefined ? html : findForm(html, action).body
  const fields: Record<string, string> = {}
  for (const m of scope.matchAll(/<input\b([^>]*)>/gi)) {
    const a = attributes(m[1]!)
    const type = (a.type ?? 'text').toLowerCase()
    if (!a.name || type === 'submit' || type === 'button' || type === 'image') continue
    if ((type === 'checkbox' || type === 'radio') && !('checked' in a)) continue
    fields[a.name] = a.value ?? ''
  }
  return fields
}

/** Keep one `Set-Cookie` line in `jar` (name → value), or drop the cookie when it is empty or expired. */
export function storeCookie(jar: Map<string, string>, line: string): void {
  const [pair = '', ...attrs] = line.split(';')
  const eq = pair.indexOf('=')
  if (eq < 0) return
  const name = pair.slice(0, eq).trim()
  const value = pair.slice(eq + 1).trim()
  const expired = attrs.some((a) => {
    const [k = '', v = ''] = a.split('=').map((s) => s.trim())
    return (k.toLowerCase() === 'max-age' && Number(v) <= 0)
      || (k.toLowerCase() === 'expires' && Date.parse(v) <= Date.now())
  })
  if (expired || value === '') jar.delete(name)
  else jar.set(name, value)
}

/**
 * A minimal browser for black-box tests: keeps cookies across `t.request` calls (by name; every cookie of
 * this app is `Path=/`), sends the `Origin` a browser sends on POST, and reads forms out of pages.
 */
export class TestAgent {
  /** The cookie jar: name → value. Edit it freely (e.g. to drop or forge a cookie). */
  readonly cookies = new Map<string, string>()
  /** The `Origin` sent on POSTs: the app's public origin unless overridden. */
  origin: string

  constructor(private readonly t: TestContext, options: { origin?: string } = {}) {
    this.origin = options.origin ?? t.deps.config.publicUrl ?? 'http://localhost'
  }

  /** Any request, with the jar's cookies; stores `Set-Cookie`s of the response. */
  async request(path: string, init: Omit<RequestInit, 'headers'> & { headers?: HeaderMap } = {}): Promise<Response> {
    const headers = new Headers()
    if (this.cookies.size > 0) headers.set('Cookie', [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; '))
    for (const [name, value] of Object.entries(init.headers ?? {})) {
      if (value === null) headers.delete(name)
      else headers.set(name, value)
    }
    const res = await this.t.request(path, { ...init, headers })
    for (const line of res.headers.getSetCookie()) storeCookie(this.cookies, line)
    return res
  }

  get(path: string, headers: HeaderMap = {}): Promise<Response> {
    return this.request(path, { method: 'GET', headers })
  }

  /** A form POST (`application/x-www-form-urlencoded`) with the browser's `Origin`. */
  post(path: string, fields: Record<string, string>, headers: HeaderMap = {}): Promise<Response> {
    return this.request(path, {
      method: 'POST',
      body: new URLSearchParams(fields).toString(),
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Origin: this.origin, ...headers },
    })
  }

  /**
   * GET `path`, then POST its first form (or the one whose action contains `action`) to the form's action
   * (the page's path when it has none), with `overrides` on top of the page's fields.
   */
  async submit(path: string, overrides: Record<string, string> = {}, action?: string): Promise<Response> {
    const html = await (await this.get(path)).text()
    const form = findForm(html, action)
    return this.post(form.action || path, { ...formFields(form.body), ...overrides })
  }

  formFields(html: string, action?: string): Record<string, string> {
    return formFields(html, action)
  }

}
