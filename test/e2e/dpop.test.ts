import * as client from 'openid-client'
import { calculateJwkThumbprint, decodeJwt, exportJWK } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { TestContext } from '../support/app.ts'
import { httpAgent } from '../support/fetch-agent.ts'
import type { HttpServer } from '../support/http-server.ts'
import { createProviderApp, defaultMappingPks, EXPLICIT_CONSENT, generateKeyPair, PASSWORD } from '../support/fixtures.ts'
import { issuerOf, SCOPE, startE2E, stopE2E, type E2EUser } from './fixtures.ts'
import { signInAndConsent } from './sign-in.ts'

let t: TestContext
let server: HttpServer
let user: E2EUser
let redirectUri: string

beforeAll(async () => {
  ({ t, server, user, redirectUri } = await startE2E('e2e-dpop-alice', 'e2e-dpop-staff'))
})
afterAll(() => stopE2E({ t, server }))

interface DPoPCase {
  name: string
  clientType: 'confidential' | 'public'
  provider: Record<string, unknown>
}

const CASES: DPoPCase[] = [
  { name: 'confidential', clientType: 'confidential', provider: {} },
  // openid-client retries `use_dpop_nonce` by itself, at the token endpoint and at userinfo.
  { name: 'public-nonce', clientType: 'public',
    provider: { dpop_require_nonce: true, dpop_bound_access_tokens: true } },
]

/** A provider of `spec` with an ES256 signing key, and its client configuration in openid-client. */
async function setUp(spec: DPoPCase) {
  const signing = await generateKeyPair(t, `e2e-dpop-${spec.name}-sig`, { alg: 'ecdsa', key_size: 256, validity_days: 30 })
  const slug = `e2e-dpop-${spec.name}`
  const provider = await createProviderApp(t, slug, {
    name: `e2e-${slug}`, authorization_flow: EXPLICIT_CONSENT, client_type: spec.clientType,
    redirect_uris: [{ matching_mode: 'strict', url: redirectUri }], property_mappings: await defaultMappingPks(t),
    signing_key: signing.pk, ...spec.provider,
  }, { name: `App ${slug}` })
  const auth = spec.clientType === 'public' ? client.None() : client.ClientSecretBasic(provider.client_secret)
  const config = await client.discovery(issuerOf(server.base, slug), provider.client_id, {
    id_token_signed_response_alg: 'ES256',
    ...(spec.clientType === 'confidential' && { client_secret: provider.client_secret }),
  }, auth, { execute: [client.allowInsecureRequests] })
  return config
}

describe.each(CASES)('DPoP with openid-client: $name provider', (spec) => {
  it('exchanges the code, reads userinfo and refreshes, every token bound to the client\'s key', async () => {
    t.clock.set(new Date())
    const config = await setUp(spec)
    expect(config.serverMetadata().dpop_signing_alg_values_supported).toEqual(['ES256', 'ES384', 'RS256', 'PS256', 'EdDSA'])
    const keyPair = await client.randomDPoPKeyPair('ES256')
    const jkt = await calculateJwkThumbprint(await exportJWK(keyPair.publicKey))
    const DPoP = client.getDPoPHandle(config, keyPair)

    const checks = { pkceCodeVerifier: client.randomPKCECodeVerifier(), expectedNonce: client.randomNonce(),
      expectedState: client.randomState() }
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: redirectUri, scope: SCOPE, code_challenge_method: 'S256',
      code_challenge: await client.calculatePKCECodeChallenge(checks.pkceCodeVerifier),
      nonce: checks.expectedNonce, state: checks.expectedState,
    })
    const callback = await signInAndConsent(httpAgent(t, server.base), server.base, url,
      { username: user.username, password: PASSWORD })

    const tokens = await client.authorizationCodeGrant(config, callback, checks, undefined, { DPoP })
    expect(tokens.token_type).toBe('dpop')
    expect(decodeJwt(tokens.access_token).cnf).toEqual({ jkt })
    const sub = tokens.claims()!.sub

    const userinfo = await client.fetchUserInfo(config, tokens.access_token, sub, { DPoP })
    expect(userinfo).toMatchObject({ sub, preferred_username: user.username, email: user.email })

    // The bound token is no bearer token (RFC 9449 §7.2).
    const asBearer = await fetch(`${server.base}/application/o/userinfo/`,
      { headers: { Authorization: `Bearer ${tokens.access_token}` } })
    expect(asBearer.status).toBe(401)
    expect(asBearer.headers.get('WWW-Authenticate')).toMatch(/^DPoP error="invalid_token", .*algs="ES256 /)

    const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token!, undefined, { DPoP })
    expect(refreshed.token_type).toBe('dpop')
    expect(refreshed.refresh_token).not.toBe(tokens.refresh_token)
    expect(decodeJwt(refreshed.access_token).cnf).toEqual({ jkt })
    expect(await client.fetchUserInfo(config, refreshed.access_token, sub, { DPoP })).toMatchObject({ sub })

    if (spec.provider.dpop_require_nonce) {
      // Each endpoint first answered use_dpop_nonce, and openid-client retried with the nonce it was given.
      const refusals = t.log.lines.filter((l) => l.msg === 'token request refused' && l.error === 'use_dpop_nonce')
      expect(refusals.length).toBeGreaterThan(0)
      const userinfo401 = t.log.lines.filter((l) => l.msg === 'request' && l.path === '/application/o/userinfo/'
        && l.status === 401)
      expect(userinfo401.length).toBeGreaterThan(1)
    }

    if (spec.clientType === 'public') {
      // §5: a public client's refresh token needs a proof of the same key.
      const stranger = client.getDPoPHandle(config, await client.randomDPoPKeyPair('ES256'))
      await expect(client.refreshTokenGrant(config, refreshed.refresh_token!, undefined, { DPoP: stranger }))
        .rejects.toMatchObject({ error: 'invalid_grant' })
      await expect(client.refreshTokenGrant(config, refreshed.refresh_token!))
        .rejects.toMatchObject({ error: spec.provider.dpop_bound_access_tokens ? 'invalid_dpop_proof' : 'invalid_grant' })
    }
  })
})
