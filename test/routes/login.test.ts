import { and, eq, like, sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sha256Hex } from '../../src/crypto/hash.ts'
import { rowsOf } from '../../src/db/client.ts'
import { authenticatedSessions, events, loginAttempts, users } from '../../src/db/schema.ts'
import { createTestContext, type TestContext } from '../support/app.ts'
import { adminJson, createProviderApp, PASSWORD, setPassword } from '../support/fixtures.ts'
import { TestAgent } from '../support/browser-forms.ts'

let t: TestContext
let clientId: string
const pk: Record<string, number> = {}
const INVALID = 'Invalid username or password.'
const WINDOW = 15 * 60_000

/** A user through the admin API (no name or email), with a password unless `password` is null. */
async function createUser(ctx: TestContext, username: string, password: string | null, isActive = true): Promise<number> {
  const { pk: id } = await adminJson<{ pk: number }>(ctx, 'POST', '/core/users/', { username, is_active: isActive }, 201)
  if (password !== null) await setPassword(ctx, id, password)
  return id
}

/** The token with its last character changed (to one it is not already). */
const altered = (token: string) => `${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`

function expectSessionPageHeaders(res: Response): void {
  expect(res.headers.get('Content-Security-Policy'))
    .toBe("default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; frame-ancestors 'none'")
  expect(res.headers.get('X-Frame-Options')).toBe('DENY')
  expect(res.headers.get('Cache-Control')).toBe('no-store')
  expect(res.headers.get('Referrer-Policy')).toBe('same-origin')
}

const sessionCookie = (res: Response, name = 'edge_oidc_session') =>
  res.headers.getSetCookie().find((c) => c.startsWith(`${name}=`))

/** Sign in through the real page (GET, then POST its form) with `fields` on top. */
function signIn(agent: TestAgent, fields: Record<string, string>, query = ''): Promise<Response> {
  return agent.submit(`/login${query}`, fields)
}

async function eventsOf(action: string): Promise<Array<typeof events.$inferSelect>> {
  return t.db.select().from(events).where(eq(events.action, action))
}

