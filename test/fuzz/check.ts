/** What every fuzzed answer must satisfy, the request sender that times it, and the seeded property runner. */
import fc from 'fast-check'
import type { TestContext } from '../support/app.ts'
import { headerSafe } from './arbitraries.ts'

export const SEED = Number(process.env.FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31))
/** Runs of a property of weight 1; `FUZZ_RUNS` scales the whole suite. */
export const RUNS = Number(process.env.FUZZ_RUNS ?? 500)
const HANG_MS = 5_000

/** Error codes of RFC 6749 §4.1.2.1/§5.2, RFC 6750 §3.1, RFC 7009 §2.2.1, RFC 7662 §2.3 and RFC 8628 §3.5. */
export const OAUTH_ERRORS = new Set(['invalid_request', 'invalid_client', 'invalid_grant', 'unauthorized_client',
  'unsupported_grant_type', 'invalid_scope', 'access_denied', 'unsupported_response_type', 'server_error',
  'temporarily_unavailable', 'invalid_token', 'insufficient_scope', 'unsupported_token_type',
  'authorization_pending', 'slow_down', 'expired_token', 'invalid_target', 'invalid_dpop_proof', 'use_dpop_nonce'])
/** What an authorization error may add (OIDC Core §3.1.2.6). */
export const AUTHORIZE_ERRORS = new Set([...OAUTH_ERRORS, 'interaction_required', 'login_required',
  'account_selection_required', 'consent_required', 'invalid_request_uri', 'invalid_request_object',
  'request_not_supported', 'request_uri_not_supported', 'registration_not_supported'])

/** Stack frames and source paths: `at fn (file:line)`, `/x/y.ts:12`, node_modules, the checkout's path. */
const STACK = /\bat (?:async )?[\w$.<>[\]]+ \(|(?:file:\/\/|\/)[\w./-]+\.(?:ts|tsx|js|mjs|cjs):\d+|node_modules\/|\/work\/|(?:TypeError|ReferenceError|RangeError): /

export interface Sent { method: string; path: string; headers: Record<string, string>; body: string | Uint8Array | null }
export interface Answer { status: number; headers: Headers; text: string }

export const stats = { requests: 0, statuses: {} as Record<string, number> }

/** Send `req` to the app; the answer and its whole body within 5 s, else a failure. */
export async function send(t: TestContext, req: Sent): Promise<Answer> {
  const headers = new Headers()
  for (const [k, v] of Object.entries(req.headers)) headers.append(k, headerSafe(v))
  const hasBody = req.body !== null && req.method !== 'GET' && req.method !== 'HEAD'
  let timer: ReturnType<typeof setTimeout> | undefined
  const hang = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${HANG_MS} ms`)), HANG_MS)
  })
  stats.requests++
  try {
    return await Promise.race([hang, (async () => {
      const res = await t.request(req.path, { method: req.method, headers, ...(hasBody && { body: req.body as BodyInit }) })
      const key = `${req.path.split('?')[0]!.slice(0, 40)} ${res.status}`
      stats.statuses[key] = (stats.statuses[key] ?? 0) + 1
      return { status: res.status, headers: res.headers, text: await res.text() }
    })()])
  } finally {
    clearTimeout(timer)
  }
}

/** A short, printable account of a request, for failure messages. */
export function describe(req: Sent): string {
  const body = req.body instanceof Uint8Array ? `bytes[${[...req.body].join(',')}]` : req.body
  return JSON.stringify({ ...req, body }).slice(0, 1500)
}

/** The rules of every answer: no 5xx (but a 503 with Retry-After), no stack trace, none of `secrets`. */
export function checkAnswer(a: Answer, secrets: readonly string[]): void {
  if (a.status >= 500 && !(a.status === 503 && a.headers.get('Retry-After'))) {
    throw new Error(`status ${a.status}: ${a.text.slice(0, 500)}`)
  }
  const headerText = [...a.headers].map(([k, v]) => `${k}: ${v}`).join('\n')
  for (const [where, text] of [['body', a.text], ['headers', headerText]] as const) {
    const trace = STACK.exec(text)
    if (trace) throw new Error(`stack trace in the ${where}: …${text.slice(Math.max(0, trace.index - 80), trace.index + 120)}…`)
    for (const s of secrets) if (text.includes(s)) throw new Error(`a secret (${s.slice(0, 4)}…) in the ${where}`)
  }
}

/**
 * An OAuth JSON error (RFC 6749 §5.2): `{error, error_description}` with a known code, or a bearer challenge
 * (RFC 6750 §3), or a DPoP one (RFC 9449 §7.1), which always names its error.
 */
export function checkOAuthError(a: Answer, codes: ReadonlySet<string> = OAUTH_ERRORS): void {
  if (a.status < 400) return
  const challenge = a.headers.get('WWW-Authenticate') ?? ''
  if (/^Bearer\b/.test(challenge) && a.text === '') return
  if (/^DPoP\b/.test(challenge) && a.text === '') {
    const code = /error="([a-z_]+)"/.exec(challenge)?.[1]
    if (code === undefined || !codes.has(code)) throw new Error(`a DPoP challenge without a known error: ${challenge}`)
    return
  }
  let body: Record<string, unknown>
  try {
    body = JSON.parse(a.text) as Record<string, unknown>
  } catch {
    throw new Error(`a ${a.status} that is not JSON: ${a.text.slice(0, 200)}`)
  }
  if (typeof body.error !== 'string' || !codes.has(body.error)) throw new Error(`error code ${JSON.stringify(body.error)}`)
  if (typeof body.error_description !== 'string') throw new Error(`no error_description: ${a.text.slice(0, 200)}`)
  if (/^Bearer\b/.test(challenge) && !/error="[a-z_]+"/.test(challenge) && a.status !== 401) {
    throw new Error(`a bearer challenge without an error: ${challenge}`)
  }
}

/**
 * Run `property` `weight × RUNS` times from the suite's seed; a failure names the seed and the input, and is
 * not shrunk (the app keeps state between runs, so a shrunk input would not fail the same way).
 */
export async function fuzz<T>(name: string, weight: number, arb: fc.Arbitrary<T>,
  property: (value: T) => Promise<void>): Promise<void> {
  const numRuns = Math.max(1, Math.round(weight * RUNS))
  try {
    await fc.assert(fc.asyncProperty(arb, property), { seed: SEED, numRuns, endOnFailure: true })
  } catch (err) {
    // fast-check's own account repeats the (possibly huge) drawn value: its first lines name the run.
    const message = (err instanceof Error ? err.message : String(err)).split('\n').slice(0, 2).join('\n')
    const cause = err instanceof Error && err.cause instanceof Error ? `\n${err.cause.message}` : ''
    throw new Error(`${name} failed with FUZZ_SEED=${SEED} (reproduce: FUZZ_SEED=${SEED} npm run test:fuzz)\n${message}${cause}`)
  }
}

/** Run one request: send it, apply the common rules and `extra`, and name the request in any failure. */
export async function exchange(t: TestContext, req: Sent, secrets: readonly string[],
  extra?: (a: Answer) => void): Promise<Answer> {
  let a: Answer | undefined
  try {
    a = await send(t, req)
    checkAnswer(a, secrets)
    extra?.(a)
    return a
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err)
    throw new Error(`${why}\nrequest: ${describe(req)}${a ? `\nanswer: ${a.status} ${a.text.slice(0, 300)}` : ''}`)
  }
}
