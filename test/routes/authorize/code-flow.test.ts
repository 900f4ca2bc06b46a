import { eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sha256Hex } from '../../../src/crypto/hash.ts'
import { authenticatedSessions } from '../../../src/db/schema.ts'
import { createTestContext, START, type TestContext } from '../../support/app.ts'
import { createGroup, createUserWithPassword, defaultMappingPks, PASSWORD } from '../../support/fixtures.ts'
import { TestAgent } from '../../support/browser-forms.ts'
import {
  authorizePath, codesOf, createClient, eventsOf, expectErrorRedirect, fragment, location, signIn, type Client,
} from './helpers.ts'

let t: TestContext
let client: Client
let alice: { pk: number; uuid: string }
let agent: TestAgent

const ask = (extra: Record<string, string> = {}, c: Client = client) =>
  authorizePath({ client_id: c.clientId, redirect_uri: 'foo://localhost', response_type: 'code', state: 'st', ...extra })

/** The code of a successful redirect (query mode). */
function codeOf(res: Response): string {
  expect(res.status, `${res.status} ${res.headers.get('Location')}`).toBe(302)
  const code = location(res).searchParams.get('code')
  expect(code).toMatch(/^[A-Za-z0-9]{48}$/)
  return code!
}

beforeAll(async () => {
  t = await createTestContext()
  client = await createClient(t, 'app', { property_mappings: await defaultMappingPks(t), access_code_validity: 'seconds=100' })
  alice = await createUserWithPassword(t, 'alice')
  agent = await signIn(t, 'alice')
}, 60_000)
afterAll(() => t.close())

describe('without a session', () => {
  it('redirects to the login page with the whole request as next and the login hint', async () => {
    const res = await t.request(ask({ login_hint: 'foo', ui_locales: 'fr', prompt: 'consent', max_age: '60' }))
    expect(res.status).toBe(302)
    const url = location(res)
    expect(url.pathname).toBe('/login')
    expect(url.searchParams.get('login_hint')).toBe('foo')
    const next = new URL(url.searchParams.get('next')!, 'http://localhost')
    expect(next.pathname).toBe('/application/o/authorize/')
    expect(Object.fromEntries(next.searchParams)).toEqual({
      client_id: client.clientId, redirect_uri: 'foo://localhost', response_type: 'code', state: 'st',
      login_hint: 'foo', ui_locales: 'fr', prompt: 'consent',
    })
  })

  it('answers login_required under prompt=none', async () => {
    const res = await t.request(ask({ prompt: 'none' }))
    expectErrorRedirect(res, 302, {
      error: 'login_required', error_description: 'The Authorization Server requires End-User authentication',
      state: 'st', iss: client.iss,
    })
  })

  it('signs in through the login page and comes back with a code', async () => {
    const browser = new TestAgent(t)
    const toLogin = await browser.get(ask())
    const login = location(toLogin)
    const back = await browser.submit(`${login.pathname}${login.search}`, { username: 'alice', password: PASSWORD })
    expect(back.status).toBe(303)
    codeOf(await browser.get(back.headers.get('Location')!))
  })
})

