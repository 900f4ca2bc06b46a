import { and, eq } from 'drizzle-orm'
import { base64url, createLocalJWKSet, jwtVerify, type JSONWebKeySet, type JWTPayload } from 'jose'
import { beforeAll, describe, expect, it } from 'vitest'
import { sha256Hex } from '../../src/crypto/hash.ts'
import { accessTokens, authorizationCodes, events, refreshTokens } from '../../src/db/schema.ts'
import { findForm, formFields } from '../support/browser-forms.ts'
import {
  createProviderApp, createUserWithPassword, defaultMappingPks, EXPLICIT_CONSENT, generateKeyPair, PASSWORD,
} from '../support/fixtures.ts'
import { localPath, ORIGIN, withDb, workerAdmin, workerFetch, WorkerBrowser } from './helpers.ts'
import { presentedTokenHash } from '../../src/oauth/presented-jti.ts'

// One PostgreSQL serves every file of this project: names here are unique to this file.
const SLUG = 'worker-code-flow'
const USERNAME = 'worker-flow-user'
const REDIRECT = 'https://rp.test/callback'
const ISSUER = `${ORIGIN}/application/o/${SLUG}/`
const SCOPE = 'openid profile email offline_access'
const STATE = 'state-worker-1'
const NONCE = 'nonce-worker-1'
const VERIFIER = 'worker-code-verifier-0123456789-abcdefghijklmnopqrstuvwxyz'

let client: { client_id: string; client_secret: string }
let user: { pk: number }
let jwks: ReturnType<typeof createLocalJWKSet>
const browser = new WorkerBrowser()
/** What each step hands to the next. */
const flow: { authorizePath?: string; signedInAt?: number; code?: string; first?: TokenBody; second?: TokenBody } = {}

interface TokenBody { access_token: string; token_type: string; scope: string; expires_in: number; id_token: string;
  refresh_token: string }

async function expectJson<T>(res: Response, status = 201): Promise<T> {
  expect(res.status, await res.clone().text()).toBe(status)
  return (await res.json()) as T
}

function tokenRequest(params: Record<string, string>): Promise<Response> {
  const basic = btoa(`${encodeURIComponent(client.client_id)}:${encodeURIComponent(client.client_secret)}`)
  return workerFetch('/application/o/token/', {
    method: 'POST', headers: { Authorization: `Basic ${basic}` }, body: new URLSearchParams(params),
  })
}

async function tokensFrom(res: Response): Promise<TokenBody> {
  const body = await expectJson<TokenBody>(res, 200)
  expect(res.headers.get('Content-Type')).toMatch(/^application\/json/)
  expect(res.headers.get('Cache-Control')).toBe('no-store')
  expect(res.headers.get('Pragma')).toBe('no-cache')
  expect(Object.keys(body).sort()).toEqual(['access_token', 'expires_in', 'id_token', 'refresh_token', 'scope', 'token_type'])
  expect(body.token_type).toBe('Bearer')
  expect(body.scope.split(' ').sort()).toEqual(SCOPE.split(' ').sort())
  expect(body.refresh_token).toMatch(/^[A-Za-z0-9]{128}$/)
  return body
}

async function expectInvalidGrant(res: Response): Promise<void> {
  const body = await expectJson<Record<string, unknown>>(res, 400)
  expect(body).toEqual({ error: 'invalid_grant', error_description: expect.any(String),
    request_id: res.headers.get('X-Request-Id') })
  expect(res.headers.get('Cache-Control')).toBe('no-store')
}

async function verify(jwt: string): Promise<JWTPayload> {
  const { payload, protectedHeader } = await jwtVerify(jwt, jwks, { issuer: ISSUER, audience: client.client_id,
    algorithms: ['ES256'] })
  expect(protectedHeader.typ).toBe('JWT')
  return payload
}

/** The client's `suspicious_request` events, oldest first: their message and how many tokens they revoked. */
const replays = () => withDb(async (db) => (await db.select({ context: events.context }).from(events)
  .where(and(eq(events.action, 'suspicious_request'), eq(events.clientId, client.client_id))).orderBy(events.created))
  .map(({ context: c }) => ({ message: c.message, access: c.revoked_access_tokens, refresh: c.revoked_refresh_tokens })))

const userinfo = (accessToken: string) =>
  workerFetch('/application/o/userinfo/', { headers: { Authorization: `Bearer ${accessToken}` } })

beforeAll(async () => {
  // Set up as an operator would, through the Worker's admin API with the ADMIN_TOKEN binding.
  const key = await generateKeyPair(workerAdmin, 'worker-code-flow-key', { validity_days: 30, alg: 'ecdsa', key_size: 256 })
  client = await createProviderApp(workerAdmin, SLUG, {
    authorization_flow: EXPLICIT_CONSENT, signing_key: key.pk, redirect_uris: [{ matching_mode: 'strict', url: REDIRECT }],
    property_mappings: await defaultMappingPks(workerAdmin), grant_types: ['authorization_code', 'refresh_token'],
  }, { name: 'Worker Code Flow' })
  user = await createUserWithPassword(workerAdmin, USERNAME, { name: 'Worker Flow', email: 'worker-flow@example.com' })
  jwks = createLocalJWKSet(await expectJson<JSONWebKeySet>(await workerFetch(`/application/o/${SLUG}/jwks/`), 200))
})

