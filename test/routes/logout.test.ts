import { eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sha256Hex } from '../../src/crypto/hash.ts'
import { accessTokens, authenticatedSessions, events, refreshTokens } from '../../src/db/schema.ts'
import { createTestContext, type TestContext } from '../support/app.ts'
import { adminJson, createProvider, PASSWORD, setPassword } from '../support/fixtures.ts'
import { TestAgent } from '../support/browser-forms.ts'

let t: TestContext
let userId: number
let providerId: number
const GRANT = '00000000-0000-4000-8000-000000000001'

function expectSessionPageHeaders(res: Response): void {
  expect(res.headers.get('Content-Security-Policy'))
    .toBe("default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; frame-ancestors 'none'")
  expect(res.headers.get('X-Frame-Options')).toBe('DENY')
  expect(res.headers.get('Cache-Control')).toBe('no-store')
  expect(res.headers.get('Referrer-Policy')).toBe('same-origin')
}

/** A signed-in browser and its session row's id. */
async function signedIn(): Promise<{ agent: TestAgent; cookie: string; sessionId: string }> {
  const agent = new TestAgent(t)
  expect((await agent.submit('/login', { username: 'alice', password: PASSWORD })).status).toBe(303)
  const cookie = agent.cookies.get('edge_oidc_session')!
  const [row] = await t.db.select().from(authenticatedSessions)
    .where(eq(authenticatedSessions.sessionKeyHash, await sha256Hex(cookie)))
  return { agent, cookie, sessionId: row!.id }
}

/** An access and a refresh token issued under `sessionId`, inserted directly. */
async function tokensOf(sessionId: string, label: string): Promise<{ access: string; refresh: string }> {
  const grant = { providerId, userId, grantId: GRANT, scope: 'openid', authTime: t.clock.now(), sessionId,
    expires: new Date(t.clock.now().getTime() + 3_600_000), idToken: {} }
  const [access] = await t.db.insert(accessTokens).values({ ...grant, tokenHash: await sha256Hex(`a-${label}`) })
    .returning()
  const [refresh] = await t.db.insert(refreshTokens).values({ ...grant, tokenHash: await sha256Hex(`r-${label}`) })
    .returning()
  return { access: access!.id, refresh: refresh!.id }
}

beforeAll(async () => {
  t = await createTestContext()
  userId = (await adminJson<{ pk: number }>(t, 'POST', '/core/users/', { username: 'alice' }, 201)).pk
  await setPassword(t, userId)
  providerId = (await createProvider(t, { name: 'demo' })).pk
})
afterAll(async () => t.close())

describe('GET /logout', () => {
  it('tells a visitor without a session that they are signed out', async () => {
    const res = await t.request('/logout')
    expect(res.status).toBe(200)
    expectSessionPageHeaders(res)
    const html = await res.text()
    expect(html).toContain('<h1>You are signed out.</h1>')
    expect(html).not.toContain('<form')
  })

  it('asks a signed-in user to confirm, and signs nobody out', async () => {
    const { agent, sessionId } = await signedIn()
    const res = await agent.get('/logout')
    expect(res.status).toBe(200)
    expectSessionPageHeaders(res)
    const html = await res.text()
    expect(html).toContain('<h1>Sign out of edge-oidc?</h1>')
    expect(html).toContain('<strong>alice</strong>')
    expect(html).toContain('<button type="submit" name="action" value="logout">Sign out</button>')
    expect(html).toContain('<form method="post" action="/logout">')
    expect(agent.formFields(html, '/logout').csrf_token).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(await t.db.select().from(authenticatedSessions).where(eq(authenticatedSessions.id, sessionId)))
      .toHaveLength(1)
  })
})

describe('POST /logout', () => {
  it('ends the session: its access tokens go, refresh tokens stay, the cookie is cleared, an event is written', async () => {
    const { agent, cookie, sessionId } = await signedIn()
    const { access, refresh } = await tokensOf(sessionId, 'one')
    const res = await agent.submit('/logout', { action: 'logout' })
    expect(res.status).toBe(200)
    expectSessionPageHeaders(res)
    expect(await res.text()).toContain('<h1>You are signed out.</h1>')
    expect(res.headers.getSetCookie()).toContain('edge_oidc_session=; Max-Age=0; Path=/')
    expect(agent.cookies.has('edge_oidc_session')).toBe(false)

    expect(await t.db.select().from(authenticatedSessions).where(eq(authenticatedSessions.id, sessionId))).toEqual([])
    expect(await t.db.select().from(accessTokens).where(eq(accessTokens.id, access))).toEqual([])
    const [kept] = await t.db.select().from(refreshTokens).where(eq(refreshTokens.id, refresh))
    expect(kept).toMatchObject({ sessionId: null, revoked: false })

    agent.cookies.set('edge_oidc_session', cookie)
    expect(await (await agent.get('/logout')).text()).toContain('<h1>You are signed out.</h1>')
    const logouts = await t.db.select().from(events).where(eq(events.action, 'logout'))
    expect(logouts).toHaveLength(1)
    expect(logouts[0]).toMatchObject({ user: { pk: userId, username: 'alice' }, context: {}, created: t.clock.now() })
  })

  it('refuses (403) a missing token or a foreign Origin, and the session lives on', async () => {
    const { agent, sessionId } = await signedIn()
    const fields = agent.formFields(await (await agent.get('/logout')).text(), '/logout')
    for (const [body, headers] of [[{ action: 'logout' }, {}], [fields, { Origin: 'https://evil.example' }],
      [{ ...fields, csrf_token: 'x' }, {}]] as const) {
      const res = await agent.post('/logout', body, headers)
      expect(res.status).toBe(403)
      expectSessionPageHeaders(res)
    }
    expect(await t.db.select().from(authenticatedSessions).where(eq(authenticatedSessions.id, sessionId)))
      .toHaveLength(1)
  })

  it('does not accept the login form token for the logout form', async () => {
    const { agent, sessionId } = await signedIn()
    const loginToken = agent.formFields(await (await agent.get('/login')).text()).csrf_token!
    expect((await agent.post('/logout', { csrf_token: loginToken, action: 'logout' })).status).toBe(403)
    expect(await t.db.select().from(authenticatedSessions).where(eq(authenticatedSessions.id, sessionId)))
      .toHaveLength(1)
  })

  it('shows the signed-out page, without an event, when the session ended before the form was sent', async () => {
    const { agent, sessionId } = await signedIn()
    const fields = agent.formFields(await (await agent.get('/logout')).text(), '/logout')
    await t.db.delete(authenticatedSessions).where(eq(authenticatedSessions.id, sessionId))
    const before = (await t.db.select().from(events).where(eq(events.action, 'logout'))).length
    const res = await agent.post('/logout', fields)
    expect(res.status).toBe(200)
    expect(await res.text()).toContain('<h1>You are signed out.</h1>')
    expect((await t.db.select().from(events).where(eq(events.action, 'logout'))).length).toBe(before)
  })
})
