import { createLocalJWKSet, jwtVerify, type JSONWebKeySet, type JWTPayload } from 'jose'
import { expect } from 'vitest'
import { DEFAULT_DESCRIPTIONS } from '../../../src/oauth/errors.ts'
import type { TestContext } from '../../support/app.ts'
import { adminJson, json } from '../../support/fixtures.ts'
import { ok, type Client, type TokenBody } from './support.ts'

/** Every grant this provider side can serve, so each test picks the one it means. */
export const ALL_GRANTS = ['authorization_code', 'refresh_token', 'client_credentials', 'password']
export const SCOPES = 'openid email profile'

/** An app password of `user` through the admin API; its key, shown once. */
export async function appPassword(t: TestContext, user: number, identifier: string): Promise<string> {
  const token = await adminJson<{ key: string }>(t, 'POST', '/core/tokens/', { identifier, user }, 201)
  return token.key
}

/** authentik's exact `invalid_grant` answer: 400, its fixed description, the request id, never cached. */
export async function expectInvalidGrant(res: Response): Promise<void> {
  const body = await json(res.clone())
  expect({ status: res.status, body }).toEqual({ status: 400, body: { error: 'invalid_grant',
    error_description: DEFAULT_DESCRIPTIONS.invalid_grant, request_id: res.headers.get('X-Request-Id') } })
  expect(res.headers.get('Cache-Control')).toBe('no-store')
  expect(res.headers.get('Pragma')).toBe('no-cache')
}

/** The access and ID token of a successful answer, verified against the provider's JWKS. */
export async function tokensOf(t: TestContext, client: Client, res: Response):
  Promise<{ body: TokenBody; access: JWTPayload; id: JWTPayload }> {
  const body = await ok(res)
  expect(body.token_type).toBe('Bearer')
  expect(body.refresh_token).toBeUndefined()
  const set = await json<JSONWebKeySet>(t.request(`/application/o/${client.slug}/jwks/`))
  // HS256 (no signing key) is verified with the client secret.
  const keys = set.keys?.length ? createLocalJWKSet(set) : new TextEncoder().encode(client.client_secret)
  const options = { audience: client.client_id, issuer: `http://localhost/application/o/${client.slug}/`,
    currentDate: t.clock.now() }
  const access = (await jwtVerify(body.access_token, keys, options)).payload
  const id = (await jwtVerify(body.id_token, keys, options)).payload
  return { body, access, id }
}