describe('authorization code flow in workerd on PostgreSQL', () => {
  it('sends a browser without a session to the login page, carrying the whole request', async () => {
    const challenge = base64url.encode(new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(VERIFIER))))
    flow.authorizePath = `/application/o/authorize/?${new URLSearchParams({
      client_id: client.client_id, redirect_uri: REDIRECT, response_type: 'code', scope: SCOPE, state: STATE,
      nonce: NONCE, code_challenge: challenge, code_challenge_method: 'S256',
    })}`
    const res = await browser.get(flow.authorizePath)
    expect(res.status).toBe(302)
    expect(res.headers.get('Cache-Control')).toBe('no-store')
    const login = new URL(localPath(res.headers.get('Location')), ORIGIN)
    expect(login.pathname).toBe('/login')
    expect(login.searchParams.get('next')).toBe(flow.authorizePath)
    expect(browser.cookies.size).toBe(0)
  })

  it('signs in through the real login form, with its CSRF cookie and token', async () => {
    const next = flow.authorizePath!
    const page = await browser.get(`/login?${new URLSearchParams({ next })}`)
    expect(page.status).toBe(200)
    expect(page.headers.get('Content-Type')).toMatch(/^text\/html/)
    expect(page.headers.get('Cache-Control')).toBe('no-store')
    expect(page.headers.get('X-Frame-Options')).toBe('DENY')
    expect(page.headers.getSetCookie()).toEqual([expect.stringMatching(
      /^__Host-edge_oidc_csrf=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; Secure; SameSite=Lax$/)])
    const html = await page.text()
    expect(html).toContain('Sign in to Worker Code Flow')
    expect(findForm(html).action).toBe('/login')
    const fields = formFields(html)
    expect(fields).toEqual({ csrf_token: expect.any(String), next, username: '', password: '' })

    const forged = await browser.post('/login', { ...fields, username: USERNAME, password: PASSWORD }, 'https://evil.test')
    expect(forged.status).toBe(403)
    expect(forged.headers.getSetCookie()).toEqual([])

    flow.signedInAt = Math.floor(Date.now() / 1000)
    const res = await browser.post('/login', { ...fields, username: USERNAME, password: PASSWORD })
    expect(res.status, await res.clone().text()).toBe(303)
    expect(res.headers.get('Location')).toBe(next)
    expect(res.headers.get('Cache-Control')).toBe('no-store')
    expect(res.headers.getSetCookie()).toEqual([expect.stringMatching(
      /^__Host-edge_oidc_session=[A-Za-z0-9_-]{43}; Max-Age=86400; Path=\/; HttpOnly; Secure; SameSite=Lax$/)])
    expect(browser.cookies.has('__Host-edge_oidc_session')).toBe(true)
  })

  it('asks for consent, and on allow redirects to the client with code, state and iss', async () => {
    const page = await browser.get(flow.authorizePath!)
    expect(page.status).toBe(200)
    expect(page.headers.get('Cache-Control')).toBe('no-store')
    expect(page.headers.get('Content-Security-Policy')).toContain("frame-ancestors 'none'")
    const html = await page.text()
    expect(html).toContain('Worker Code Flow')
    expect(html).toContain(`Signed in as ${USERNAME}.`)
    const form = findForm(html, '/consent')
    const fields = formFields(form.body)
    expect(fields).toMatchObject({ client_id: client.client_id, redirect_uri: REDIRECT, state: STATE, nonce: NONCE,
      csrf_token: expect.any(String) })

    const res = await browser.post(form.action!, { ...fields, action: 'allow' })
    expect(res.status, await res.clone().text()).toBe(303)
    expect(res.headers.get('Cache-Control')).toBe('no-store')
    const back = new URL(res.headers.get('Location')!)
    expect(`${back.origin}${back.pathname}`).toBe(REDIRECT)
    expect([...back.searchParams.keys()]).toEqual(['code', 'state', 'iss'])
    expect(back.searchParams.get('state')).toBe(STATE)
    expect(back.searchParams.get('iss')).toBe(ISSUER)
    flow.code = back.searchParams.get('code')!
    expect(flow.code).toMatch(/^[A-Za-z0-9]{48}$/)

    // Only the code's hash reaches PostgreSQL, with the request it answers.
    const rows = await withDb(async (db) => db.select().from(authorizationCodes)
      .where(eq(authorizationCodes.codeHash, await sha256Hex(flow.code!))))
    expect(rows).toHaveLength(1)
    expect(rows[0]).toMatchObject({ userId: user.pk, redirectUri: REDIRECT, nonce: NONCE, codeChallengeMethod: 'S256',
      consumed: null })
  })

  it('exchanges the code (client_secret_basic) for tokens, the ID token verifying against the JWKS', async () => {
    const res = await tokenRequest({ grant_type: 'authorization_code', code: flow.code!, redirect_uri: REDIRECT,
      code_verifier: VERIFIER })
    flow.first = await tokensFrom(res)
    const id = await verify(flow.first.id_token)
    expect(id.nonce).toBe(NONCE)
    expect(id.amr).toEqual(['pwd'])
    expect(id.sid).toBe(await sha256Hex(browser.cookies.get('__Host-edge_oidc_session')!))
    expect(id.auth_time).toBeGreaterThanOrEqual(flow.signedInAt! - 1)
    expect(id.auth_time).toBeLessThanOrEqual(Math.floor(Date.now() / 1000))
    expect(id.sub).toMatch(/^[0-9a-f]{64}$/)
    const access = await verify(flow.first.access_token)
    expect(access).toMatchObject({ sub: id.sub, azp: client.client_id, scope: flow.first.scope, nonce: NONCE })

    await withDb(async (db) => {
      const [code] = await db.select().from(authorizationCodes)
        .where(eq(authorizationCodes.codeHash, await sha256Hex(flow.code!)))
      expect(code!.consumed).toBeInstanceOf(Date)
      expect(await db.select({ id: accessTokens.id }).from(accessTokens)
        .where(eq(accessTokens.tokenHash, await presentedTokenHash(flow.first!.access_token)))).toHaveLength(1)
      expect(await db.select({ id: refreshTokens.id }).from(refreshTokens)
        .where(eq(refreshTokens.tokenHash, await sha256Hex(flow.first!.refresh_token)))).toHaveLength(1)
    })
  })

  it('answers userinfo for the bearer with the mapped claims', async () => {
    const res = await userinfo(flow.first!.access_token)
    expect(res.status).toBe(200)
    expect(res.headers.get('Cache-Control')).toBe('no-store')
    const id = await verify(flow.first!.id_token)
    expect(await res.json()).toEqual({
      sub: id.sub, name: 'Worker Flow', given_name: 'Worker Flow', preferred_username: USERNAME, nickname: USERNAME,
      groups: [], email: 'worker-flow@example.com', email_verified: false, nonce: NONCE,
    })
  })

  it('refreshes into new tokens, rotating the refresh token', async () => {
    flow.second = await tokensFrom(await tokenRequest({ grant_type: 'refresh_token', refresh_token: flow.first!.refresh_token }))
    expect(flow.second.access_token).not.toBe(flow.first!.access_token)
    expect(flow.second.refresh_token).not.toBe(flow.first!.refresh_token)
    const [before, after] = [await verify(flow.first!.id_token), await verify(flow.second.id_token)]
    expect(after).toMatchObject({ sub: before.sub, auth_time: before.auth_time, sid: before.sid })
    expect((await userinfo(flow.second.access_token)).status).toBe(200)
  })

  it('refuses the rotated refresh token and revokes the whole family', async () => {
    await expectInvalidGrant(await tokenRequest({ grant_type: 'refresh_token', refresh_token: flow.first!.refresh_token }))
    for (const accessToken of [flow.first!.access_token, flow.second!.access_token]) {
      const res = await userinfo(accessToken)
      expect(res.status).toBe(401)
      expect(res.headers.get('WWW-Authenticate')).toMatch(/^Bearer error="invalid_token", /)
    }
    await expectInvalidGrant(await tokenRequest({ grant_type: 'refresh_token', refresh_token: flow.second!.refresh_token }))
    // Each replay is recorded with what it revoked: both access tokens and the live refresh token, then nothing.
    expect(await replays()).toEqual([
      { message: 'Revoked refresh token was used', access: 2, refresh: 1 },
      { message: 'Revoked refresh token was used', access: 0, refresh: 0 },
    ])
  })

  it('refuses the same code a second time', async () => {
    await expectInvalidGrant(await tokenRequest({ grant_type: 'authorization_code', code: flow.code!,
      redirect_uri: REDIRECT, code_verifier: VERIFIER }))
    expect((await replays())[2]).toEqual({ message: 'Authorization code was used again', access: 0, refresh: 0 })
  })

  it('remembers the consent in the database: the next authorization answers at once, even with prompt=none', async () => {
    const res = await browser.get(`${flow.authorizePath!}&prompt=none`)
    expect(res.status).toBe(302)
    const back = new URL(res.headers.get('Location')!)
    expect([...back.searchParams.keys()]).toEqual(['code', 'state', 'iss'])
    expect(back.searchParams.get('code')).not.toBe(flow.code)
  })
})
