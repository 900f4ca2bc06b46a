import * as client from 'openid-client'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { TestContext } from '../support/app.ts'
import { httpAgent } from '../support/fetch-agent.ts'
import type { HttpServer } from '../support/http-server.ts'
import { PASSWORD } from '../support/fixtures.ts'
import { createClient, issuerOf, SCOPE, startE2E, stopE2E, type E2EUser } from './fixtures.ts'
import { signInAndConsent } from './sign-in.ts'

let t: TestContext
let server: HttpServer
let user: E2EUser
let redirectUri: string

beforeAll(async () => {
  ({ t, server, user, redirectUri } = await startE2E('e2e-introspect', 'e2e-introspect-staff'))
})
afterAll(() => stopE2E({ t, server }))

describe('openid-client against the running server: introspection and revocation', () => {
  it.each(['basic', 'post'] as const)('introspects, revokes the refresh token, then finds both tokens inactive (%s)',
    async (auth) => {
      const c = await createClient(t, { slug: `e2e-introspect-${auth}`, redirectUri })
      const issuer = issuerOf(server.base, c.slug)
      const method = auth === 'basic' ? client.ClientSecretBasic(c.clientSecret) : client.ClientSecretPost(c.clientSecret)
      const config = await client.discovery(issuer, c.clientId, { client_secret: c.clientSecret }, method,
        { execute: [client.allowInsecureRequests] })
      expect(config.serverMetadata()).toMatchObject({
        introspection_endpoint: `${server.base}/application/o/introspect/`,
        revocation_endpoint: `${server.base}/application/o/revoke/`,
      })

      const checks = { pkceCodeVerifier: client.randomPKCECodeVerifier(), expectedState: client.randomState() }
      const url = client.buildAuthorizationUrl(config, {
        redirect_uri: redirectUri, scope: SCOPE, state: checks.expectedState, code_challenge_method: 'S256',
        code_challenge: await client.calculatePKCECodeChallenge(checks.pkceCodeVerifier),
      })
      const callback = await signInAndConsent(httpAgent(t, server.base), server.base, url,
        { username: user.username, password: PASSWORD })
      const tokens = await client.authorizationCodeGrant(config, callback, checks)
      const claims = tokens.claims()!

      const introspected = await client.tokenIntrospection(config, tokens.access_token)
      expect(introspected).toMatchObject({ active: true, client_id: c.clientId, scope: SCOPE, sub: claims.sub,
        iss: issuer.href, aud: c.clientId, exp: claims.exp, iat: claims.iat })
      expect(await client.tokenIntrospection(config, tokens.refresh_token!, { token_type_hint: 'refresh_token' }))
        .toMatchObject({ active: true, client_id: c.clientId, sub: claims.sub })

      // RFC 7009 §2.1: revoking the refresh token also ends the access tokens of its grant.
      await client.tokenRevocation(config, tokens.refresh_token!, { token_type_hint: 'refresh_token' })
      expect(await client.tokenIntrospection(config, tokens.refresh_token!)).toEqual({ active: false })
      expect(await client.tokenIntrospection(config, tokens.access_token)).toEqual({ active: false })
      await expect(client.refreshTokenGrant(config, tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' })
      // Revoking what is already gone is no error (§2.2).
      await client.tokenRevocation(config, tokens.access_token)
    })

  it('refuses introspection by a client with a wrong secret (401 invalid_client)', async () => {
    const c = await createClient(t, { slug: 'e2e-introspect-wrong', redirectUri })
    const config = await client.discovery(issuerOf(server.base, c.slug), c.clientId, { client_secret: 'wrong' },
      client.ClientSecretBasic('wrong'), { execute: [client.allowInsecureRequests] })
    // The library reports the Basic challenge of the 401 (RFC 6749 §5.2) rather than the body's error.
    const challenged = { code: 'OAUTH_WWW_AUTHENTICATE_CHALLENGE', status: 401,
      cause: [{ scheme: 'basic', parameters: { realm: 'edge-oidc' } }] }
    await expect(client.tokenIntrospection(config, 'whatever')).rejects.toMatchObject(challenged)
    await expect(client.tokenRevocation(config, 'whatever')).rejects.toMatchObject(challenged)
  })
})
