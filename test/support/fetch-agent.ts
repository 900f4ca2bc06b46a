import type { TestContext } from './app.ts'
import { TestAgent } from './browser-forms.ts'

const POLICIES = new Set(['no-referrer', 'no-referrer-when-downgrade', 'same-origin', 'origin', 'strict-origin',
  'origin-when-cross-origin', 'strict-origin-when-cross-origin', 'unsafe-url'])

/** A page's referrer policy: its `<meta name="referrer">` if any, else the header's last known token. */
async function referrerPolicy(res: Response): Promise<string> {
  const html = await res.clone().text()
  const meta = /<meta\s+name="referrer"\s+content="([^"]*)"/i.exec(html)?.[1]
  const tokens = [meta ?? res.headers.get('Referrer-Policy') ?? ''].flatMap((v) => v.split(','))
    .map((v) => v.trim().toLowerCase()).filter((v) => POLICIES.has(v))
  return tokens.at(-1) ?? 'strict-origin-when-cross-origin'
}

/**
 * A `TestAgent` (cookie jar, form reading) whose requests go over real HTTP to `base` instead of
 * `app.request`. Redirects are not followed, so each step can be asserted. Like a browser, it sends
 * `Origin: null` on a POST from a page whose referrer policy is `no-referrer` (Fetch, "serializing a request
 * origin"), and the page's origin otherwise (every form here posts to its own origin).
 */
export function httpAgent(t: TestContext, base: string): TestAgent {
  let pagePolicy = 'strict-origin-when-cross-origin'
  const overHttp: TestContext = {
    ...t,
    request: async (path, init) => {
      const headers = new Headers(init?.headers)
      if (init?.method === 'POST' && headers.has('Origin') && pagePolicy === 'no-referrer') headers.set('Origin', 'null')
      const res = await fetch(new URL(path, base), { ...init, headers, redirect: 'manual' })
      if (res.headers.get('Content-Type')?.startsWith('text/html')) pagePolicy = await referrerPolicy(res)
      return res
    },
  }
  return new TestAgent(overHttp, { origin: base })
}
