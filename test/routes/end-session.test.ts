import { eq } from 'drizzle-orm'
import { base64url, CompactEncrypt, decodeJwt, exportJWK, generateKeyPair as joseKeyPair, importJWK } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sha256Hex } from '../../src/crypto/hash.ts'
import { accessTokens, authenticatedSessions } from '../../src/db/schema.ts'
import { createTestContext, type TestContext } from '../support/app.ts'
import { TestAgent } from '../support/browser-forms.ts'
import {
  createProviderApp, createScopeMapping, createUserWithPassword, defaultMappingPks, generateKeyPair, type Provider,
} from '../support/fixtures.ts'
import { codeFlow, signIn } from '../support/logout.ts'
import { presentedTokenHash } from '../../src/oauth/presented-jti.ts'

const REDIRECT = 'http://rp.invalid/callback'
const LOGGED_OUT = 'https://rp.example/logged-out'
const ORIGIN = 'http://localhost'
const PAGE_CSP = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'"

let t: TestContext
const p: Record<string, Provider> = {}
const path = (slug: string, params: Record<string, string> = {}) =>
  `/application/o/${slug}/end-session/${Object.keys(params).length ? `?${new URLSearchParams(params)}` : ''}`

async function provider(slug: string, fields: Record<string, unknown> = {}): Promise<void> {
  p[slug] = await createProviderApp(t, slug, {
    redirect_uris: [{ matching_mode: 'strict', url: REDIRECT },
      { matching_mode: 'strict', url: LOGGED_OUT, redirect_uri_type: 'logout' },
      { matching_mode: 'regex', url: 'https://rp\\.example/bye/[a-z]+', redirect_uri_type: 'logout' },
      // `.` matches control characters (not line breaks), which no Location header can carry.
      { matching_mode: 'regex', url: 'https://rp\\.example/any/.*', redirect_uri_type: 'logout' }],
    property_mappings: await defaultMappingPks(t), ...fields,
  }, { name: `App ${slug}` })
}

/** A signed-in browser with an ID token of `slug` from its session. */
async function session(slug = 'es') {
  const agent = await signIn(t, 'alice', new TestAgent(t))
  const tokens = await codeFlow(t, agent, p[slug]!, REDIRECT)
  const sid = await sha256Hex(agent.cookies.get('edge_oidc_session')!)
  const alive = async () => (await t.db.select().from(authenticatedSessions)
    .where(eq(authenticatedSessions.sessionKeyHash, sid))).length === 1
  return { agent, idToken: tokens.id_token!, accessToken: tokens.access_token!, sid, alive }
}

function expectPage(res: Response, status: number, csp = PAGE_CSP): void {
  expect(res.status).toBe(status)
  expect(res.headers.get('Location')).toBeNull()
  expect(res.headers.get('Content-Security-Policy')).toBe(`${csp}; frame-ancestors 'none'`)
  expect(res.headers.get('X-Frame-Options')).toBe('DENY')
  expect(res.headers.get('Cache-Control')).toBe('no-store')
}

async function expectConfirmation(res: Response, slug = 'es'): Promise<string> {
  expectPage(res, 200)
  const html = await res.text()
  expect(html).toContain('<button type="submit" name="action" value="logout">Sign out</button>')
  expect(html).toContain(`<form method="post" action="/application/o/${slug}/end-session/">`)
  expect(html).toContain(`<strong>App ${slug}</strong> asks to sign you out.`)
  return html
}

async function expectSignedOut(res: Response): Promise<void> {
  expectPage(res, 200)
  expect(await res.text()).toContain('<h1>You are signed out.</h1>')
}

async function expectRefused(res: Response): Promise<void> {
  expectPage(res, 400)
  expect(await res.text()).toContain('<h1>Sign-out request refused</h1>')
}

beforeAll(async () => {
  t = await createTestContext()
  await createUserWithPassword(t, 'alice')
  const rsa = { alg: 'rsa', key_size: 2048 } as const
  const key = await generateKeyPair(t, 'es-signing', rsa)
  await provider('es', { signing_key: key.pk })
  await provider('es-other', { signing_key: (await generateKeyPair(t, 'es-other-signing', rsa)).pk })
  await provider('es-hs', { signing_key: null })
  await provider('es-jwe', { signing_key: key.pk, encryption_key: (await generateKeyPair(t, 'es-enc', rsa)).pk })
  await provider('es-fc', { signing_key: key.pk, logout_method: 'frontchannel',
    logout_uri: 'https://fc.example/logout?tenant=1' })
  await provider('es-at', { signing_key: key.pk, access_token_format: 'rfc9068' })
  // An ID token may carry `azp` and even a `uid` of its own: a scope mapping puts them there.
  const mimic = await createScopeMapping(t, { name: 'mimic', scope_name: 'mimic',
    expression: { azp: { value: 'someone' }, uid: { value: 'u'.repeat(40) }, scope: { value: 'openid' } } })
  await provider('es-mimic', { signing_key: key.pk,
    property_mappings: [...await defaultMappingPks(t), mimic.pk], include_claims_in_id_token: true })
}, 60_000)
afterAll(() => t?.close())

