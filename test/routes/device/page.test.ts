import { and, eq } from 'drizzle-orm'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { consents, deviceTokens, events } from '../../../src/db/schema.ts'
import { createTestContext, START, type TestContext } from '../../support/app.ts'
import { TestAgent } from '../../support/browser-forms.ts'
import {
  createGroup, createUserWithPassword, EXPLICIT_CONSENT, json, type User,
} from '../../support/fixtures.ts'
import { signIn } from '../authorize/helpers.ts'
import { createClient, MINUTE, type Client } from '../token/support.ts'
import { insertDevice } from './support.ts'
import { OPENID_MEANS } from '../../../src/pages/consent.ts'

let t: TestContext
let implicit: Client
let explicit: Client
let restricted: Client
let alice: User
let agent: TestAgent

beforeAll(async () => {
  t = await createTestContext()
  implicit = await createClient(t, 'tv')
  explicit = await createClient(t, 'console', { authorization_flow: EXPLICIT_CONSENT })
  const staff = await createGroup(t, 'staff')
  restricted = await createClient(t, 'restricted')
  await t.admin('PATCH', `/core/applications/${restricted.slug}/`, { group: staff.pk })
  alice = await createUserWithPassword(t, 'alice')
  await createUserWithPassword(t, 'bob')
  agent = await signIn(t, 'alice')
}, 60_000)
afterAll(() => t.close())
beforeEach(() => t.clock.set(START))

const display = (code: string) => `${code.slice(0, 4)}-${code.slice(4)}`
const rowOf = async (id: string) => (await t.db.select().from(deviceTokens).where(eq(deviceTokens.id, id)))[0]!
const text = async (res: Response) => (await res.text()).replace(/<[^>]*>/g, ' ').replace(/\s+/g, ' ')

/** Enter `code` on the device page as the signed-in browser does: the page's own form and fields. */
async function enter(browser: TestAgent, code: string, headers: Record<string, string> = {}) {
  const fields = browser.formFields(await (await browser.get('/device')).text(), '/device')
  return browser.post('/device', { ...fields, code }, headers)
}

/** Enter `code`, then press Allow on the confirmation page that names the application and the device. */
async function approve(browser: TestAgent, code: string, headers: Record<string, string> = {}): Promise<Response> {
  const asked = await enter(browser, code, headers)
  expect(asked.status).toBe(200)
  return browser.post('/device', { ...browser.formFields(await asked.text(), '/device'), action: 'allow' }, headers)
}

function expectProtected(res: Response): void {
  expect(res.headers.get('Cache-Control')).toBe('no-store')
  expect(res.headers.get('X-Frame-Options')).toBe('DENY')
  expect(res.headers.get('Content-Security-Policy')).toContain("frame-ancestors 'none'")
}

