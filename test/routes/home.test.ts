import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sha256Hex } from '../../src/crypto/hash.ts'
import { createSession } from '../../src/db/sessions.ts'
import { createTestContext, type TestContext } from '../support/app.ts'

let t: TestContext
beforeAll(async () => {
  t = await createTestContext()
})
afterAll(() => t.close())

describe('the home page', () => {
  it('tells a visitor without a session that nobody is signed in', async () => {
    const res = await t.request('/')
    expect(res.status).toBe(200)
    expect(res.headers.get('X-Frame-Options')).toBe('DENY')
    expect(await res.text()).toContain('You are not signed in.')
  })

  it('names the signed-in user and links to sign-out', async () => {
    const user = await t.admin('POST', '/core/users/', { username: 'zoë' })
    const { pk } = (await user.json()) as { pk: number }
    const now = t.clock.now()
    await createSession(t.db, { sessionKeyHash: await sha256Hex('cookie-value'), userId: pk, loginTime: now,
      amr: ['pwd'], lastIp: null, lastUserAgent: '', expires: new Date(now.getTime() + 60_000) })
    const res = await t.request('/', { headers: { Cookie: 'edge_oidc_session=cookie-value' } })
    const html = await res.text()
    expect(html).toContain('signed in as <strong>zoë</strong>')
    expect(html).toContain('href="/logout"')
  })
})
