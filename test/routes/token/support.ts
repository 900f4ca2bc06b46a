import { expect } from 'vitest'
import { sha256Base64url, sha256Hex } from '../../../src/crypto/hash.ts'
import { randomId } from '../../../src/crypto/random.ts'
import { authenticatedSessions, authorizationCodes } from '../../../src/db/schema.ts'
import { START, type TestContext } from '../../support/app.ts'
import { createProviderApp, defaultMappingPks, json, type User } from '../../support/fixtures.ts'

export const REDIRECT = 'http://local.invalid/callback'
export const TOKEN = '/application/o/token/'
export const MINUTE = 60_000
export const HOUR = 60 * MINUTE
/** The sign-in time of every test session: ten minutes before the fixed clock's start. */
export const AUTH_TIME = new Date(new Date(START).getTime() - 10 * MINUTE)

export interface Client { pk: number; slug: string; client_id: string; client_secret: string }

/** A provider and its application through the admin API; redirect URI `REDIRECT`, the default mappings. */
export async function createClient(t: TestContext, slug: string, provider: Record<string, unknown> = {}): Promise<Client> {
  const p = await createProviderApp(t, slug, {
    redirect_uris: [{ matching_mode: 'strict', url: REDIRECT }], property_mappings: await defaultMappingPks(t),
    ...provider,
  })
  return { pk: p.pk, slug, client_id: p.client_id, client_secret: p.client_secret }
}

/** A browser session as sign-in leaves it: its id and its `sid` (the hash of the cookie value). */
export async function createSession(t: TestContext, user: User, amr: string[] = ['pwd']) {
  const sid = await sha256Hex(randomId(32))
  const [row] = await t.db.insert(authenticatedSessions).values({
    sessionKeyHash: sid, userId: user.pk, loginTime: AUTH_TIME, amr, expires: new Date(AUTH_TIME.getTime() + 24 * HOUR),
  }).returning({ id: authenticatedSessions.id })
  return { id: row!.id, sid }
}

export interface CodeOptions {
  scope?: string
  redirectUri?: string
  nonce?: string | null
  /** PKCE: the verifier whose challenge the code stores (`S256` unless `method` says `plain`). */
  verifier?: string
  method?: 'S256' | 'plain' | null
  sessionId?: string | null
  expiresInMs?: number
}

/** An authorization code as /authorize stores it: only its SHA-256. */
export async function insertCode(t: TestContext, client: Client, user: User, options: CodeOptions = {}) {
  const code = randomId(48)
  const grantId = crypto.randomUUID()
  const now = t.clock.now()
  const method = options.verifier === undefined ? null : options.method === undefined ? 'S256' : options.method
  const challenge = options.verifier === undefined ? null
    : method === 'S256' ? await sha256Base64url(options.verifier) : options.verifier
  await t.db.insert(authorizationCodes).values({
    codeHash: await sha256Hex(code), providerId: client.pk, userId: user.pk, grantId,
    scope: options.scope ?? 'openid email profile', authTime: AUTH_TIME, sessionId: options.sessionId ?? null,
    redirectUri: options.redirectUri ?? REDIRECT, nonce: options.nonce === undefined ? 'n-0S6_WzA2Mj' : options.nonce,
    codeChallenge: challenge, codeChallengeMethod: method, expires: new Date(now.getTime() + (options.expiresInMs ?? MINUTE)),
    created: now,
  })
  return { code, grantId }
}

export interface RequestOptions {
  /** The Basic credentials as sent, before base64 (`id:secret`, already percent-encoded if wanted). */
  basic?: string
  headers?: Record<string, string>
}

export function tokenRequest(t: TestContext, params: Record<string, string>, options: RequestOptions = {}) {
  return t.request(TOKEN, {
    method: 'POST',
    headers: { ...(options.basic !== undefined && { Authorization: `Basic ${btoa(options.basic)}` }), ...options.headers },
    body: new URLSearchParams(params),
  })
}

/** Form parameters of a code exchange by a confidential client (client_secret_post). */
export function codeParams(client: Client, code: string, extra: Record<string, string> = {}): Record<string, string> {
  return { grant_type: 'authorization_code', code, redirect_uri: REDIRECT, client_id: client.client_id,
    client_secret: client.client_secret, ...extra }
}

export function refreshParams(client: Client, token: string, extra: Record<string, string> = {}): Record<string, string> {
  return { grant_type: 'refresh_token', refresh_token: token, client_id: client.client_id,
    client_secret: client.client_secret, ...extra }
}

export interface TokenBody {
  access_token: string
  token_type: string
  scope: string
  expires_in: number
  id_token: string
  refresh_token?: string
}

/** A successful answer's body, after asserting its status and headers. */
export async function ok(res: Response): Promise<TokenBody> {
  expect(res.status, await res.clone().text()).toBe(200)
  expect(res.headers.get('Cache-Control')).toBe('no-store')
  expect(res.headers.get('Pragma')).toBe('no-cache')
  return json<TokenBody>(res)
}

/** An error answer: status, `error` and the headers every token error carries. */
export async function refused(res: Response, status: number, error: string): Promise<Record<string, unknown>> {
  const body = await json(res.clone())
  expect({ status: res.status, error: body.error }).toEqual({ status, error })
  expect(body.request_id).toBe(res.headers.get('X-Request-Id'))
  expect(typeof body.error_description).toBe('string')
  expect(res.headers.get('Cache-Control')).toBe('no-store')
  expect(res.headers.get('Pragma')).toBe('no-cache')
  return body
}

/** The events of `action` the client caused, through the admin API. */
export async function eventsOf(t: TestContext, action: string, client: Client) {
  const page = await json<{ results: Array<{ context: Record<string, unknown>; user: unknown }> }>(
    t.admin('GET', `/events/events/?action=${action}&client_id=${encodeURIComponent(client.client_id)}`))
  return page.results
}
