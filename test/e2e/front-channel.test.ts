import * as client from 'openid-client'
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { base64urlEncode } from '../../src/crypto/encoding.ts'
import type { TestContext } from '../support/app.ts'
import { httpAgent } from '../support/fetch-agent.ts'
import type { HttpServer } from '../support/http-server.ts'
import {
  createProviderApp, defaultMappingPks, EXPLICIT_CONSENT, generateKeyPair, PASSWORD, type KeySpec,
} from '../support/fixtures.ts'
import { issuerOf, startE2E, stopE2E, type E2EUser } from './fixtures.ts'
import { signInAndConsent } from './sign-in.ts'

let t: TestContext
let server: HttpServer
let user: E2EUser
let redirectUri: string

beforeAll(async () => {
  ({ t, server, user, redirectUri } = await startE2E('e2e-front', 'e2e-front-staff'))
})
afterAll(() => stopE2E({ t, server }))

/** A confidential provider with implicit and hybrid enabled, signing with `key`, and its openid-client config. */
async function setUp(slug: string, key: KeySpec, alg: string, execute: Array<(c: client.Configuration) => void> = []) {
  const signing = await generateKeyPair(t, `${slug}-sig`, key)
  const p = await createProviderApp(t, slug, {
    name: slug, authorization_flow: EXPLICIT_CONSENT, redirect_uris: [{ matching_mode: 'strict', url: redirectUri }],
    property_mappings: await defaultMappingPks(t), signing_key: signing.pk,
    grant_types: ['authorization_code', 'implicit', 'hybrid'],
  }, { name: `App ${slug}` })
  const issuer = issuerOf(server.base, slug)
  const config = await client.discovery(issuer, p.client_id, {
    client_secret: p.client_secret, id_token_signed_response_alg: alg,
  }, client.ClientSecretPost(p.client_secret), { execute: [client.allowInsecureRequests, ...execute] })
  return { p, issuer, config }
}

const signIn = (url: URL) =>
  signInAndConsent(httpAgent(t, server.base), server.base, url, { username: user.username, password: PASSWORD })

describe('openid-client against the running server: implicit and hybrid', () => {
  it.each([['RS256', { alg: 'rsa', key_size: 2048 }], ['ES384', { alg: 'ecdsa', key_size: 384 }]] as const)(
    'hybrid code id_token (%s): the library validates the ID token and its c_hash, then exchanges the code',
    async (alg, key) => {
      const { p, issuer, config } = await setUp(`e2e-hybrid-${alg.toLowerCase()}`, key, alg,
        [client.useCodeIdTokenResponseType])
      expect(config.serverMetadata().response_types_supported).toContain('code id_token')
      const checks = { pkceCodeVerifier: client.randomPKCECodeVerifier(), expectedNonce: client.randomNonce(),
        expectedState: client.randomState() }
      const url = client.buildAuthorizationUrl(config, {
        redirect_uri: redirectUri, scope: 'openid email', nonce: checks.expectedNonce, state: checks.expectedState,
        code_challenge_method: 'S256', code_challenge: await client.calculatePKCECodeChallenge(checks.pkceCodeVerifier),
      })
      expect(url.searchParams.get('response_type')).toBe('code id_token')
      const callback = await signIn(url)
      expect(callback.search).toBe('')
      expect([...new URLSearchParams(callback.hash.slice(1)).keys()])
        .toEqual(['id_token', 'code', 'token_type', 'expires_in', 'state', 'iss'])

      const tokens = await client.authorizationCodeGrant(config, callback, checks)
      expect(tokens.claims()).toMatchObject({ iss: issuer.href, aud: p.client_id, nonce: checks.expectedNonce,
        email: user.email, amr: ['pwd'] })

      // The library refuses a c_hash that does not fit the code: a code swapped in transit.
      const swapped = new URL(callback)
      const fragment = new URLSearchParams(callback.hash.slice(1))
      fragment.set('code', 'A'.repeat(48))
      swapped.hash = fragment.toString()
      await expect(client.authorizationCodeGrant(config, swapped, checks)).rejects
        .toMatchObject({ cause: { message: 'invalid ID Token "c_hash" (code hash) claim value' } })
    })

  it('implicit id_token: the library validates the ID token', async () => {
    const { p, config } = await setUp('e2e-implicit', { alg: 'rsa', key_size: 2048 }, 'RS256',
      [client.useIdTokenResponseType])
    const nonce = client.randomNonce()
    const state = client.randomState()
    const url = client.buildAuthorizationUrl(config, { redirect_uri: redirectUri, scope: 'openid', nonce, state })
    expect(url.searchParams.get('response_type')).toBe('id_token')
    const callback = await signIn(url)
    const claims = await client.implicitAuthentication(config, callback, nonce, { expectedState: state })
    expect(claims).toMatchObject({ aud: p.client_id, nonce, amr: ['pwd'] })
  })

  it('implicit id_token token: the ID token\'s signature (our JWKS) and at_hash fit the access token', async () => {
    const { p, issuer, config } = await setUp('e2e-implicit-token', { alg: 'ecdsa', key_size: 256 }, 'ES256')
    const nonce = client.randomNonce()
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: redirectUri, response_type: 'id_token token', scope: 'openid profile', nonce, state: 's-1',
    })
    const callback = await signIn(url)
    const params = Object.fromEntries(new URLSearchParams(callback.hash.slice(1)))
    expect(params).toMatchObject({ token_type: 'Bearer', state: 's-1', iss: issuer.href })

    const jwks = createRemoteJWKSet(new URL(config.serverMetadata().jwks_uri!))
    const verify = { issuer: issuer.href, audience: p.client_id, currentDate: t.clock.now(), algorithms: ['ES256'] }
    const { payload } = await jwtVerify(params.id_token!, jwks, verify)
    expect(decodeProtectedHeader(params.id_token!).alg).toBe('ES256')
    expect(payload.nonce).toBe(nonce)
    const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(params.access_token)))
    expect(payload.at_hash).toBe(base64urlEncode(digest.subarray(0, 16)))

    // The access token works as a bearer token at userinfo, through the library.
    const info = await client.fetchUserInfo(config, params.access_token!, payload.sub!)
    expect(info).toMatchObject({ sub: payload.sub, preferred_username: user.username })
  })
})
