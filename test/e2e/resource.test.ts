import * as client from 'openid-client'
import { createRemoteJWKSet, decodeJwt, jwtVerify } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { TestContext } from '../support/app.ts'
import { httpAgent } from '../support/fetch-agent.ts'
import type { HttpServer } from '../support/http-server.ts'
import {
  createProviderApp, defaultMappingPks, EXPLICIT_CONSENT, generateKeyPair, PASSWORD,
} from '../support/fixtures.ts'
import { issuerOf, SCOPE, startE2E, stopE2E, type E2EUser } from './fixtures.ts'
import { signInAndConsent } from './sign-in.ts'

const API = 'https://api.example.com/'
const REPORTS = 'urn:example:reports'

let t: TestContext
let server: HttpServer
let user: E2EUser
let redirectUri: string

beforeAll(async () => {
  ({ t, server, user, redirectUri } = await startE2E('e2e-resource-alice', 'e2e-resource-staff'))
})
afterAll(() => stopE2E({ t, server }))

/** A confidential provider of `format` allowing API and REPORTS, and openid-client's configuration for it. */
async function setUp(slug: string, format: 'authentik' | 'rfc9068') {
  const key = await generateKeyPair(t, `${slug}-sig`, { alg: 'rsa', key_size: 2048, validity_days: 30 })
  const p = await createProviderApp(t, slug, {
    name: `e2e-${slug}`, authorization_flow: EXPLICIT_CONSENT, client_type: 'confidential',
    redirect_uris: [{ matching_mode: 'strict', url: redirectUri }], property_mappings: await defaultMappingPks(t),
    signing_key: key.pk, allowed_resources: [API, REPORTS], access_token_format: format,
  }, { name: `App ${slug}` })
  const issuer = issuerOf(server.base, slug)
  const config = await client.discovery(issuer, p.client_id, p.client_secret,
    client.ClientSecretBasic(p.client_secret), { execute: [client.allowInsecureRequests] })
  const jwks = createRemoteJWKSet(new URL(`${server.base}/application/o/${slug}/jwks/`))
  return { clientId: p.client_id, issuer, config, jwks }
}

describe.each(['authentik', 'rfc9068'] as const)('openid-client with resource indicators: %s format', (format) => {
  it('asks for a resource at authorize and token, gets an audience-restricted token, and narrows on refresh',
    async () => {
      t.clock.set(new Date())
      const { clientId, issuer, config, jwks } = await setUp(`e2e-resource-${format}`, format)
      const checks = { pkceCodeVerifier: client.randomPKCECodeVerifier(), expectedState: client.randomState() }
      const url = client.buildAuthorizationUrl(config, new URLSearchParams([
        ['redirect_uri', redirectUri], ['scope', SCOPE], ['state', checks.expectedState],
        ['code_challenge_method', 'S256'], ['code_challenge', await client.calculatePKCECodeChallenge(checks.pkceCodeVerifier)],
        ['resource', API],
      ]))
      const agent = httpAgent(t, server.base)
      const callback = await signInAndConsent(agent, server.base, url, { username: user.username, password: PASSWORD })

      const tokens = await client.authorizationCodeGrant(config, callback, checks, { resource: API })
      expect(tokens.claims()!.aud).toBe(clientId)
      const typ = format === 'rfc9068' ? 'at+jwt' : 'JWT'
      const { payload } = await jwtVerify(tokens.access_token, jwks, { typ, issuer: issuer.href, audience: API,
        currentDate: t.clock.now() })
      expect(payload.aud).toBe(API)
      if (format === 'rfc9068') expect(payload.client_id).toBe(clientId)
      else expect(payload.azp).toBe(clientId)

      // Userinfo is no resource the token was issued for: it is that API's (RFC 8707 §2, RFC 9068 §4).
      await expect(client.fetchUserInfo(config, tokens.access_token, tokens.claims()!.sub))
        .rejects.toMatchObject({ code: 'OAUTH_WWW_AUTHENTICATE_CHALLENGE', status: 401,
          cause: [expect.objectContaining({ scheme: 'bearer', parameters: expect.objectContaining({ error: 'invalid_token' }) })] })

      // A resource the grant does not cover is refused with the RFC's error.
      await expect(client.refreshTokenGrant(config, tokens.refresh_token!, { resource: REPORTS }))
        .rejects.toMatchObject({ error: 'invalid_target', status: 400 })
      const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token!, { resource: API })
      expect(decodeJwt(refreshed.access_token).aud).toBe(API)
    })

  it('asks for two resources with client_credentials and gets both as aud', async () => {
    t.clock.set(new Date())
    const { config, jwks, issuer } = await setUp(`e2e-resource-cc-${format}`, format)
    const tokens = await client.clientCredentialsGrant(config, new URLSearchParams([['scope', 'openid'],
      ['resource', API], ['resource', REPORTS]]))
    const typ = format === 'rfc9068' ? 'at+jwt' : 'JWT'
    const { payload } = await jwtVerify(tokens.access_token, jwks, { typ, issuer: issuer.href, audience: REPORTS,
      currentDate: t.clock.now() })
    expect(payload.aud).toEqual([API, REPORTS])
    await expect(client.clientCredentialsGrant(config, { resource: 'https://elsewhere.example.com/' }))
      .rejects.toMatchObject({ error: 'invalid_target' })
  })
})
