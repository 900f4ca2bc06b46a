import { eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { providers } from '../../../src/db/schema.ts'
import { createTestContext, type TestContext } from '../../support/app.ts'
import { createProvider, createUserWithPassword, defaultMappingPks } from '../../support/fixtures.ts'
import { TestAgent } from '../../support/browser-forms.ts'
import {
  authorizePath, createClient, expectErrorRedirect, fragment, location, signIn, type Client,
} from './helpers.ts'

let t: TestContext
let client: Client
let agent: TestAgent
const UNSUPPORTED = 'The authorization server does not support obtaining an authorization code using this method'

/** A code-flow request of `client` with `extra` on top. */
const ask = (c: Client, extra: Record<string, string> = {}) =>
  authorizePath({ client_id: c.clientId, redirect_uri: 'foo://localhost', response_type: 'code', state: 'st', ...extra })

async function expectUntrusted(res: Response, title: string, description: string): Promise<void> {
  expect(res.status).toBe(400)
  expect(res.headers.get('Location')).toBeNull()
  expect(res.headers.get('Content-Type')).toMatch(/^text\/html/)
  expect(res.headers.get('X-Frame-Options')).toBe('DENY')
  const html = await res.text()
  expect(html).toContain(`<h1>${title}</h1>`)
  expect(html).toContain(description)
}
const clientIdError = (res: Response) =>
  expectUntrusted(res, 'Client ID Error', 'The client identifier (client_id) is missing or invalid.')
const redirectUriError = (res: Response) => expectUntrusted(res, 'Redirect URI Error',
  'The request fails due to a missing, invalid, or mismatching redirection URI (redirect_uri).')

beforeAll(async () => {
  t = await createTestContext()
  client = await createClient(t, 'app', { property_mappings: await defaultMappingPks(t) })
  await createUserWithPassword(t, 'alice')
  agent = await signIn(t, 'alice')
}, 60_000)
afterAll(() => t.close())

describe('client_id (§5.1 step 1)', () => {
  it('answers 404 to a request without parameters', async () => {
    const res = await t.request('/application/o/authorize/')
    expect(res.status).toBe(404)
    expect(await res.json()).toEqual({ detail: 'Not found.' })
  })

  it('shows the Client ID Error page for an unknown or missing client', async () => {
    await clientIdError(await t.request(authorizePath({ client_id: 'nope', redirect_uri: 'foo://localhost', response_type: 'code' })))
    await clientIdError(await t.request(authorizePath({ redirect_uri: 'foo://localhost', response_type: 'code' })))
  })

  it('treats a provider without an application as an unknown client', async () => {
    const p = await createProvider(t, { name: 'orphan', authorization_flow: 'default-provider-authorization-explicit-consent', redirect_uris: [{ url: 'foo://localhost' }] })
    await clientIdError(await t.request(authorizePath({ client_id: p.client_id, redirect_uri: 'foo://localhost', response_type: 'code' })))
  })
})

describe('redirect_uri (§5.1 step 2): a page, never a redirect', () => {
  it('refuses a missing redirect_uri', async () => {
    await redirectUriError(await t.request(authorizePath({ client_id: client.clientId, response_type: 'code' })))
  })

  it('compares strict entries by exact string', async () => {
    const strict = await createClient(t, 'strict', { redirect_uris: [{ url: 'http://local.invalid' }] })
    await redirectUriError(await t.request(ask(strict, { redirect_uri: 'http://localhost' })))
    await redirectUriError(await t.request(ask(strict, { redirect_uri: 'http://local.invalid/' })))
  })

  it('full-matches regex entries', async () => {
    const regex = await createClient(t, 'regex', { redirect_uris: [{ matching_mode: 'regex', url: 'http://local.invalid?' }] })
    await redirectUriError(await t.request(ask(regex, { redirect_uri: 'http://localhost' })))
    const any = await createClient(t, 'any', { redirect_uris: [{ matching_mode: 'regex', url: '.+' }] })
    const res = await t.request(ask(any, { redirect_uri: 'http://foo.bar.baz', response_type: 'invalid' }))
    expectErrorRedirect(res, 302, { error: 'unsupported_response_type', error_description: UNSUPPORTED, state: 'st', iss: any.iss })
    expect(location(res).origin).toBe('http://foo.bar.baz')
  })

  it('treats an invalid regex as no match, without crashing', async () => {
    const bad = await createClient(t, 'badregex')
    await t.db.update(providers).set({ redirectUris: [{ matching_mode: 'regex', url: '+', redirect_uri_type: 'authorization' }] })
      .where(eq(providers.id, bad.pk))
    await redirectUriError(await t.request(ask(bad, { redirect_uri: '+' })))
  })

  it('refuses forbidden schemes even when registered', async () => {
    // The admin API refuses to register one (test/admin/validation.test.ts); a row written before that still is.
    const data = await createClient(t, 'data')
    await t.db.update(providers).set({ redirectUris: [{ matching_mode: 'strict', url: 'data:localhost', redirect_uri_type: 'authorization' }] })
      .where(eq(providers.id, data.pk))
    await redirectUriError(await t.request(ask(data, { redirect_uri: 'data:localhost' })))
  })

  it('refuses a matching URI without a scheme', async () => {
    const any = await createClient(t, 'any2', { redirect_uris: [{ matching_mode: 'regex', url: '.+' }] })
    await redirectUriError(await t.request(ask(any, { redirect_uri: '//evil.example/cb' })))
  })

  it('refuses a matching URI with a control character, which no Location header can hold', async () => {
    const any = await createClient(t, 'any3', { redirect_uris: [{ matching_mode: 'regex', url: '.+' }] })
    // (NUL is refused before, with any query: test/hostile-input.test.ts.)
    for (const uri of ['https://rp.example/c\tb', 'https://rp.example/cb\u0001', 'https://rp.example/cb\u007f']) {
      await redirectUriError(await t.request(ask(any, { redirect_uri: uri })))
    }
  })

  it('never matches an empty list or a logout entry', async () => {
    const none = await createClient(t, 'none', { redirect_uris: [] })
    await redirectUriError(await t.request(ask(none)))
    const logout = await createClient(t, 'logoutonly', {
      redirect_uris: [{ url: 'foo://localhost', redirect_uri_type: 'logout' }],
    })
    await redirectUriError(await t.request(ask(logout)))
  })
})

describe('errors after the redirect URI is trusted: redirected with state and iss (RFC 9207)', () => {
  it('answers unsupported_response_type for an unknown response_type', async () => {
    const res = await t.request(ask(client, { response_type: 'invalid' }))
    expectErrorRedirect(res, 302, { error: 'unsupported_response_type', error_description: UNSUPPORTED, state: 'st', iss: client.iss })
    expect(res.headers.get('Location')).toMatch(/^foo:\/\/localhost\?error=/)
    expect(res.headers.get('Cache-Control')).toBe('no-store')
  })

  it('answers invalid_request when the provider does not allow the response type\'s grant', async () => {
    const res = await t.request(ask(client, { response_type: 'id_token', scope: 'openid', nonce: 'n' }))
    expectErrorRedirect(res, 302, {
      error: 'invalid_request', error_description: 'The grant type implicit is not allowed for this client',
      state: 'st', iss: client.iss,
    }, 'fragment')
  })

  it('answers a code-only grant list with invalid_request for hybrid too', async () => {
    const codeOnly = await createClient(t, 'codeonly', { grant_types: ['authorization_code'] })
    const res = await t.request(ask(codeOnly, { response_type: 'id_token code' }))
    expect(Object.fromEntries(new URLSearchParams(location(res).hash.slice(1)))).toMatchObject({ error: 'invalid_request' })
  })

  describe('implicit and hybrid (§5.1 steps 3-6), answered in the fragment', () => {
    let all: Client
    beforeAll(async () => {
      all = await createClient(t, 'allgrants', {
        grant_types: ['authorization_code', 'implicit', 'hybrid'], property_mappings: await defaultMappingPks(t),
      })
    })
    const ID_TOKEN_TYPES = ['id_token', 'id_token token', 'code id_token', 'token id_token code']

    it.each([...ID_TOKEN_TYPES, 'code token'])('answers invalid_scope to %s without openid', async (type) => {
      const res = await t.request(ask(all, { response_type: type, scope: 'email profile', nonce: 'n' }))
      expectErrorRedirect(res, 302, {
        error: 'invalid_scope', error_description: 'The requested scope is invalid, unknown, or malformed',
        state: 'st', iss: all.iss,
      }, 'fragment')
      expect(res.headers.get('Location')).toMatch(/^foo:\/\/localhost#error=invalid_scope&/)
      expect(res.headers.get('Cache-Control')).toBe('no-store')
    })

    it('answers invalid_scope when openid is asked but no mapping grants it (test_openid_missing_invalid)', async () => {
      const bare = await createClient(t, 'bare', { grant_types: ['implicit'] })
      const res = await t.request(ask(bare, { response_type: 'id_token', scope: 'openid', nonce: 'n' }))
      expectErrorRedirect(res, 302, {
        error: 'invalid_scope', error_description: 'The requested scope is invalid, unknown, or malformed',
        state: 'st', iss: bare.iss,
      }, 'fragment')
    })

    it.each(ID_TOKEN_TYPES)('requires a nonce for %s', async (type) => {
      const res = await t.request(ask(all, { response_type: type, scope: 'openid' }))
      expectErrorRedirect(res, 302, {
        error: 'invalid_request', error_description: 'The nonce parameter is required', state: 'st', iss: all.iss,
      }, 'fragment')
    })

    it.each([['id_token', 'implicit'], ['code token', 'hybrid'], ['code id_token token', 'hybrid']])(
      'refuses response_mode=query for %s, answering in the fragment', async (type, grant) => {
        const res = await t.request(ask(all, { response_type: type, scope: 'openid', nonce: 'n', response_mode: 'query' }))
        expectErrorRedirect(res, 302, {
          error: 'invalid_request', error_description: `response_mode=query is not allowed for the ${grant} flow`,
          state: 'st', iss: all.iss,
        }, 'fragment')
        expect(location(res).search).toBe('')
      })

    it('needs no PKCE from a public client when no code is returned, but does for hybrid', async () => {
      const pub = await createClient(t, 'public-implicit', {
        client_type: 'public', grant_types: ['implicit', 'hybrid'], property_mappings: await defaultMappingPks(t),
      })
      const implicit = await agent.get(ask(pub, { response_type: 'id_token', scope: 'openid', nonce: 'n' }))
      expect(implicit.status).toBe(302)
      expect(fragment(location(implicit)).get('id_token')).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/)
      const hybrid = await t.request(ask(pub, { response_type: 'code id_token', scope: 'openid', nonce: 'n' }))
      expectErrorRedirect(hybrid, 302, {
        error: 'invalid_request', error_description: 'Public clients must send a PKCE code_challenge (RFC 9700 §2.1.1)',
        state: 'st', iss: pub.iss,
      }, 'fragment')
    })
  })

  it('answers request_not_supported for a request object, before checking PKCE', async () => {
    const res = await t.request(ask(client, { request: 'foo', code_challenge: 'x', code_challenge_method: 'S512' }))
    expectErrorRedirect(res, 302, {
      error: 'request_not_supported', error_description: 'The provider does not support use of the request parameter',
      state: 'st', iss: client.iss,
    })
  })

  it('refuses an unsupported code_challenge_method', async () => {
    const res = await t.request(ask(client, { code_challenge: 'abc', code_challenge_method: 'S512' }))
    expectErrorRedirect(res, 302, {
      error: 'invalid_request', error_description: 'Unsupported challenge method S512', state: 'st', iss: client.iss,
    })
  })

  it('requires PKCE from public clients (RFC 9700 §2.1.1)', async () => {
    const pub = await createClient(t, 'public', { client_type: 'public' })
    const res = await t.request(ask(pub))
    expectErrorRedirect(res, 302, {
      error: 'invalid_request', error_description: 'Public clients must send a PKCE code_challenge (RFC 9700 §2.1.1)',
      state: 'st', iss: pub.iss,
    })
    const withPkce = await agent.get(ask(pub, { code_challenge: 'a'.repeat(43), code_challenge_method: 'S256' }))
    expect(location(withPkce).searchParams.get('code')).toMatch(/^[A-Za-z0-9]{48}$/)
  })

  it('refuses prompt=none combined with another value', async () => {
    const res = await t.request(ask(client, { prompt: 'none login' }))
    expectErrorRedirect(res, 302, {
      error: 'invalid_request', error_description: 'prompt=none must not be combined with other values',
      state: 'st', iss: client.iss,
    })
  })

  it.each(['abc', '-1', '1.5'])('refuses max_age=%s', async (maxAge) => {
    const res = await t.request(ask(client, { max_age: maxAge }))
    expectErrorRedirect(res, 302, {
      error: 'invalid_request', error_description: 'max_age must be a non-negative integer', state: 'st', iss: client.iss,
    })
  })

  it('leaves state out when none was sent and keeps the redirect URI\'s own query', async () => {
    const q = await createClient(t, 'withquery', { redirect_uris: [{ url: 'https://rp.example/cb?tenant=a%20b' }] })
    const res = await t.request(authorizePath({ client_id: q.clientId, redirect_uri: 'https://rp.example/cb?tenant=a%20b',
      response_type: 'nope' }))
    expect(res.headers.get('Location')).toBe(`https://rp.example/cb?tenant=a%20b&${new URLSearchParams({
      error: 'unsupported_response_type', error_description: UNSUPPORTED, iss: q.iss })}`)
  })

  it('answers in the requested response mode', async () => {
    const fragmentRes = await t.request(ask(client, { response_type: 'x', response_mode: 'fragment' }))
    expect(fragmentRes.headers.get('Location')).toMatch(/^foo:\/\/localhost#error=unsupported_response_type&/)
    const unknown = await t.request(ask(client, { response_type: 'x', response_mode: 'jwt' }))
    expect(unknown.headers.get('Location')).toMatch(/^foo:\/\/localhost\?error=unsupported_response_type&/)
    const form = await t.request(ask(client, { response_type: 'x', response_mode: 'form_post' }))
    expect(form.status).toBe(200)
    const html = await form.text()
    expect(html).toContain('<form method="post" action="foo://localhost">')
    expect(html).toContain('<input type="hidden" name="error" value="unsupported_response_type"/>')
    expect(html).toContain(`<input type="hidden" name="iss" value="${client.iss}"/>`)
  })

  it('treats a POST like a GET, answering with 303', async () => {
    const res = await t.request('/application/o/authorize/', {
      method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ client_id: client.clientId, redirect_uri: 'foo://localhost', response_type: 'x', state: 'p' }).toString(),
    })
    expectErrorRedirect(res, 303, { error: 'unsupported_response_type', error_description: UNSUPPORTED, state: 'p', iss: client.iss })
  })

  it('sends no CORS headers', async () => {
    const res = await t.request(ask(client, { response_type: 'x' }), { headers: { Origin: 'http://localhost' } })
    expect(res.status).toBe(302)
    expect(res.headers.get('Access-Control-Allow-Origin')).toBeNull()
  })
})
