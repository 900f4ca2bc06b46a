/**
 * A minimal browser for `edge-oidc check`: a cookie jar, manual redirects, and the forms of a provider's sign-in
 * and consent pages. It works on any provider whose login is one HTML form (field names configurable) and whose
 * consent page, when there is one, has a `name="action" value="allow"` button. Never imports the server's code.
 */

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'", '#x27': "'", apos: "'" }
const unescape = (s: string) => s.replace(/&(amp|lt|gt|quot|#39|#x27|apos);/g, (_, n: string) => ENTITIES[n] ?? '')

function attributes(tag: string): Record<string, string> {
  const out: Record<string, string> = {}
  for (const m of tag.matchAll(/([a-zA-Z_:-]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>"']+)))?/g)) {
    const name = m[1]!.toLowerCase()
    if (!(name in out)) out[name] = unescape(m[2] ?? m[3] ?? m[4] ?? '')
  }
  return out
}

export interface Form { action: string; method: string; fields: Record<string, string>; inputs: string[]; html: string }

/** Every `<form>` of a page: its action (resolved), method, the inputs a browser submits, and all input names. */
export function parseForms(html: string, pageUrl: URL): Form[] {
  return [...html.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/gi)].map((m) => {
    const a = attributes(m[1]!)
    const fields: Record<string, string> = {}
    const inputs: string[] = []
    for (const i of m[2]!.matchAll(/<input\b([^>]*)>/gi)) {
      const input = attributes(i[1]!)
      const type = (input.type ?? 'text').toLowerCase()
      if (!input.name) continue
      inputs.push(input.name)
      if (['submit', 'button', 'image'].includes(type)) continue
      if ((type === 'checkbox' || type === 'radio') && !('checked' in input)) continue
      fields[input.name] = input.value ?? ''
    }
    return { action: new URL(a.action ?? '', pageUrl).href, method: (a.method ?? 'get').toLowerCase(), fields, inputs,
      html: m[2]! }
  })
}

/** Cookies by name (a check talks to one provider), sent on every request, updated from every answer. */
export class CookieJar {
  readonly cookies = new Map<string, string>()

  async fetch(url: URL, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers)
    if (this.cookies.size) headers.set('Cookie', [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; '))
    const res = await fetch(url, { ...init, headers, redirect: 'manual' })
    for (const line of res.headers.getSetCookie()) this.store(line)
    return res
  }

  private store(line: string): void {
    const [pair = '', ...attrs] = line.split(';')
    const eq = pair.indexOf('=')
    if (eq < 0) return
    const name = pair.slice(0, eq).trim()
    const value = pair.slice(eq + 1).trim()
    const expired = attrs.some((a) => /^\s*max-age\s*=\s*(-\d+|0)\s*$/i.test(a))
    if (expired || value === '') this.cookies.delete(name)
    else this.cookies.set(name, value)
  }
}

export interface SignIn { username: string; password: string; usernameField: string; passwordField: string }

/** Where following an authorization request ended: a redirect off the provider, or a page it stopped on. */
export type Outcome = { kind: 'redirect'; location: URL } | { kind: 'page'; status: number; url: URL; text: string }

const pageText = (html: string) => html.replace(/<(script|style)\b[\s\S]*?<\/\1>/gi, ' ').replace(/<[^>]*>/g, ' ')
  .replace(/\s+/g, ' ').trim().slice(0, 200)

/**
 * Follows `start` as a browser would, on the provider's origins only: redirects; a login form (the one with the
 * password field) filled with the credentials and its hidden fields, once; a consent form posted with
 * `action=allow`. Ends at the first redirect that leaves `origins`, or at a page it cannot act on.
 */
export async function follow(jar: CookieJar, start: URL, origins: Set<string>, signIn: SignIn): Promise<Outcome> {
  let url = start
  let init: RequestInit = {}
  let signedIn = false
  for (let step = 0; step < 20; step++) {
    const res = await jar.fetch(url, init)
    const location = res.headers.get('Location')
    if (res.status >= 300 && res.status < 400 && location !== null) {
      await res.body?.cancel()
      const next = new URL(location, url)
      if (!origins.has(next.origin)) return { kind: 'redirect', location: next }
      url = next
      init = {}
      continue
    }
    const html = await res.text()
    const forms = res.status === 200 ? parseForms(html, url) : []
    const login = forms.find((f) => f.inputs.includes(signIn.passwordField) && f.inputs.includes(signIn.usernameField))
    const consent = forms.find((f) => /<button\b[^>]*name=["']?action["']?[^>]*value=["']?allow/i.test(f.html))
    const form = login && !signedIn ? login : consent
    if (!form) return { kind: 'page', status: res.status, url, text: pageText(html) }
    const fields = form === login
      ? { ...form.fields, [signIn.usernameField]: signIn.username, [signIn.passwordField]: signIn.password }
      : { ...form.fields, action: 'allow' }
    if (form === login) signedIn = true
    const target = new URL(form.action)
    if (!origins.has(target.origin)) return { kind: 'page', status: res.status, url, text: `form posts to ${target.origin}` }
    init = { method: 'POST', body: new URLSearchParams(fields),
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Origin: url.origin, Referer: url.href } }
    url = target
  }
  return { kind: 'page', status: 0, url, text: 'more than 20 steps' }
}