describe('the code flow (implicit consent)', () => {
  it('redirects with code, state and iss, and stores only the code\'s hash', async () => {
    t.counter.reset()
    const res = await agent.get(ask({ nonce: 'n-1', code_challenge: 'challenge-1'.padEnd(43, '-'), scope: 'openid email unknown offline_access' }))
    expect(t.counter.count).toBe(1)
    const code = codeOf(res)
    expect(res.headers.get('Location')).toBe(`foo://localhost?code=${code}&state=st&iss=${encodeURIComponent(client.iss)}`)
    expect(res.headers.get('Cache-Control')).toBe('no-store')

    const rows = (await codesOf(t, client.pk)).filter((r) => r.nonce === 'n-1')
    expect(rows).toHaveLength(1)
    const row = rows[0]!
    const [session] = await t.db.select().from(authenticatedSessions).where(eq(authenticatedSessions.id, row.sessionId!))
    expect(row).toMatchObject({
      codeHash: await sha256Hex(code), userId: alice.pk, scope: 'openid email offline_access', redirectUri: 'foo://localhost',
      nonce: 'n-1', codeChallenge: 'challenge-1'.padEnd(43, '-'), codeChallengeMethod: 'plain', consumed: null, revoked: false,
      expiring: true, authTime: session!.loginTime,
    })
    expect(row.grantId).toMatch(/^[0-9a-f-]{36}$/)
    expect(JSON.stringify(row)).not.toContain(code)
    expect(row.expires!.getTime()).toBe(new Date(START).getTime() + 100_000)

    const [event] = (await eventsOf(t, 'authorize_application', client.clientId)).slice(-1)
    expect(event).toMatchObject({
      user: { pk: alice.pk, username: 'alice' },
      context: { authorized_application: { name: 'App app', slug: 'app' }, scopes: 'openid email offline_access' },
    })
    expect(JSON.stringify(event)).not.toContain(code)
  })

  it('grants every configured scope when none is asked, and stores S256 challenges', async () => {
    const res = await agent.get(ask({ code_challenge: 'c'.repeat(43), code_challenge_method: 'S256' }))
    const hash = await sha256Hex(codeOf(res))
    const mine = (await codesOf(t, client.pk)).find((r) => r.codeHash === hash)!
    expect(mine.scope.split(' ').sort()).toEqual(['email', 'entitlements', 'offline_access', 'openid', 'profile'])
    expect(mine.codeChallenge).toBe('c'.repeat(43))
    expect(mine.codeChallengeMethod).toBe('S256')
    expect(mine.nonce).toBeNull()
  })

  it('answers in fragment mode', async () => {
    const res = await agent.get(ask({ redirect_uri: 'http://localhost', response_mode: 'fragment' }))
    expect(res.status).toBe(302)
    const url = location(res)
    expect(res.headers.get('Location')).toMatch(/^http:\/\/localhost#code=[A-Za-z0-9]{48}&state=st&iss=/)
    expect(fragment(url).get('iss')).toBe(client.iss)
  })

  it('answers with an auto-submitting form in form_post mode', async () => {
    const res = await agent.get(ask({ redirect_uri: 'http://localhost', response_mode: 'form_post' }))
    expect(res.status).toBe(200)
    expect(res.headers.get('Cache-Control')).toBe('no-store')
    const csp = res.headers.get('Content-Security-Policy')!
    const html = await res.text()
    expect(html).toContain('<title>Redirecting to App app...</title>')
    expect(html).toContain('<form method="post" action="http://localhost">')
    expect(agent.formFields(html)).toEqual({ code: expect.stringMatching(/^[A-Za-z0-9]{48}$/), state: 'st', iss: client.iss })
    expect(html).toContain('<button type="submit">Continue</button>')
    const nonce = /<script nonce="([^"]+)">document\.forms\[0\]\.submit\(\)<\/script>/.exec(html)?.[1]
    expect(nonce).toBeDefined()
    expect(csp).toContain(`script-src 'nonce-${nonce}'`)
    expect(csp).toContain('form-action http://localhost')
    expect(csp).toContain("frame-ancestors 'none'")
  })

  it('ignores unknown parameters', async () => {
    codeOf(await agent.get(ask({ ui_locales: 'invalid fr', display: 'popup', acr_values: 'x', extra: 'y', prompt: 'select_account' })))
  })

  it('answers a POST with a 303', async () => {
    const res = await agent.request('/application/o/authorize/', {
      method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ client_id: client.clientId, redirect_uri: 'foo://localhost', response_type: 'code' }).toString(),
    })
    expect(res.status).toBe(303)
    expect(res.headers.get('Location')).toMatch(/^foo:\/\/localhost\?code=[A-Za-z0-9]{48}&iss=/)
  })
})

describe('prompt=login and max_age', () => {
  it('sends a signed-in user to the login page once for prompt=login', async () => {
    const browser = await signIn(t, 'alice')
    const res = await browser.get(ask({ prompt: 'login consent' }))
    const login = location(res)
    expect(login.pathname).toBe('/login')
    const next = new URL(login.searchParams.get('next')!, 'http://localhost')
    expect(next.searchParams.get('prompt')).toBe('consent')
    const plain = location(await browser.get(ask({ prompt: 'login' })))
    expect(new URL(plain.searchParams.get('next')!, 'http://localhost').searchParams.has('prompt')).toBe(false)
    const back = await browser.submit(`${plain.pathname}${plain.search}`, { username: 'alice', password: PASSWORD })
    expect(back.status).toBe(303)
    codeOf(await browser.get(back.headers.get('Location')!))
  })

  it('re-authenticates when the sign-in is older than max_age', async () => {
    const browser = await signIn(t, 'alice')
    t.clock.advance(120_000)
    try {
      codeOf(await browser.get(ask({ max_age: '120' })))
      const res = await browser.get(ask({ max_age: '119' }))
      const login = location(res)
      expect(login.pathname).toBe('/login')
      expect(new URL(login.searchParams.get('next')!, 'http://localhost').searchParams.has('max_age')).toBe(false)
      expectErrorRedirect(await browser.get(ask({ max_age: '119', prompt: 'none' })), 302, {
        error: 'login_required', error_description: 'The Authorization Server requires End-User authentication',
        state: 'st', iss: client.iss,
      })
      await signIn(t, 'alice', browser)
      codeOf(await browser.get(ask({ max_age: '119' })))
    } finally {
      t.clock.advance(-120_000)
    }
  })
})

