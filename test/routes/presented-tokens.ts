/** What the introspection and revocation tests share: tokens stored as the token endpoint stores them, requests. */
import { expect } from 'vitest'
import { sha256Hex } from '../../src/crypto/hash.ts'
import { randomId } from '../../src/crypto/random.ts'
import { accessTokens, refreshTokens } from '../../src/db/schema.ts'
import type { TestContext } from '../support/app.ts'
import { json } from '../support/fixtures.ts'
import { HOUR } from './token/support.ts'

export const INTROSPECT = '/application/o/introspect/'
export const REVOKE = '/application/o/revoke/'
export const ACR = 'goauthentik.io/providers/oauth2/default'
/** The facts a token row keeps for its ID token claims (src/db/token-rows.ts), as the token endpoint stores them. */
export function factsOf(now: Date, expires: Date): Record<string, unknown> {
  const seconds = (d: Date) => Math.floor(d.getTime() / 1000)
  return { iat: seconds(now), exp: seconds(expires), auth_time: seconds(now), acr: ACR }
}

export type Kind = 'access' | 'refresh'

export interface StoredToken { value: string; id: string; grantId: string }

export interface TokenOptions {
  scope?: string
  revoked?: boolean
  grantId?: string
  expiresInMs?: number
  idToken?: Record<string, unknown>
}

/** An access or refresh token row (only the SHA-256 of `value` is stored), live for an hour unless told. */
export async function insertToken(t: TestContext, kind: Kind, providerId: number, userId: number,
  options: TokenOptions = {}): Promise<StoredToken> {
  const value = kind === 'access' ? `eyJ.${randomId(40)}.sig` : randomId(128)
  const now = t.clock.now()
  const grantId = options.grantId ?? crypto.randomUUID()
  const expires = new Date(now.getTime() + (options.expiresInMs ?? HOUR))
  const values = {
    tokenHash: await sha256Hex(value), providerId, userId, grantId, scope: options.scope ?? 'openid user profile',
    authTime: now, revoked: options.revoked ?? false, idToken: options.idToken ?? factsOf(now, expires), expires,
  }
  const [row] = kind === 'access'
    ? await t.db.insert(accessTokens).values(values).returning({ id: accessTokens.id })
    : await t.db.insert(refreshTokens).values(values).returning({ id: refreshTokens.id })
  return { value, id: row!.id, grantId }
}

export interface Credentials { client_id: string; client_secret: string }

/** A POST to `path` with `params`; `basic` sends the credentials in the header (`id:secret` as given). */
export function post(t: TestContext, path: string, params: Record<string, string>,
  options: { basic?: string; authorization?: string; headers?: Record<string, string> } = {}): Promise<Response> {
  const authorization = options.authorization ?? (options.basic !== undefined ? `Basic ${btoa(options.basic)}` : undefined)
  return t.request(path, {
    method: 'POST', body: new URLSearchParams(params),
    headers: { ...(authorization !== undefined && { Authorization: authorization }), ...options.headers },
  })
}

export const basicOf = (c: Credentials): string => `${c.client_id}:${c.client_secret}`

/** A 200 answer of either endpoint: never cached; its JSON body. */
export async function answered(res: Response): Promise<Record<string, unknown>> {
  expect(res.status, await res.clone().text()).toBe(200)
  expect(res.headers.get('Content-Type')).toMatch(/^application\/json/)
  expect(res.headers.get('Cache-Control')).toBe('no-store')
  expect(res.headers.get('Pragma')).toBe('no-cache')
  return json(res)
}

/** 401 `invalid_client` with a Basic challenge (RFC 7009 §2.2.1, RFC 7662 §2.3, RFC 6749 §5.2). */
export async function unauthorized(res: Response): Promise<void> {
  const body = await json(res.clone())
  expect({ status: res.status, error: body.error }).toEqual({ status: 401, error: 'invalid_client' })
  expect(body.request_id).toBe(res.headers.get('X-Request-Id'))
  expect(res.headers.get('WWW-Authenticate')).toBe('Basic realm="edge-oidc"')
  expect(res.headers.get('Cache-Control')).toBe('no-store')
  expect(res.headers.get('Pragma')).toBe('no-cache')
}
