/**
 * The traffic of `npm run soak` (scripts/soak.ts): what each simulated client does, and the tally of every answer
 * against what its request asked for. A request states its expected status (and what its body must say); an answer
 * that differs is *unexpected* and counted by status and request, whatever it is (a 429, a 500, a 400 where 200
 * was due, a 200 that says `active: false` where the token is live). A refusal the traffic asks for on purpose (a
 * revoked refresh token, a code sent twice: 400 `invalid_grant`) is counted apart, as *expected*.
 */
import { createHash, randomBytes } from 'node:crypto'
import type { Agent } from 'node:http'
import { formFields } from '../test/support/browser-forms.ts'
import { PASSWORD, type Provider } from '../test/support/fixtures.ts'
import { benchFetch, Browser } from './bench-client.ts'

export const REDIRECT = 'https://rp.soak/callback'
const TOKEN = '/application/o/token/'

/** What a request asks for: a status, what its body must hold (a reason when it does not), and whether it is a refusal on purpose. */
interface Expected { status: number; body?: (text: string, res: Response) => string | null; refusal?: boolean }

const status = (code: number): Expected => ({ status: code })
const jsonWith = (key: string): Expected => ({ status: 200, body: (text) => (key in parse(text) ? null : `no ${key}`) })
const active = (want: boolean): Expected => ({ status: 200, body: (text) => (parse(text).active === want ? null
  : `active ${String(parse(text).active)}, expected ${want}`) })
const refused = (error: string): Expected => ({ status: 400, refusal: true,
  body: (text) => (parse(text).error === error ? null : `error ${String(parse(text).error)}, expected ${error}`) })

function parse(text: string): Record<string, unknown> {
  try {
    return JSON.parse(text) as Record<string, unknown>
  } catch {
    return {}
  }
}

/**
 * One reporting interval: every answer's latency, the unexpected ones by "status request: what", the refusals asked
 * for; at its end, the server process's resident memory and its CPU over the interval (% of one core), and the
 * machine's load average.
 */
export interface Bucket {
  label: string; started: number; ended: number; latencies: number[]; unexpected: Map<string, number>
  refusals: number; rssMiB: number | null; cpuPercent: number | null; load: number
}

export class Tally {
  readonly buckets: Bucket[] = []
  /** Per request name: latencies, refusals asked for, unexpected answers. */
  readonly requests = new Map<string, { latencies: number[]; refusals: number; unexpected: number }>()
  readonly unexpected = new Map<string, number>()

  open(label: string): Bucket {
    const bucket: Bucket = { label, started: performance.now(), ended: 0, latencies: [], unexpected: new Map(),
      refusals: 0, rssMiB: null, cpuPercent: null, load: 0 }
    this.buckets.push(bucket)
    return bucket
  }

  get current(): Bucket {
    return this.buckets.at(-1)!
  }

  record(request: string, ms: number, problem: string | null, refusal: boolean): void {
    const bucket = this.current
    const per = this.requests.get(request) ?? { latencies: [], refusals: 0, unexpected: 0 }
    this.requests.set(request, per)
    bucket.latencies.push(ms)
    per.latencies.push(ms)
    if (problem !== null) {
      const key = `${problem.split(' ')[0]} ${request}: ${problem.slice(problem.indexOf(' ') + 1)}`
      for (const map of [bucket.unexpected, this.unexpected]) map.set(key, (map.get(key) ?? 0) + 1)
      per.unexpected++
    } else if (refusal) {
      bucket.refusals++
      per.refusals++
    }
  }
}

/**
 * The server counts bad codes and refresh tokens against the address (50 per 15-minute window, README "Limits");
 * past that it refuses the address, honest requests too. The refusals asked for on purpose stay far below: one
 * pair per address every 90 s, at most 20 in any 15 minutes.
 */
const REFUSAL_SPACING_MS = 90_000

/** What a simulated client needs: the server, its providers and users, and an address of its own. */
export interface World {
  base: string
  services: Provider[]
  /** Code-flow clients with their application slug (for end-session). */
  webs: Array<Provider & { slug: string }>
  users: string[]
}

/** One client of the soak: sends its journeys from `address` (connections bound to it) and tallies every answer. */
export class SoakClient {
  /** Per address, when it last sent its refusals on purpose (Date.now()). */
  private static lastRefusals = new Map<string, number>()

  constructor(readonly world: World, readonly address: string, private readonly agent: Agent, readonly tally: Tally) {}

  /** One request: timed, judged against `expected`; its answer, or null when unexpected (the journey stops). */
  private async send(name: string, expected: Expected, request: () => Promise<Response>):
    Promise<{ res: Response; text: string } | null> {
    const t0 = performance.now()
    let res: Response
    let text: string
    try {
      res = await request()
      text = await res.text()
    } catch (err) {
      this.tally.record(name, performance.now() - t0, `network ${(err as { code?: string }).code ?? String(err)}`, false)
      return null
    }
    let problem: string | null = null
    if (res.status !== expected.status) {
      const error = parse(text).error
      problem = `${res.status} ${typeof error === 'string' ? error : `expected ${expected.status}`}`
    } else {
      const why = expected.body?.(text, res) ?? null
      if (why !== null) problem = `${res.status} ${why}`
    }
    this.tally.record(name, performance.now() - t0, problem, expected.refusal === true)
    return problem === null ? { res, text } : null
  }