describe('RP-initiated logout (OIDC RP-Initiated Logout 1.0)', () => {
  it('answers 404 for an unknown application', async () => {
    const res = await t.request(path('no-such-app'))
    expectPage(res, 404)
  })

  it('with a valid hint of this session and a registered URI: ends the session and redirects with state unchanged', async () => {
    const s = await session()
    const res = await s.agent.get(path('es', { id_token_hint: s.idToken, post_logout_redirect_uri: LOGGED_OUT,
      state: 'test-state-123 &=' }))
    expect(res.status).toBe(302)
    expect(res.headers.get('Location')).toBe(`${LOGGED_OUT}?state=test-state-123%20%26%3D`)
    expect(res.headers.get('Cache-Control')).toBe('no-store')
    expect(res.headers.getSetCookie()).toContain('edge_oidc_session=; Max-Age=0; Path=/')
    expect(await s.alive()).toBe(false)
    expect(await t.db.select().from(accessTokens).where(eq(accessTokens.tokenHash, await presentedTokenHash(s.accessToken)))).toEqual([])
    // After logout, prompt=none answers login_required.
    const silent = await s.agent.get(`/application/o/authorize/?${new URLSearchParams({ client_id: p.es!.client_id,
      redirect_uri: REDIRECT, response_type: 'code', scope: 'openid', state: 's', prompt: 'none',
      code_challenge: 'x'.repeat(43), code_challenge_method: 'plain' })}`)
    expect(silent.status).toBe(302)
    expect(new URL(silent.headers.get('Location')!).searchParams.get('error')).toBe('login_required')
  })

  it('ends a session with a valid hint in 3 statements once the provider is cached (session, end, event)', async () => {
    const s = await session()
    await t.request(path('es'))
    t.counter.reset()
    const res = await s.agent.get(path('es', { id_token_hint: s.idToken, post_logout_redirect_uri: LOGGED_OUT }))
    expect(res.status).toBe(302)
    expect(t.counter.count).toBe(3)
  })

  it('follows a regex logout URI that matches fully, and accepts a POST (303)', async () => {
    const s = await session()
    const res = await s.agent.post(path('es'), { id_token_hint: s.idToken,
      post_logout_redirect_uri: 'https://rp.example/bye/now', state: 'st' })
    expect(res.status).toBe(303)
    expect(res.headers.get('Location')).toBe('https://rp.example/bye/now?state=st')
    expect(await s.alive()).toBe(false)
  })

  it('ignores an expired hint\'s expiry', async () => {
    const s = await session()
    const exp = decodeJwt(s.idToken).exp!
    t.clock.set(new Date((exp + 3600) * 1000))
    try {
      const res = await s.agent.get(path('es', { id_token_hint: s.idToken, post_logout_redirect_uri: LOGGED_OUT }))
      expect(res.status).toBe(302)
      expect(res.headers.get('Location')).toBe(LOGGED_OUT)
    } finally {
      t.clock.set(new Date('2026-06-01T12:00:00.000Z'))
    }
  })

  it('ends the session but does not redirect to an unregistered URI, a registered one with a query added, or with another scheme', async () => {
    for (const uri of ['https://evil.example/', `${LOGGED_OUT}?x=1`, 'http://rp.example/logged-out',
      'https://rp.example/bye/now/extra', REDIRECT]) {
      const s = await session()
      const res = await s.agent.get(path('es', { id_token_hint: s.idToken, post_logout_redirect_uri: uri, state: 'st' }))
      await expectSignedOut(res)
      expect(await s.alive(), uri).toBe(false)
    }
  })

  it('refuses an altered hint, an alg:none hint, another provider\'s hint, and a JWE it cannot open: no redirect, session kept', async () => {
    const s = await session()
    const other = await codeFlow(t, s.agent, p['es-other']!, REDIRECT)
    const [h, payload, sig] = s.idToken.split('.') as [string, string, string]
    const claims = decodeJwt(s.idToken)
    const altered = `${h}.${base64url.encode(JSON.stringify({ ...claims, sub: 'someone-else' }))}.${sig}`
    const none = `${base64url.encode(JSON.stringify({ alg: 'none', typ: 'JWT' }))}.${payload}.`
    const flipped = `${h}.${payload}.${sig.slice(0, -2)}${sig.endsWith('AA') ? 'BB' : 'AA'}`
    const stranger = await joseKeyPair('RSA-OAEP-256')
    const foreignJwe = await new CompactEncrypt(new TextEncoder().encode(s.idToken))
      .setProtectedHeader({ alg: 'RSA-OAEP-256', enc: 'A256CBC-HS512' })
      .encrypt(await importJWK(await exportJWK(stranger.publicKey), 'RSA-OAEP-256'))
    for (const [slug, hint] of [['es', altered], ['es', none], ['es', flipped], ['es', other.id_token!],
      ['es-jwe', foreignJwe], ['es', foreignJwe], ['es', 'not-a-jwt']] as const) {
      const res = await s.agent.get(path(slug, { id_token_hint: hint, post_logout_redirect_uri: LOGGED_OUT }))
      await expectRefused(res)
    }
    expect(await s.alive()).toBe(true)
  })

  it('refuses an access token as hint (RFC 8725 §3.11): authentik\'s format, RFC 9068, encrypted; no redirect, session kept',
    async () => {
      for (const slug of ['es', 'es-at', 'es-jwe']) {
        const s = await session(slug)
        const res = await s.agent.get(path(slug, { id_token_hint: s.accessToken, post_logout_redirect_uri: LOGGED_OUT }))
        await expectRefused(res)
        expect(await s.alive()).toBe(true)
        // Its ID token twin signs out and redirects.
        const back = await s.agent.get(path(slug, { id_token_hint: s.idToken, post_logout_redirect_uri: LOGGED_OUT }))
        expect({ slug, status: back.status, location: back.headers.get('Location') })
          .toEqual({ slug, status: 302, location: LOGGED_OUT })
        expect(await s.alive()).toBe(false)
      }
    })

  it('takes an ID token whose claims hold azp, uid and scope as the hint it is, and refuses its access token', async () => {
    const agent = await signIn(t, 'alice', new TestAgent(t))
    const tokens = await codeFlow(t, agent, p['es-mimic']!, REDIRECT, 'openid mimic')
    expect(decodeJwt(tokens.id_token!)).toMatchObject({ azp: 'someone', uid: 'u'.repeat(40), scope: 'openid' })
    expect(decodeJwt(tokens.access_token!)).toMatchObject({ azp: p['es-mimic']!.client_id })
    await expectRefused(await agent.get(path('es-mimic', { id_token_hint: tokens.access_token!,
      post_logout_redirect_uri: LOGGED_OUT })))
    const res = await agent.get(path('es-mimic', { id_token_hint: tokens.id_token!, post_logout_redirect_uri: LOGGED_OUT }))
    expect({ status: res.status, location: res.headers.get('Location') }).toEqual({ status: 302, location: LOGGED_OUT })
  })

  it('refuses a client_id of another application, and a forbidden scheme', async () => {
    const s = await session()
    await expectRefused(await s.agent.get(path('es', { client_id: p['es-other']!.client_id })))
    await expectRefused(await s.agent.get(path('es', { client_id: p.es!.client_id, post_logout_redirect_uri: 'javascript:alert(1)' })))
    await expectRefused(await s.agent.get(path('es', { id_token_hint: s.idToken, post_logout_redirect_uri: ' JavaScript:alert(1)' })))
    expect(await s.alive()).toBe(true)
  })

  it('refuses a matching logout URI with a control character before signing out, and without a session', async () => {
    const s = await session()
    for (const uri of ['https://rp.example/any/\u0000', 'https://rp.example/any/a\tb', 'https://rp.example/any/\u007f']) {
      await expectRefused(await s.agent.get(path('es', { id_token_hint: s.idToken, post_logout_redirect_uri: uri })))
      await expectRefused(await new TestAgent(t).get(path('es', { client_id: p.es!.client_id, post_logout_redirect_uri: uri })))
    }
    expect(await s.alive()).toBe(true)
    // The same entry still lets a plain URI through.
    const res = await s.agent.get(path('es', { id_token_hint: s.idToken, post_logout_redirect_uri: 'https://rp.example/any/x' }))
    expect({ status: res.status, location: res.headers.get('Location') }).toEqual({ status: 302, location: 'https://rp.example/any/x' })
    expect(await s.alive()).toBe(false)
  })

  it('verifies HS256 hints with the client secret, and opens its own JWE hints', async () => {
    for (const slug of ['es-hs', 'es-jwe']) {
      const s = await session(slug)
      if (slug === 'es-jwe') expect(s.idToken.split('.')).toHaveLength(5)
      const res = await s.agent.get(path(slug, { id_token_hint: s.idToken, post_logout_redirect_uri: LOGGED_OUT }))
      expect({ slug, status: res.status, location: res.headers.get('Location') }).toEqual({ slug, status: 302, location: LOGGED_OUT })
    }
  })

  it('asks to confirm without parameters, with only state, or with a hint of an earlier session; a GET signs nobody out', async () => {
    const earlier = await session()
    await earlier.agent.submit('/logout', { action: 'logout' })
    const s = await session()
    for (const params of [{}, { state: 'only' }, { id_token_hint: earlier.idToken } as Record<string, string>,
      { post_logout_redirect_uri: LOGGED_OUT }]) {
      await expectConfirmation(await s.agent.get(path('es', params)))
    }
    expect(await s.alive()).toBe(true)
  })

  it('after confirmation: ends the session; redirects only when client_id ties the request to the application', async () => {
    const untied = await session()
    const page = await expectConfirmation(await untied.agent.get(path('es', { post_logout_redirect_uri: LOGGED_OUT, state: 'a' })))
    const fields = untied.agent.formFields(page, '/end-session/')
    expect(fields).toEqual({ csrf_token: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/), post_logout_redirect_uri: LOGGED_OUT, state: 'a' })
    await expectSignedOut(await untied.agent.post(path('es'), { ...fields, action: 'logout' }))
    expect(await untied.alive()).toBe(false)

    const tied = await session()
    const html = await expectConfirmation(await tied.agent.get(path('es', { client_id: p.es!.client_id,
      post_logout_redirect_uri: LOGGED_OUT, state: 'b' })))
    const res = await tied.agent.post(path('es'), { ...tied.agent.formFields(html, '/end-session/'), action: 'logout' })
    expect(res.status).toBe(303)
    expect(res.headers.get('Location')).toBe(`${LOGGED_OUT}?state=b`)
    expect(await tied.alive()).toBe(false)
  })

  it('refuses (403) a cross-site confirmation without the CSRF token, and the session lives on', async () => {
    const s = await session()
    const html = await expectConfirmation(await s.agent.get(path('es')))
    const fields = s.agent.formFields(html, '/end-session/')
    for (const [body, headers] of [[{ action: 'logout' }, {}], [{ ...fields, action: 'logout' }, { Origin: 'https://evil.example' }],
      [{ ...fields, csrf_token: 'x', action: 'logout' }, {}]] as const) {
      const res = await s.agent.post(path('es'), body, headers)
      expectPage(res, 403)
    }
    // A cross-site POST without `action` is a new request: it only asks.
    await expectConfirmation(await s.agent.post(path('es'), { post_logout_redirect_uri: LOGGED_OUT }, { Origin: 'https://evil.example' }))
    expect(await s.alive()).toBe(true)
  })

  it('redirects a visitor without a session to a registered URI when tied, and otherwise says signed out', async () => {
    const res = await t.request(path('es', { client_id: p.es!.client_id, post_logout_redirect_uri: LOGGED_OUT, state: 'x' }))
    expect(res.status).toBe(302)
    expect(res.headers.get('Location')).toBe(`${LOGGED_OUT}?state=x`)
    await expectSignedOut(await t.request(path('es', { post_logout_redirect_uri: LOGGED_OUT })))
    await expectSignedOut(await t.request(path('es')))
  })
})

