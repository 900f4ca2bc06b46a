import { eq } from 'drizzle-orm'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { sha256Base64url, sha256Hex } from '../../src/crypto/hash.ts'
import { pushedAuthorizationRequests } from '../../src/db/schema.ts'
import { createTestContext, START, type TestContext } from '../support/app.ts'
import {
  createProviderApp, createUserWithPassword, defaultMappingPks, EXPLICIT_CONSENT, json, PASSWORD,
} from '../support/fixtures.ts'
import { TestAgent } from '../support/browser-forms.ts'
import { AUTHORIZE, authorizePath, codesOf, expectErrorRedirect, location, signIn, type Client } from './authorize/helpers.ts'

const PAR = '/application/o/par/'
const TOKEN = '/application/o/token/'
const URN = /^urn:ietf:params:oauth:request_uri:[A-Za-z0-9]{48}$/
const VERIFIER = 'v'.repeat(20) + 'erifier-of-the-pushed-request-0123456789'

let t: TestContext
let app: Client & { secret: string }
let other: Client & { secret: string }
let strict: Client & { secret: string }
let explicit: Client & { secret: string }
let agent: TestAgent

/** A confidential client (implicit consent unless `extra` says otherwise) with the default scope mappings. */
async function confidential(slug: string, extra: Record<string, unknown> = {}): Promise<Client & { secret: string }> {
  const p = await createProviderApp(t, slug, { client_type: 'confidential', property_mappings: await defaultMappingPks(t),
    redirect_uris: [{ url: 'foo://localhost' }, { url: 'http://localhost' }], ...extra }, { name: `App ${slug}` })
  return { pk: p.pk, clientId: p.client_id, secret: p.client_secret, slug,
    iss: `http://localhost/application/o/${slug}/` }
}

const basic = (c: { clientId: string; secret: string }) =>
  `Basic ${btoa(`${encodeURIComponent(c.clientId)}:${encodeURIComponent(c.secret)}`)}`

/** The authorization request a client pushes: the code flow with S256 PKCE. */
async function request(c: Client, extra: Record<string, string> = {}): Promise<Record<string, string>> {
  return { client_id: c.clientId, response_type: 'code', redirect_uri: 'foo://localhost', scope: 'openid email',
    state: 'st', nonce: 'n-1', code_challenge: await sha256Base64url(VERIFIER), code_challenge_method: 'S256', ...extra }
}

function push(fields: Record<string, string>, authorization?: string): Promise<Response> {
  return t.request(PAR, { method: 'POST', body: new URLSearchParams(fields),
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...(authorization && { Authorization: authorization }) } })
}

/** Push `extra` on top of the default request for `c` (Basic authentication); its `request_uri`. */
async function pushed(c: Client & { secret: string }, extra: Record<string, string> = {}): Promise<string> {
  const res = await push(await request(c, extra), basic(c))
  const body = await json(res)
  expect(res.status, JSON.stringify(body)).toBe(201)
  return body.request_uri as string
}

const byReference = (c: Client, requestUri: string, extra: Record<string, string> = {}) =>
  authorizePath({ client_id: c.clientId, request_uri: requestUri, ...extra })

function codeOf(res: Response): string {
  expect(res.status, `${res.status} ${res.headers.get('Location')}`).toBe(302)
  expect(res.headers.get('Location')).toMatch(/^foo:\/\/localhost\?code=[A-Za-z0-9]{48}&state=st&iss=/)
  return location(res).searchParams.get('code')!
}

async function expectRequestUriPage(res: Response): Promise<void> {
  expect(res.status).toBe(400)
  expect(res.headers.get('Location')).toBeNull()
  expect(res.headers.get('Content-Type')).toMatch(/^text\/html/)
  expect(res.headers.get('X-Frame-Options')).toBe('DENY')
  expect(await res.text()).toContain('Request URI Error')
}

async function expectJsonError(res: Response, status: number, error: string): Promise<Record<string, unknown>> {
  const body = await json(res)
  expect({ status: res.status, error: body.error }).toEqual({ status, error })
  expect(res.headers.get('Cache-Control')).toBe('no-store')
  expect(res.headers.get('Pragma')).toBe('no-cache')
  return body
}

