import { createLocalJWKSet, decodeProtectedHeader, jwtVerify, type JSONWebKeySet, type JWTPayload } from 'jose'
import { expect } from 'vitest'
import { base64urlEncode } from '../../../src/crypto/encoding.ts'
import type { TestContext } from '../../support/app.ts'
import { createProviderApp, json } from '../../support/fixtures.ts'
import { authorizePath, type Client } from './helpers.ts'

/** A provider of the implicit and hybrid tests: its client, secret and JWKS. */
export interface FrontChannelClient extends Client { clientSecret: string; jwks: JSONWebKeySet }

export async function createFrontChannelClient(t: TestContext, slug: string, provider: Record<string, unknown>):
  Promise<FrontChannelClient> {
  const p = await createProviderApp(t, slug, {
    redirect_uris: [{ url: 'foo://localhost' }, { url: 'http://localhost' }],
    grant_types: ['authorization_code', 'implicit', 'hybrid', 'refresh_token'], ...provider,
  }, { name: `App ${slug}` })
  const jwks = await json<JSONWebKeySet>(t.request(`/application/o/${slug}/jwks/`))
  return {
    pk: p.pk, clientId: p.client_id, clientSecret: p.client_secret, slug, jwks,
    iss: `http://localhost/application/o/${slug}/`,
  }
}

/** A front-channel request of `c` to http://localhost (the reference tests' redirect URI). */
export function frontChannel(c: Client, responseType: string, extra: Record<string, string> = {}): string {
  return authorizePath({
    client_id: c.clientId, redirect_uri: 'http://localhost', response_type: responseType, scope: 'openid',
    nonce: 'nonce-1', state: 'st', ...extra,
  })
}

/** OIDC Core §3.3.2.11: base64url of the left half of the SHA-2 digest that fits `alg`. */
export async function leftHalf(value: string, alg: string): Promise<string> {
  const hash = { RS256: 'SHA-256', ES256: 'SHA-256', HS256: 'SHA-256', ES384: 'SHA-384', ES512: 'SHA-512' }[alg]
  if (!hash) throw new Error(`no hash for ${alg}`)
  const digest = new Uint8Array(await crypto.subtle.digest(hash, new TextEncoder().encode(value)))
  return base64urlEncode(digest.subarray(0, digest.length / 2))
}

/** Verify a JWS of `c` (its JWKS, or its secret for HS256) as a relying party would; its claims. */
export async function verified(t: TestContext, c: FrontChannelClient, jws: string): Promise<JWTPayload> {
  const { alg } = decodeProtectedHeader(jws)
  const options = { issuer: c.iss, audience: c.clientId, currentDate: t.clock.now(), algorithms: [alg!] }
  const { payload } = alg === 'HS256'
    ? await jwtVerify(jws, new TextEncoder().encode(c.clientSecret), options)
    : await jwtVerify(jws, createLocalJWKSet(c.jwks), options)
  return payload
}

/** The parameters of a front-channel redirect (302, fragment, no-store), in order. */
export function fragmentOf(res: Response): Array<[string, string]> {
  expect(res.status, `${res.status} ${res.headers.get('Location')}`).toBe(302)
  expect(res.headers.get('Cache-Control')).toBe('no-store')
  const url = new URL(res.headers.get('Location')!)
  expect(url.search).toBe('')
  return [...new URLSearchParams(url.hash.slice(1))]
}