describe('front-channel logout (OIDC Front-Channel Logout 1.0)', () => {
  it('loads the front-channel logout URIs of the session in hidden iframes, allows exactly them as frame-src, then continues', async () => {
    const s = await session()
    await codeFlow(t, s.agent, p['es-fc']!, REDIRECT)
    const res = await s.agent.get(path('es', { id_token_hint: s.idToken, post_logout_redirect_uri: LOGGED_OUT, state: 'fc' }))
    expectPage(res, 200, `${PAGE_CSP}; frame-src https://fc.example/logout`)
    const html = await res.text()
    const src = new URL('https://fc.example/logout')
    src.search = new URLSearchParams({ tenant: '1', iss: `${ORIGIN}/application/o/es-fc/`, sid: s.sid }).toString()
    expect(html).toContain(`<iframe src="${src.href.replace(/&/g, '&amp;')}" hidden="" title="Signing out of an application"></iframe>`)
    expect(html).toContain(`<meta http-equiv="refresh" content="2;url=${LOGGED_OUT}?state=fc"/>`)
    expect(html).toContain(`<a href="${LOGGED_OUT}?state=fc">Continue</a>`)
    expect(await s.alive()).toBe(false)
  })

  it('shows the iframes on the user\'s own /logout too', async () => {
    const s = await session('es-fc')
    const res = await s.agent.submit('/logout', { action: 'logout' })
    expectPage(res, 200, `${PAGE_CSP}; frame-src https://fc.example/logout`)
    expect(await res.text()).toContain(`sid=${s.sid}`)
  })
})