  /** A form POST authenticated as `client` (HTTP Basic). */
  private post(client: Provider, path: string, fields: Record<string, string>): () => Promise<Response> {
    return () => benchFetch(`${this.world.base}${path}`, { method: 'POST', body: new URLSearchParams(fields),
      headers: { Authorization: `Basic ${btoa(`${client.client_id}:${client.client_secret}`)}` } }, this.agent)
  }

  /** Whether this address may send its pair of refusals on purpose now. */
  private mayBeRefused(): boolean {
    const last = SoakClient.lastRefusals.get(this.address) ?? -Infinity
    if (Date.now() - last < REFUSAL_SPACING_MS) return false
    SoakClient.lastRefusals.set(this.address, Date.now())
    return true
  }

  /** A service: `client_credentials`, introspection of its token; every other time it revokes it and introspects again. */
  async service(svc: Provider, revoke: boolean): Promise<void> {
    const issued = await this.send('client credentials', jsonWith('access_token'),
      this.post(svc, TOKEN, { grant_type: 'client_credentials', scope: 'openid' }))
    if (!issued) return
    const token = parse(issued.text).access_token as string
    if (!(await this.send('introspection', active(true), this.post(svc, '/application/o/introspect/', { token })))) return
    if (!revoke || !(await this.send('revocation', status(200), this.post(svc, '/application/o/revoke/', { token })))) return
    await this.send('introspection, revoked', active(false), this.post(svc, '/application/o/introspect/', { token }))
  }

  /**
   * A person at a relying party: sign-in, the code flow with PKCE and `offline_access`, userinfo, a refresh,
   * introspection, RP-initiated logout (which queues the back-channel logout calls), revocation of the refresh
   * token and its introspection; now and then the refusals asked for: the revoked refresh token, the code again.
   */
  async person(web: World['webs'][number], username: string): Promise<void> {
    const browser = new Browser(this.world.base, {}, this.agent)
    const page = await this.send('login page', status(200), () => browser.request('/login'))
    if (!page || !(await this.send('login POST', status(303), () => browser.request('/login', { method: 'POST',
      headers: { Origin: this.world.base }, body: new URLSearchParams({ ...formFields(page.text), username, password: PASSWORD }) })))) return
    const verifier = randomBytes(32).toString('base64url')
    const query = new URLSearchParams({ client_id: web.client_id, redirect_uri: REDIRECT, response_type: 'code',
      scope: 'openid profile email offline_access', state: randomBytes(8).toString('hex'),
      code_challenge: createHash('sha256').update(verifier).digest('base64url'), code_challenge_method: 'S256' })
    const authorized = await this.send('authorize', { status: 302, body: (_, res) => (
      new URL(res.headers.get('Location') ?? '', REDIRECT).searchParams.has('code') ? null : 'no code') },
    () => browser.request(`/application/o/authorize/?${query}`))
    if (!authorized) return
    const code = new URL(authorized.res.headers.get('Location')!, REDIRECT).searchParams.get('code')!
    const exchange = this.post(web, TOKEN, { grant_type: 'authorization_code', code, redirect_uri: REDIRECT,
      code_verifier: verifier })
    const first = await this.send('code exchange', jsonWith('refresh_token'), exchange)
    if (!first) return
    const tokens = parse(first.text) as Record<string, string>
    if (!(await this.send('userinfo', jsonWith('sub'), () => benchFetch(`${this.world.base}/application/o/userinfo/`,
      { headers: { Authorization: `Bearer ${tokens.access_token}` } }, this.agent)))) return
    const refreshed = await this.send('refresh', jsonWith('refresh_token'),
      this.post(web, TOKEN, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token! }))
    if (!refreshed) return
    const { access_token: access, refresh_token: refresh } = parse(refreshed.text) as Record<string, string>
    if (!(await this.send('introspection', active(true), this.post(web, '/application/o/introspect/', { token: access! })))) return
    if (!(await this.send('end-session', { status: 200, body: (text) => (text.includes('You are signed out.') ? null
      : 'not the signed-out page') }, () => browser.request(`/application/o/${web.slug}/end-session/?${new URLSearchParams(
      { id_token_hint: tokens.id_token! })}`)))) return
    if (!(await this.send('revocation', status(200), this.post(web, '/application/o/revoke/', { token: refresh! })))) return
    if (!(await this.send('introspection, revoked', active(false),
      this.post(web, '/application/o/introspect/', { token: refresh! })))) return
    if (!this.mayBeRefused()) return
    if (!(await this.send('refresh, revoked (asked)', refused('invalid_grant'),
      this.post(web, TOKEN, { grant_type: 'refresh_token', refresh_token: refresh! })))) return
    await this.send('code again (asked)', refused('invalid_grant'), exchange)
  }

  /** Journeys until `until` (performance.now()): half people signing in, half services. */
  async run(until: number): Promise<void> {
    const { services, webs, users } = this.world
    const pick = <T>(xs: readonly T[]) => xs[Math.floor(Math.random() * xs.length)]!
    while (performance.now() < until) {
      if (Math.random() < 0.5) await this.person(pick(webs), pick(users))
      else await this.service(pick(services), Math.random() < 0.5)
    }
  }
}