const storedRows = () => t.db.select().from(pushedAuthorizationRequests)

beforeAll(async () => {
  t = await createTestContext()
  app = await confidential('par-app')
  other = await confidential('par-other')
  strict = await confidential('par-strict', { require_pushed_authorization_requests: true })
  explicit = await confidential('par-explicit', { authorization_flow: EXPLICIT_CONSENT })
  await createUserWithPassword(t, 'alice')
  agent = await signIn(t, 'alice')
}, 60_000)
afterAll(() => t.close())
beforeEach(() => t.clock.set(START))

describe('the pushed authorization request endpoint (RFC 9126 §2)', () => {
  it('answers 201 with a urn request_uri for 60 seconds, never cached, storing only its hash (2 statements)', async () => {
    t.counter.reset()
    const res = await push(await request(app), basic(app))
    expect(t.counter.count).toBe(2)
    expect(res.status).toBe(201)
    expect(res.headers.get('Cache-Control')).toBe('no-store')
    expect(res.headers.get('Pragma')).toBe('no-cache')
    const body = await json(res)
    expect(Object.keys(body).sort()).toEqual(['expires_in', 'request_uri'])
    expect(body.expires_in).toBe(60)
    expect(body.request_uri).toMatch(URN)
    const random = (body.request_uri as string).split(':').pop()!
    const [row] = (await storedRows()).filter((r) => r.providerId === app.pk)
    expect(row!.requestUriHash).toBe(await sha256Hex(random))
    expect(row!.expires!.getTime()).toBe(new Date(START).getTime() + 60_000)
    expect(row!.parameters).toEqual(await request(app))
    expect(JSON.stringify(row)).not.toContain(random)
  })

  it('accepts client_secret_post and never stores the secret', async () => {
    const res = await push({ ...await request(app, { state: 'posted' }), client_secret: app.secret })
    expect(res.status).toBe(201)
    const row = (await storedRows()).find((r) => r.parameters.state === 'posted')!
    expect(row.parameters.client_secret).toBeUndefined()
    expect(JSON.stringify(row)).not.toContain(app.secret)
  })

  it('answers an unauthenticated push or a wrong secret with 401 invalid_client and a challenge', async () => {
    const before = (await storedRows()).length
    for (const res of [await push(await request(app)), await push(await request(app), basic({ ...app, secret: 'wrong' })),
      await push({ ...await request(app), client_secret: 'wrong' })]) {
      await expectJsonError(res, 401, 'invalid_client')
      expect(res.headers.get('WWW-Authenticate')).toBe('Basic realm="edge-oidc"')
    }
    expect((await storedRows()).length).toBe(before)
  })

  it('answers 413 for a request too large to store (RFC 9126 §2.3)', async () => {
    await expectJsonError(await push(await request(app, { state: 's'.repeat(17_000) }), basic(app)), 413, 'invalid_request')
  })

  it('refuses a pushed request_uri (RFC 9126 §2.1)', async () => {
    const body = await expectJsonError(
      await push(await request(app, { request_uri: 'urn:ietf:params:oauth:request_uri:x' }), basic(app)), 400, 'invalid_request')
    expect(body.error_description).toContain('request_uri')
  })

  it('refuses a client_id that differs from the authenticated client, or none', async () => {
    await expectJsonError(await push(await request(other), basic(app)), 400, 'invalid_request')
    const { client_id: _, ...withoutId } = await request(app)
    await expectJsonError(await push(withoutId, basic(app)), 400, 'invalid_request')
  })

  it('validates as authorize does, answering JSON errors and storing nothing', async () => {
    const before = (await storedRows()).length
    const cases: Array<[Record<string, string>, string]> = [
      [{ redirect_uri: 'https://evil.example/cb' }, 'invalid_request'],
      [{ redirect_uri: '' }, 'invalid_request'],
      [{ response_type: 'token' }, 'unsupported_response_type'],
      [{ response_type: 'id_token' }, 'invalid_request'],
      [{ code_challenge_method: 'S512' }, 'invalid_request'],
      [{ code_challenge: 'short', code_challenge_method: 'plain' }, 'invalid_request'],
      [{ prompt: 'none login' }, 'invalid_request'],
      [{ max_age: '-1' }, 'invalid_request'],
      [{ request: 'eyJhbGciOiJub25lIn0.e30.' }, 'request_not_supported'],
    ]
    for (const [extra, error] of cases) {
      const res = await push(await request(app, extra), basic(app))
      expect(res.headers.get('Location')).toBeNull()
      expect({ extra, ...await expectJsonError(res, 400, error) }).toMatchObject({ extra, error })
    }
    expect((await storedRows()).length).toBe(before)
  })
})