describe('the /device page (RFC 8628 §3.3, test_device_init.py)', () => {
  it('sends a visitor without a session to sign in, keeping ?code=', async () => {
    const res = await t.request('/device?code=BCDF-GHJK')
    expect(res.status).toBe(302)
    expect(res.headers.get('Cache-Control')).toBe('no-store')
    expect(res.headers.get('Location')).toBe(`/login?next=${encodeURIComponent('/device?code=BCDF-GHJK')}`)
    expect((await t.request('/device')).headers.get('Location')).toBe('/login?next=%2Fdevice')
  })

  it('comes back to the page after sign-in, the code pre-filled', async () => {
    const browser = new TestAgent(t)
    const toLogin = await browser.get('/device?code=BCDF-GHJK')
    const signedIn = await browser.submit(toLogin.headers.get('Location')!, { username: 'bob', password: 'correct horse battery staple' })
    expect(signedIn.status).toBe(303)
    expect(signedIn.headers.get('Location')).toBe('/device?code=BCDF-GHJK')
  })

  it('shows one code input and one submit button with a CSRF token, never framed or cached', async () => {
    const res = await agent.get('/device?code=bcdf-ghjk')
    expect(res.status).toBe(200)
    expectProtected(res)
    const html = await res.text()
    expect(agent.formFields(html, '/device')).toEqual({ csrf_token: expect.any(String), code: 'bcdf-ghjk' })
    expect(html.match(/<button/g)).toHaveLength(1)
    expect(html).toContain('name="code"')
    expect(html).toContain('Signed in as alice')
  })

  it('asks under implicit consent too, naming the application and the device, and grants nothing before Allow (RFC 8628 §5.4)',
    async () => {
      const { userCode, id } = await insertDevice(t, implicit)
      // What a lured user opens: verification_uri_complete, then Continue.
      const page = await agent.get(`/device?code=${display(userCode)}`)
      const fields = agent.formFields(await page.text(), '/device')
      const asked = await agent.post('/device', fields)
      expect(asked.status).toBe(200)
      expectProtected(asked)
      const html = await asked.text()
      expect(html).toContain('<h1>A device wants to sign in to tv.</h1>')
      expect(html).toContain(`shows the code <strong>${display(userCode)}</strong>`)
      expect(html).toContain('<button type="submit" name="action" value="allow">')
      expect(await rowOf(id)).toMatchObject({ status: 'pending', userId: null })
      expect(await t.db.select().from(events).where(and(eq(events.action, 'authorize_application'),
        eq(events.clientId, implicit.client_id)))).toEqual([])
      // Pressing Continue again (the form re-posted without an answer) still grants nothing.
      expect((await agent.post('/device', fields)).status).toBe(200)
      expect((await rowOf(id)).status).toBe('pending')
    })

  it('approves on Allow under implicit consent, with the session and its login time, remembering no consent', async () => {
    const { userCode, id } = await insertDevice(t, implicit)
    const res = await approve(agent, display(userCode))
    expect(res.status).toBe(200)
    expectProtected(res)
    expect(await text(res)).toContain('You have signed in to tv. You may return to your device.')
    const row = await rowOf(id)
    expect(row).toMatchObject({ status: 'approved', userId: alice.pk, sessionId: expect.any(String) })
    expect(row.authTime).toEqual(new Date(START))
    const [event] = await t.db.select().from(events).where(and(eq(events.action, 'authorize_application'),
      eq(events.clientId, implicit.client_id)))
    expect(event!.context).toMatchObject({ scopes: 'openid email profile', flow: 'device' })
  })

  it('runs two statements to ask (session, code) and three to approve (session, code, approval)', async () => {
    const { userCode } = await insertDevice(t, implicit)
    const fields = agent.formFields(await (await agent.get('/device')).text(), '/device')
    t.counter.reset()
    const asked = await agent.post('/device', { ...fields, code: userCode })
    expect(asked.status).toBe(200)
    expect(t.counter.count).toBe(2)
    const answer = agent.formFields(await asked.text(), '/device')
    t.counter.reset()
    expect((await agent.post('/device', { ...answer, action: 'allow' })).status).toBe(200)
    expect(t.counter.count).toBe(3)
  })

  it('compares the code case-insensitively, ignoring hyphens and spaces', async () => {
    const { userCode, id } = await insertDevice(t, implicit)
    const typed = ` ${userCode.slice(0, 4).toLowerCase()} - ${userCode.slice(4, 6)} ${userCode.slice(6).toLowerCase()}`
    expect((await approve(agent, typed)).status).toBe(200)
    expect((await rowOf(id)).status).toBe('approved')
  })

  it('re-renders the page with "Invalid code" for a wrong, used or expired code', async () => {
    const used = await insertDevice(t, implicit, { status: 'approved', userPk: alice.pk })
    const expired = await insertDevice(t, implicit, { expiresInMs: MINUTE })
    t.clock.advance(MINUTE)
    for (const code of ['BBBB-BBBB', used.userCode, expired.userCode]) {
      const res = await enter(agent, code, { 'X-Forwarded-For': '203.0.113.50' })
      expect(res.status).toBe(200)
      const html = await res.text()
      expect(html).toContain('<p class="error" role="alert">Invalid code</p>')
      expect(agent.formFields(html, '/device').code).toBe(code)
    }
  })

  it('refuses a post without its CSRF token or from another origin with 403', async () => {
    const { userCode, id } = await insertDevice(t, implicit)
    expect((await agent.post('/device', { code: userCode })).status).toBe(403)
    const foreign = await enter(agent, userCode, { Origin: 'https://evil.example' })
    expect(foreign.status).toBe(403)
    expectProtected(foreign)
    expect((await rowOf(id)).status).toBe('pending')
  })

  it('sends a post whose session ended to sign in again, keeping the code', async () => {
    const browser = await signIn(t, 'bob')
    const fields = browser.formFields(await (await browser.get('/device')).text(), '/device')
    browser.cookies.delete('edge_oidc_session')
    const res = await browser.post('/device', { ...fields, code: 'BCDF-GHJK' })
    expect(res.status).toBe(303)
    expect(res.headers.get('Location')).toBe(`/login?next=${encodeURIComponent('/device?code=BCDF-GHJK')}`)
  })

  it('shows "Permission denied" when the application is bound to a group the user is not in', async () => {
    const { userCode, id } = await insertDevice(t, restricted)
    const res = await enter(agent, userCode)
    expect(res.status).toBe(200)
    expect(await text(res)).toContain('Permission denied')
    expect((await rowOf(id)).status).toBe('pending')
  })

  it('asks under explicit consent with the scopes\' descriptions, then remembers the allow', async () => {
    const first = await insertDevice(t, explicit, { scope: 'openid email' })
    const res = await enter(agent, first.userCode)
    expect(res.status).toBe(200)
    expectProtected(res)
    const html = await res.text()
    expect(html).toContain(`<ul><li>${OPENID_MEANS}</li><li>Email address</li></ul>`)
    expect(html).toContain('<button type="submit" name="action" value="allow">')
    expect(html).toContain('<button type="submit" name="action" value="deny" class="secondary">')
    const fields = agent.formFields(html, '/device')
    expect(fields).toEqual({ code: first.userCode, csrf_token: expect.any(String), consent_user: alice.uuid })
    expect((await rowOf(first.id)).status).toBe('pending')

    const allowed = await agent.post('/device', { ...fields, action: 'allow' })
    expect(await text(allowed)).toContain('You have signed in to console. You may return to your device.')
    expect((await rowOf(first.id)).status).toBe('approved')
    const remembered = await t.db.select().from(consents).where(eq(consents.userId, alice.pk))
    expect(remembered).toMatchObject([{ permissions: 'email openid', expires: null }])

    // A remembered consent still shows the confirmation: a device asks, and the user must see which one.
    const second = await insertDevice(t, explicit, { scope: 'openid' })
    expect(await text(await enter(agent, second.userCode))).toContain('A device wants to sign in to console.')
    expect((await rowOf(second.id)).status).toBe('pending')
    expect(await text(await approve(agent, second.userCode))).toContain('You may return to your device.')
    expect((await rowOf(second.id)).status).toBe('approved')
    expect(await t.db.select().from(consents).where(eq(consents.userId, alice.pk))).toHaveLength(1)
  })

  it('marks the device denied when the user refuses', async () => {
    const { userCode, id } = await insertDevice(t, explicit, { scope: 'openid profile' })
    const fields = agent.formFields(await (await enter(agent, userCode)).text(), '/device')
    const res = await agent.post('/device', { ...fields, action: 'deny' })
    expect(res.status).toBe(200)
    expect(await text(res)).toContain('You refused access to console. You may return to your device.')
    expect(await rowOf(id)).toMatchObject({ status: 'denied', userId: alice.pk })
  })

  it('starts over when another user answers the consent page shown to the first', async () => {
    const { userCode, id } = await insertDevice(t, explicit, { scope: 'openid profile' })
    const fields = agent.formFields(await (await enter(agent, userCode)).text(), '/device')
    const res = await agent.post('/device', { ...fields, consent_user: crypto.randomUUID(), action: 'allow' })
    expect(res.status).toBe(303)
    expect(res.headers.get('Location')).toBe(`/device?code=${userCode}`)
    expect((await rowOf(id)).status).toBe('pending')
  })

  it('limits wrong codes per address: 10 per 15 minutes, then a 429 page saying when to retry, with a link back', async () => {
    t.clock.set(new Date(new Date(START).getTime() + 5 * MINUTE))
    const ip = { 'X-Forwarded-For': '203.0.113.9' }
    const { userCode, id } = await insertDevice(t, implicit, { expiresInMs: 30 * MINUTE })
    for (let i = 0; i < 10; i++) expect(await text(await enter(agent, `WRNG-${i}`, ip))).toContain('Invalid code')
    for (const code of ['WRNG-X', userCode]) {
      const res = await enter(agent, code, ip)
      expect(res.status).toBe(429)
      expect(res.headers.get('Retry-After')).toBe(String(10 * 60))
      expectProtected(res)
      const page = await res.text()
      expect(page).toContain('<p>Too many wrong codes. Try again in 10 minutes.</p>')
      expect(page).toContain('<a href="/device">Back</a>')
    }
    expect((await rowOf(id)).status).toBe('pending')
    expect((await approve(agent, userCode, { 'X-Forwarded-For': '203.0.113.10' })).status).toBe(200)
    expect((await rowOf(id)).status).toBe('approved')
  })

  it('is served for discovery\'s verification URI', async () => {
    const doc = await json(t.request(`/application/o/${implicit.slug}/.well-known/openid-configuration`))
    expect(doc.device_authorization_endpoint).toBe('http://localhost/application/o/device/')
  })
})