describe('an application bound to a group', () => {
  it('shows Permission denied to non-members and issues codes to members', async () => {
    const bob = await createUserWithPassword(t, 'bob')
    const group = await createGroup(t, 'staff', { users: [bob.pk] })
    const bound = await createClient(t, 'bound', {}, { group: group.pk })
    const before = (await codesOf(t, bound.pk)).length

    const res = await agent.get(ask({}, bound))
    expect(res.status).toBe(200)
    expect(res.headers.get('Location')).toBeNull()
    expect(await res.text()).toContain('<h1>Permission denied</h1>')
    expectErrorRedirect(await agent.get(ask({ prompt: 'none' }, bound)), 302, {
      error: 'access_denied', error_description: 'The resource owner or authorization server denied the request',
      state: 'st', iss: bound.iss,
    })
    expect(await codesOf(t, bound.pk)).toHaveLength(before)

    codeOf(await (await signIn(t, 'bob')).get(ask({}, bound)))
  })
})

describe('a signed-in authorization in one statement (issue 19)', () => {
  it('issues in the statement that reads the client and the session', async () => {
    const before = (await codesOf(t, client.pk)).length
    t.counter.reset()
    codeOf(await agent.get(ask({ scope: 'openid' })))
    expect(t.counter.count).toBe(1)
    expect(await codesOf(t, client.pk)).toHaveLength(before + 1)
  })

  it('undoes what the statement wrote for a redirect URI only JavaScript refuses, leaving no code and no event',
    async () => {
      // The database treats every regex entry as a possible match; the request's validation then refuses it.
      const regex = await createClient(t, 'regex-undo', {
        redirect_uris: [{ matching_mode: 'regex', url: '^https://app\\.test/cb$' }],
        property_mappings: await defaultMappingPks(t),
      })
      const path = authorizePath({ client_id: regex.clientId, redirect_uri: 'https://evil.test/cb',
        response_type: 'code', scope: 'openid', state: 'st' })
      t.counter.reset()
      const res = await agent.get(path)
      expect(res.status).toBe(400)
      expect(res.headers.get('Location')).toBeNull()
      expect(t.counter.count).toBe(2)
      expect(await codesOf(t, regex.pk)).toEqual([])
      expect(await eventsOf(t, 'authorize_application', regex.clientId)).toEqual([])

      // The registered URI is served, in one statement.
      t.counter.reset()
      const ok = await agent.get(authorizePath({ client_id: regex.clientId, redirect_uri: 'https://app.test/cb',
        response_type: 'code', scope: 'openid', state: 'st' }))
      expect(location(ok).searchParams.get('code')).toMatch(/^[A-Za-z0-9]{48}$/)
      expect(t.counter.count).toBe(1)
      expect(await codesOf(t, regex.pk)).toHaveLength(1)
      expect(await eventsOf(t, 'authorize_application', regex.clientId)).toHaveLength(1)
    })

  it('undoes what it wrote for a parameter only JavaScript refuses, and redirects with the error', async () => {
    const other = await createClient(t, 'param-undo', { property_mappings: await defaultMappingPks(t) })
    const res = await agent.get(ask({ scope: 'openid', code_challenge: 'c'.repeat(43),
      code_challenge_method: 'S512' }, other))
    expectErrorRedirect(res, 302, { error: 'invalid_request', error_description: expect.any(String), state: 'st',
      iss: other.iss })
    expect(await codesOf(t, other.pk)).toEqual([])
    expect(await eventsOf(t, 'authorize_application', other.clientId)).toEqual([])
  })
})