describe('authorize with a pushed request (RFC 9126 §4)', () => {
  it('issues a code bound to the pushed redirect URI and PKCE, ignoring the query\'s other parameters (2 statements)', async () => {
    const requestUri = await pushed(app)
    t.counter.reset()
    const res = await agent.get(byReference(app, requestUri,
      { redirect_uri: 'http://localhost', state: 'tampered', response_type: 'code token', code_challenge: 'x'.repeat(43) }))
    expect(t.counter.count).toBe(2)
    const code = codeOf(res)
    expect(res.headers.get('Cache-Control')).toBe('no-store')
    const codeHash = await sha256Hex(code)
    const row = (await codesOf(t, app.pk)).find((r) => r.codeHash === codeHash)
    expect(row).toMatchObject({ redirectUri: 'foo://localhost', codeChallenge: await sha256Base64url(VERIFIER),
      codeChallengeMethod: 'S256', nonce: 'n-1', scope: 'openid email' })

    const exchange = (verifier: string) => t.request(TOKEN, { method: 'POST', headers: { Authorization: basic(app) },
      body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: 'foo://localhost',
        code_verifier: verifier }) })
    await expectJsonError(await exchange('w'.repeat(43)), 400, 'invalid_grant')
    const tokens = await json(await exchange(VERIFIER))
    expect(tokens).toMatchObject({ token_type: 'Bearer', scope: 'openid email' })
  })

  it('keeps every pushed resource (RFC 8707), and refuses one the provider does not allow', async () => {
    const apis = await confidential('par-resources', { allowed_resources: ['https://api.one/', 'https://api.two/'] })
    const fields = new URLSearchParams(await request(apis))
    fields.append('resource', 'https://api.one/')
    fields.append('resource', 'https://api.two/')
    const res = await t.request(PAR, { method: 'POST', body: fields, headers: { Authorization: basic(apis) } })
    const body = await json(res)
    expect(res.status, JSON.stringify(body)).toBe(201)
    const code = codeOf(await agent.get(byReference(apis, body.request_uri as string)))
    const codeHash = await sha256Hex(code)
    const row = (await codesOf(t, apis.pk)).find((r) => r.codeHash === codeHash)
    expect(row?.resources).toEqual(['https://api.one/', 'https://api.two/'])

    const foreign = new URLSearchParams(await request(apis, { resource: 'https://elsewhere.example/' }))
    await expectJsonError(await t.request(PAR, { method: 'POST', body: foreign, headers: { Authorization: basic(apis) } }),
      400, 'invalid_target')
  })

  it('refuses a request_uri used twice with the request URI error page', async () => {
    const requestUri = await pushed(app)
    codeOf(await agent.get(byReference(app, requestUri)))
    await expectRequestUriPage(await agent.get(byReference(app, requestUri)))
  })

  it('refuses an expired request_uri (61 s), and accepts one at 59 s', async () => {
    const expired = await pushed(app)
    const fresh = await pushed(app)
    t.clock.advance(59_000)
    codeOf(await agent.get(byReference(app, fresh)))
    t.clock.advance(2_000)
    await expectRequestUriPage(await agent.get(byReference(app, expired)))
  })

  it('refuses another client\'s request_uri, which stays usable by its own client', async () => {
    const requestUri = await pushed(app)
    await expectRequestUriPage(await agent.get(byReference(other, requestUri)))
    codeOf(await agent.get(byReference(app, requestUri)))
  })

  it('refuses a tampered or foreign request_uri', async () => {
    const requestUri = await pushed(app)
    const flipped = requestUri.slice(0, -1) + (requestUri.endsWith('a') ? 'b' : 'a')
    for (const tampered of [flipped, `${requestUri}x`, requestUri.replace('request_uri', 'request-uri'),
      'https://client.example/request.jwt', requestUri.toUpperCase()]) {
      await expectRequestUriPage(await agent.get(byReference(app, tampered)))
    }
    codeOf(await agent.get(byReference(app, requestUri)))
  })

  it('answers the client ID page, not the request URI page, for an unknown client', async () => {
    const res = await agent.get(byReference({ ...app, clientId: 'nobody' }, await pushed(app)))
    expect(res.status).toBe(400)
    expect(await res.text()).toContain('Client ID Error')
  })

  it('issues exactly one code when the same request_uri is used concurrently', async () => {
    const requestUri = await pushed(app)
    const answers = await Promise.all([agent.get(byReference(app, requestUri)), agent.get(byReference(app, requestUri))])
    const redirected = answers.filter((r) => r.status === 302)
    const winner = redirected.find((r) => location(r).searchParams.has('code'))
    expect(winner).toBeDefined()
    const loser = answers.find((r) => r !== winner)!
    if (loser.status === 302) {
      // Both read the request in their first statement; the issuing statement let only the winner consume it, and
      // the loser's redirect URI is verified (the pushed one), so it is told there.
      expect(location(loser).searchParams.get('error')).toBe('invalid_request_uri')
      expect(location(loser).searchParams.has('code')).toBe(false)
    } else {
      // The loser read it after the winner had consumed it (the order a busy machine can give): the page.
      await expectRequestUriPage(loser)
    }
  })
})