beforeAll(async () => {
  t = await createTestContext()
  for (const name of ['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'grace']) {
    pk[name] = await createUser(t, name, PASSWORD)
  }
  pk.inactive = await createUser(t, 'inactive', PASSWORD, false)
  pk.nopass = await createUser(t, 'nopass', null)
  clientId = (await createProviderApp(t, 'demo', {}, { name: 'Demo <App>' })).client_id
})
afterAll(async () => t.close())

describe('GET /login', () => {
  it('renders a labelled form with the stable selectors, a CSRF token and the session-page headers', async () => {
    const agent = new TestAgent(t)
    const res = await agent.get('/login')
    expect(res.status).toBe(200)
    expect(res.headers.get('Content-Type')).toMatch(/^text\/html/)
    expectSessionPageHeaders(res)
    const html = await res.text()
    expect(html).toContain('<h1>Sign in</h1>')
    expect(html).toMatch(/<label for="username">Username<\/label><input id="username" name="username" type="text"/)
    expect(html).toMatch(/<label for="password">Password<\/label><input id="password" name="password" type="password"/)
    expect(html.match(/<button/g)).toHaveLength(1)
    expect(html).toContain('<button type="submit">Sign in</button>')
    const fields = agent.formFields(html)
    expect(Object.keys(fields).sort()).toEqual(['csrf_token', 'password', 'username'])
    expect(fields.csrf_token).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect([...agent.cookies.keys()]).toEqual(['edge_oidc_csrf'])
  })

  it('pre-fills the username from login_hint, escaped', async () => {
    const agent = new TestAgent(t)
    const html = await (await agent.get(`/login?login_hint=${encodeURIComponent('"><script>x</script>')}`)).text()
    expect(html).not.toContain('<script>')
    expect(agent.formFields(html).username).toBe('"><script>x</script>')
    expect(agent.formFields(await (await agent.get('/login?login_hint=alice')).text()).username).toBe('alice')
  })

  it("names the application when next continues an authorization request, and keeps next", async () => {
    const next = `/application/o/authorize/?client_id=${clientId}&response_type=code&state=s`
    const html = await (await new TestAgent(t).get(`/login?next=${encodeURIComponent(next)}`)).text()
    expect(html).toContain('<h1>Sign in to Demo &lt;App&gt;</h1>')
    expect(new TestAgent(t).formFields(html).next).toBe(next)
    const unknownNext = encodeURIComponent('/application/o/authorize/?client_id=nope')
    const unknown = await (await t.request(`/login?next=${unknownNext}`)).text()
    expect(unknown).toContain('<h1>Sign in</h1>')
  })

  it('drops a next that is not a relative path on this origin', async () => {
    for (const next of ['//evil.example', 'https://evil.example/', '/\\evil', '/\t/evil.example', 'javascript:alert(1)']) {
      const html = await (await t.request(`/login?next=${encodeURIComponent(next)}`)).text()
      expect(new TestAgent(t).formFields(html), next).not.toHaveProperty('next')
    }
  })
})

describe('POST /login', () => {
  it('signs in: an HttpOnly SameSite=Lax cookie whose hash names the session, a login event, a 303 to next', async () => {
    const agent = new TestAgent(t)
    const next = `/application/o/authorize/?client_id=${clientId}&state=xyz`
    const res = await signIn(agent, { username: 'alice', password: PASSWORD }, `?next=${encodeURIComponent(next)}`)
    expect(res.status).toBe(303)
    expect(res.headers.get('Location')).toBe(next)
    expectSessionPageHeaders(res)
    const cookie = sessionCookie(res)!
    expect(cookie).toMatch(/^edge_oidc_session=[A-Za-z0-9_-]{43}; Max-Age=86400; Path=\/; HttpOnly; SameSite=Lax$/)
    const value = agent.cookies.get('edge_oidc_session')!
    const [session] = await t.db.select().from(authenticatedSessions)
      .where(eq(authenticatedSessions.sessionKeyHash, await sha256Hex(value)))
    expect(session).toMatchObject({ userId: pk.alice, amr: ['pwd'], loginTime: t.clock.now() })
    expect(session!.expires).toEqual(new Date(t.clock.now().getTime() + 86_400_000))
    for (const table of ['authenticated_sessions', 'events', 'login_attempts']) {
      const found = rowsOf<{ n: number }>(await t.db.execute(
        sql`select count(*)::int as n from ${sql.identifier(table)} r where r::text like ${`%${value}%`}`))
      expect(found[0]!.n, table).toBe(0)
    }
    const [user] = await t.db.select().from(users).where(eq(users.id, pk.alice!))
    expect(user!.lastLogin).toEqual(t.clock.now())
    const logins = (await eventsOf('login')).filter((e) => (e.user as { pk?: number }).pk === pk.alice)
    expect(logins).toHaveLength(1)
    expect(logins[0]).toMatchObject({ user: { pk: pk.alice, username: 'alice' }, context: { auth_method: 'password' },
      clientIp: null, created: t.clock.now() })
  })

  it('records the client address from CF-Connecting-IP, else the first X-Forwarded-For entry', async () => {
    const agent = new TestAgent(t)
    const token = agent.formFields(await (await agent.get('/login')).text()).csrf_token!
    const postWith = (headers: Record<string, string>) =>
      agent.post('/login', { csrf_token: token, username: 'bob', password: PASSWORD }, headers)
    expect((await postWith({ 'CF-Connecting-IP': '198.51.100.7', 'X-Forwarded-For': '192.0.2.1' })).status).toBe(303)
    expect((await postWith({ 'X-Forwarded-For': '192.0.2.1, 10.0.0.1' })).status).toBe(303)
    const ips = (await eventsOf('login')).filter((e) => (e.user as { pk?: number }).pk === pk.bob).map((e) => e.clientIp)
    expect(ips).toEqual(['198.51.100.7', '192.0.2.1'])
  })

  it('runs two statements for a sign-in: attempt and user; session with last_login, refund and event', async () => {
    const agent = new TestAgent(t)
    const html = await (await agent.get('/login')).text()
    t.counter.reset()
    const res = await agent.post('/login', { ...agent.formFields(html), username: 'bob', password: PASSWORD })
    expect(res.status).toBe(303)
    expect(t.counter.count).toBe(2)
  })

  it('redirects to / when next is missing or not a relative path on this origin', async () => {
    const agent = new TestAgent(t)
    const token = agent.formFields(await (await agent.get('/login')).text()).csrf_token!
    for (const next of ['', '//evil.example', 'https://evil.example/', '/\\evil', '/\t/evil.example', 'javascript:x']) {
      const res = await agent.post('/login', { csrf_token: token, username: 'bob', password: PASSWORD, next })
      expect(res.status, next).toBe(303)
      expect(res.headers.get('Location'), next).toBe('/')
    }
    const res = await agent.post('/login', { csrf_token: token, username: 'bob', password: PASSWORD, next: '/x?y=1#z' })
    expect(res.headers.get('Location')).toBe('/x?y=1#z')
  })

  it('gives the same answer for a wrong password, an unknown, inactive or password-less user', async () => {
    for (const [username, password] of [['carol', 'wrong'], ['nobody', PASSWORD], ['inactive', PASSWORD],
      ['nopass', PASSWORD], ['Carol', PASSWORD]] as const) {
      const agent = new TestAgent(t)
      const html = await (await agent.get('/login')).text()
      t.counter.reset()
      const res = await agent.post('/login', { ...agent.formFields(html), username, password })
      expect(res.status, username).toBe(200)
      expect(t.counter.count, username).toBe(2)
      expectSessionPageHeaders(res)
      expect(sessionCookie(res), username).toBeUndefined()
      const page = await res.text()
      expect(page).toContain(`<p class="error" role="alert">${INVALID}</p>`)
      expect(agent.formFields(page)).toMatchObject({ username, password: '' })
      const failed = (await eventsOf('login_failed')).filter((e) => e.context.username === username)
      expect(failed, username).toHaveLength(1)
      expect(failed[0]).toMatchObject({ user: {}, context: { username } })
      expect(JSON.stringify(failed[0])).not.toContain(password)
    }
    expect(await t.db.select().from(authenticatedSessions).where(eq(authenticatedSessions.userId, pk.inactive!)))
      .toEqual([])
  })

  it('keeps next and the application name when the form comes back with an error', async () => {
    const agent = new TestAgent(t)
    const next = `/application/o/authorize/?client_id=${clientId}`
    const res = await signIn(agent, { username: 'carol', password: 'nope' }, `?next=${encodeURIComponent(next)}`)
    const html = await res.text()
    expect(html).toContain('<h1>Sign in to Demo &lt;App&gt;</h1>')
    expect(agent.formFields(html).next).toBe(next)
  })

  it('refuses (403) a missing or wrong token, a foreign or missing Origin, and writes nothing', async () => {
    const agent = new TestAgent(t)
    const fields: Record<string, string> = {
      ...agent.formFields(await (await agent.get('/login')).text()), username: 'alice', password: PASSWORD }
    const stranger = new TestAgent(t)
    await stranger.get('/login')
    const attempts = [
      () => agent.post('/login', { ...fields, csrf_token: '' }),
      () => agent.post('/login', { username: 'alice', password: PASSWORD }),
      () => agent.post('/login', { ...fields, csrf_token: altered(fields.csrf_token!) }),
      () => agent.post('/login', fields, { Origin: 'https://evil.example' }),
      () => agent.post('/login', fields, { Origin: null }),
      () => agent.post('/login', fields, { Origin: null, 'Sec-Fetch-Site': 'cross-site' }),
      () => stranger.post('/login', fields),
    ]
    for (const [i, attempt] of attempts.entries()) {
      t.counter.reset()
      const res = await attempt()
      expect(res.status, `attempt ${i}`).toBe(403)
      expect(t.counter.count, `attempt ${i}`).toBe(0)
      expectSessionPageHeaders(res)
      expect(sessionCookie(res)).toBeUndefined()
    }
    const sameOrigin = await agent.post('/login', fields, { Origin: null, 'Sec-Fetch-Site': 'same-origin' })
    expect(sameOrigin.status).toBe(303)
  })
})

describe('rate limiting', () => {
  const fail = async (username: string, headers: Record<string, string>) => {
    const agent = new TestAgent(t)
    const token = agent.formFields(await (await agent.get('/login')).text()).csrf_token!
    return { res: await agent.post('/login', { csrf_token: token, username, password: 'x' }, headers) }
  }
  const windowEnd = () => Math.floor(t.clock.now().getTime() / WINDOW) * WINDOW + WINDOW
  const at = (ip: string) => ({ 'X-Forwarded-For': ip })
  const succeeds = async (username: string, headers: Record<string, string>) => {
    const agent = new TestAgent(t)
    const token = agent.formFields(await (await agent.get('/login')).text()).csrf_token!
    return (await agent.post('/login', { csrf_token: token, username, password: PASSWORD }, headers)).status
  }

  async function expectLimited(username: string, headers: Record<string, string>, next = ''): Promise<void> {
    const agent = new TestAgent(t)
    const token = agent.formFields(await (await agent.get('/login')).text()).csrf_token!
    t.counter.reset()
    const res = await agent.post('/login', { csrf_token: token, username, password: PASSWORD,
      ...(next && { next }) }, headers)
    expect(res.status).toBe(429)
    expect(t.counter.count).toBe(1)
    const retryAfter = (windowEnd() - t.clock.now().getTime()) / 1000
    expect(res.headers.get('Retry-After')).toBe(String(retryAfter))
    expectSessionPageHeaders(res)
    const html = await res.text()
    const minutes = Math.ceil(retryAfter / 60)
    expect(html).toContain(`<p>Too many sign-in attempts. Try again in ${minutes} minute${minutes === 1 ? '' : 's'}.</p>`)
    const back = next ? `/login?next=${encodeURIComponent(next)}` : '/login'
    expect(html).toContain(`<p><a href="${back.replace(/&/g, '&amp;')}">Back</a></p>`)
    expect(sessionCookie(res)).toBeUndefined()
  }

  it('never refuses a correct sign-in from an address that has not failed, however many others failed', async () => {
    t.clock.advance(5 * 60_000)
    // 30 wrong passwords for dave from 30 addresses: past the per-user limit of 20.
    for (let i = 0; i < 30; i++) {
      expect((await fail(i % 2 ? 'dave' : 'DAVE', at(`10.0.0.${i}`))).res.status).toBe(200)
    }
    t.counter.reset()
    expect(await succeeds('dave', at('10.0.1.1'))).toBe(303)
    // An address that failed for dave is refused by the per-user limit (one guess each, not ten).
    await expectLimited('dave', at('10.0.0.3'))
    await expectLimited('Dave', at('10.0.0.4'), '/application/o/authorize/?client_id=x&state=s')
    // ... but not for another user.
    expect(await succeeds('alice', at('10.0.0.3'))).toBe(303)
    t.clock.advance(WINDOW)
    expect(await succeeds('dave', at('10.0.0.3'))).toBe(303)
  })

  it('writes one suspicious_request event when a user sees failures from 10 addresses in a window', async () => {
    const before = (await eventsOf('suspicious_request')).length
    for (let i = 0; i < 9; i++) expect((await fail('carol', at(`10.1.0.${i}`))).res.status).toBe(200)
    expect((await fail('carol', at('10.1.0.0'))).res.status).toBe(200) // the same address again
    expect(await eventsOf('suspicious_request')).toHaveLength(before)
    expect((await fail('carol', at('10.1.0.9'))).res.status).toBe(200)
    for (let i = 10; i < 14; i++) expect((await fail('carol', at(`10.1.0.${i}`))).res.status).toBe(200)
    const flagged = (await eventsOf('suspicious_request')).slice(before)
    expect(flagged).toEqual([expect.objectContaining({ action: 'suspicious_request', clientIp: '10.1.0.9',
      created: t.clock.now(), context: { reason: 'failed sign-ins from many addresses', username: 'carol',
        addresses: 10 } })])
    expect(await succeeds('carol', at('10.1.1.1'))).toBe(303)
  })

  it('refuses the 11th attempt for one user from one address, and no other user behind it', async () => {
    for (let i = 0; i < 10; i++) expect((await fail('erin', { 'CF-Connecting-IP': '203.0.113.9' })).res.status).toBe(200)
    await expectLimited('erin', { 'CF-Connecting-IP': '203.0.113.9' })
    const [failed] = (await eventsOf('login_failed')).filter((e) => e.context.username === 'erin')
    expect(failed).toMatchObject({ clientIp: '203.0.113.9', context: { username: 'erin' } })
    // An office behind one NAT: bob signs in from the same address, erin from elsewhere.
    expect(await succeeds('bob', { 'CF-Connecting-IP': '203.0.113.9' })).toBe(303)
    expect(await succeeds('erin', { 'CF-Connecting-IP': '203.0.113.10' })).toBe(303)
  })

  it('refuses an address after 50 failures for any users, and only that address', async () => {
    t.clock.advance(WINDOW)
    for (let i = 0; i < 50; i++) expect((await fail(`guess${i}`, at('203.0.113.50'))).res.status).toBe(200)
    await expectLimited('bob', at('203.0.113.50'))
    expect(await succeeds('bob', at('203.0.113.51'))).toBe(303)
  })

  it('counts only failures: a success counts nothing and does not reset earlier failures', async () => {
    t.clock.advance(WINDOW)
    for (let i = 0; i < 12; i++) {
      expect((await signIn(new TestAgent(t), { username: 'frank', password: PASSWORD })).status).toBe(303)
    }
    for (let i = 0; i < 9; i++) expect((await fail('frank', {})).res.status).toBe(200)
    expect((await signIn(new TestAgent(t), { username: 'frank', password: PASSWORD })).status).toBe(303)
    expect((await fail('frank', {})).res.status).toBe(200)
    await expectLimited('frank', {})
  })

  it('lets no more than 10 of a parallel burst for one user through', async () => {
    t.clock.advance(WINDOW)
    const agent = new TestAgent(t)
    const token = agent.formFields(await (await agent.get('/login')).text()).csrf_token!
    const answers = await Promise.all(Array.from({ length: 15 }, () =>
      agent.post('/login', { csrf_token: token, username: 'grace', password: 'guess' }, at('192.0.2.15'))))
    expect(answers.map((r) => r.status).sort()).toEqual([...Array<number>(10).fill(200), ...Array<number>(5).fill(429)])
  })

  it('answers at most 50 passwords of a parallel burst of 120 from one address, refusing the rest unanswered', async () => {
    t.clock.advance(WINDOW)
    const agent = new TestAgent(t)
    const token = agent.formFields(await (await agent.get('/login')).text()).csrf_token!
    const before = (await eventsOf('login_failed')).length
    const answers = await Promise.all(Array.from({ length: 120 }, (_, i) =>
      agent.post('/login', { csrf_token: token, username: `burst${i}`, password: 'guess' }, at('192.0.2.120'))))
    expect(answers.map((r) => r.status).sort()).toEqual([...Array<number>(50).fill(200), ...Array<number>(70).fill(429)])
    expect((await eventsOf('login_failed')).length - before).toBe(50)
  })

  it('counts without an address header as from one unnamed address, in one row per key and window', async () => {
    t.clock.advance(WINDOW)
    for (let i = 0; i < 3; i++) expect((await fail('noaddr', {})).res.status).toBe(200)
    const start = new Date(windowEnd() - WINDOW)
    const rows = await t.db.select().from(loginAttempts)
      .where(and(eq(loginAttempts.windowStart, start), like(loginAttempts.key, '%noaddr')))
    const row = (key: string, count: number) => ({ key, windowStart: start, count, expires: new Date(windowEnd()),
      expiring: true })
    expect(rows.sort((x, y) => x.key.localeCompare(y.key)))
      .toEqual([row('user-addrs:noaddr', 1), row('user-ip:|noaddr', 3), row('user:noaddr', 3)])
    const ipRows = rowsOf<{ n: number }>(await t.db.execute(
      sql`select count(*)::int as n from login_attempts where key like 'ip:%' and window_start = ${start.toISOString()}`))
    expect(ipRows[0]!.n).toBe(0)
  })
})

describe('on https', () => {
  let s: TestContext
  beforeAll(async () => {
    s = await createTestContext({ PUBLIC_URL: 'https://id.example.com' })
    await createUser(s, 'alice', PASSWORD)
  })
  afterAll(async () => s.close())

  it('sets a __Host- prefixed Secure cookie', async () => {
    const agent = new TestAgent(s)
    const res = await agent.submit('/login', { username: 'alice', password: PASSWORD })
    expect(res.status).toBe(303)
    expect(sessionCookie(res, '__Host-edge_oidc_session'))
      .toMatch(/^__Host-edge_oidc_session=[A-Za-z0-9_-]{43}; Max-Age=86400; Path=\/; HttpOnly; Secure; SameSite=Lax$/)
    expect([...agent.cookies.keys()].sort()).toEqual(['__Host-edge_oidc_csrf', '__Host-edge_oidc_session'])
  })
})