describe('a pushed request through sign-in and consent', () => {
  it('survives sign-in after its 60 seconds, with a new single-use reference in next (2 statements)', async () => {
    const browser = new TestAgent(t)
    const requestUri = await pushed(app, { login_hint: 'alice', prompt: 'login', max_age: '0' })
    t.counter.reset()
    const toLogin = await browser.get(byReference(app, requestUri))
    expect(t.counter.count).toBe(2)
    expect(toLogin.status).toBe(302)
    expect(toLogin.headers.get('Cache-Control')).toBe('no-store')
    const login = location(toLogin)
    expect(login.pathname).toBe('/login')
    expect(login.searchParams.get('login_hint')).toBe('alice')
    const next = new URL(login.searchParams.get('next')!, 'http://localhost')
    expect(next.pathname).toBe(AUTHORIZE)
    expect([...next.searchParams.keys()]).toEqual(['client_id', 'request_uri'])
    const continued = next.searchParams.get('request_uri')!
    expect(continued).toMatch(URN)
    expect(continued).not.toBe(requestUri)
    // The client's reference is used up; only the browser's new one goes on.
    await expectRequestUriPage(await new TestAgent(t).get(byReference(app, requestUri)))

    t.clock.advance(5 * 60_000)
    const back = await browser.submit(`${login.pathname}${login.search}`, { username: 'alice', password: PASSWORD })
    expect(back.status).toBe(303)
    expect(back.headers.get('Location')).toBe(`${next.pathname}${next.search}`)
    // prompt=login and max_age were satisfied by this sign-in: no loop back to the login page.
    const code = codeOf(await browser.get(back.headers.get('Location')!))
    expect(code).toMatch(/^[A-Za-z0-9]{48}$/)
    await expectRequestUriPage(await browser.get(back.headers.get('Location')!))
  })

  it('expires the continued request after the interaction window (10 minutes)', async () => {
    const browser = new TestAgent(t)
    const login = location(await browser.get(byReference(app, await pushed(app))))
    t.clock.advance(10 * 60_000 + 1_000)
    const back = await browser.submit(`${login.pathname}${login.search}`, { username: 'alice', password: PASSWORD })
    await expectRequestUriPage(await browser.get(back.headers.get('Location')!))
  })

  it('survives the consent page, whose form carries only a new reference (2 statements), and is used once', async () => {
    const requestUri = await pushed(explicit)
    t.counter.reset()
    const page = await agent.get(byReference(explicit, requestUri))
    expect(t.counter.count).toBe(2)
    expect(page.status).toBe(200)
    const fields = agent.formFields(await page.text(), '/consent')
    expect(Object.keys(fields).sort()).toEqual(['client_id', 'consent_endpoint', 'consent_user', 'csrf_token',
      'request_uri'])
    expect(fields.request_uri).toMatch(URN)
    expect(fields.request_uri).not.toBe(requestUri)
    await expectRequestUriPage(await agent.get(byReference(explicit, requestUri)))

    t.clock.advance(5 * 60_000)
    const allowed = await agent.post('/consent', { ...fields, action: 'allow' })
    expect(allowed.status).toBe(303)
    expect(allowed.headers.get('Location')).toMatch(/^foo:\/\/localhost\?code=[A-Za-z0-9]{48}&state=st&iss=/)
    await expectRequestUriPage(await agent.post('/consent', { ...fields, action: 'allow' }))
    // Remembered now: the next pushed request is issued straight away.
    codeOf(await agent.get(byReference(explicit, await pushed(explicit))))
  })
  it('shows the consent page for a pushed prompt=consent (2 statements); deny answers at the pushed redirect URI', async () => {
    const requestUri = await pushed(app, { prompt: 'consent' })
    t.counter.reset()
    const page = await agent.get(byReference(app, requestUri, { redirect_uri: 'http://localhost' }))
    expect(t.counter.count).toBe(2)
    expect(page.status).toBe(200)
    const fields = agent.formFields(await page.text(), '/consent')
    expect(fields.request_uri).toMatch(URN)
    expect(fields.redirect_uri).toBeUndefined()
    const denied = await agent.post('/consent', { ...fields, action: 'deny' })
    expectErrorRedirect(denied, 303, { error: 'access_denied',
      error_description: 'The resource owner or authorization server denied the request', state: 'st', iss: app.iss })
    expect(denied.headers.get('Location')).toMatch(/^foo:\/\/localhost\?/)
  })
})

describe('require_pushed_authorization_requests (RFC 9126 §5)', () => {
  it('refuses authorize without request_uri at the verified redirect URI, and serves a pushed one', async () => {
    const res = await agent.get(authorizePath(await request(strict)))
    expectErrorRedirect(res, 302, { error: 'invalid_request', error_description: 'pushed authorization request required',
      state: 'st', iss: strict.iss })
    codeOf(await agent.get(byReference(strict, await pushed(strict))))
  })

  it('still answers the redirect URI page for an unregistered redirect URI', async () => {
    const res = await agent.get(authorizePath(await request(strict, { redirect_uri: 'https://evil.example/cb' })))
    expect(res.status).toBe(400)
    expect(res.headers.get('Location')).toBeNull()
  })
})

describe('discovery (RFC 9126 §5)', () => {
  it('names the endpoint and says whether the provider requires it', async () => {
    const doc = await json(t.request('/application/o/par-app/.well-known/openid-configuration'))
    expect(doc.pushed_authorization_request_endpoint).toBe('http://localhost/application/o/par/')
    expect(doc.require_pushed_authorization_requests).toBe(false)
    const strictDoc = await json(t.request('/application/o/par-strict/.well-known/openid-configuration'))
    expect(strictDoc.require_pushed_authorization_requests).toBe(true)
  })
})

describe('the stored rows', () => {
  it('are the provider\'s own, and deleted with the consumed request', async () => {
    const requestUri = await pushed(other)
    const hash = await sha256Hex(requestUri.split(':').pop()!)
    const rows = () => t.db.select().from(pushedAuthorizationRequests).where(eq(pushedAuthorizationRequests.requestUriHash, hash))
    expect((await rows())[0]!.providerId).toBe(other.pk)
    codeOf(await agent.get(byReference(other, requestUri)))
    expect(await rows()).toEqual([])
  })
})
