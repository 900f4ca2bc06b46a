import * as client from 'openid-client'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestContext, type TestContext } from '../support/app.ts'
import { httpAgent } from '../support/fetch-agent.ts'
import { createProviderApp, defaultMappingPks, EXPLICIT_CONSENT, generateKeyPair, PASSWORD } from '../support/fixtures.ts'
import { startHttpServer, unusedPort, type HttpServer } from '../support/http-server.ts'
import { createUser, issuerOf, SCOPE } from './fixtures.ts'
import { redirectTo, signInAndConsent } from './sign-in.ts'

let t: TestContext
let server: HttpServer
let redirectUri: string
let logoutUri: string

beforeAll(async () => {
  t = await createTestContext()
  t.clock.set(new Date())
  server = await startHttpServer(t)
  await createUser(t, 'e2e-logout', 'e2e-logout-staff')
  const port = await unusedPort()
  redirectUri = `http://127.0.0.1:${port}/callback`
  logoutUri = `http://127.0.0.1:${port}/signed-out`
}, 60_000)
afterAll(async () => {
  await server?.close()
  await t?.close()
})

describe('openid-client end-session (OIDC RP-Initiated Logout 1.0)', () => {
  it('signs in, ends the session with id_token_hint, the registered URI and a state, then prompt=none gives login_required', async () => {
    const key = await generateKeyPair(t, 'e2e-logout-signing', { alg: 'rsa', key_size: 2048 })
    const p = await createProviderApp(t, 'e2e-logout', {
      authorization_flow: EXPLICIT_CONSENT, signing_key: key.pk, property_mappings: await defaultMappingPks(t),
      redirect_uris: [{ matching_mode: 'strict', url: redirectUri },
        { matching_mode: 'strict', url: logoutUri, redirect_uri_type: 'logout' }],
    })
    const issuer = issuerOf(server.base, 'e2e-logout')
    const config = await client.discovery(issuer, p.client_id, p.client_secret, undefined,
      { execute: [client.allowInsecureRequests] })
    expect(config.serverMetadata()).toMatchObject({ end_session_endpoint: `${issuer.href}end-session/`,
      backchannel_logout_supported: true, frontchannel_logout_supported: true })

    const agent = httpAgent(t, server.base)
    const checks = { pkceCodeVerifier: client.randomPKCECodeVerifier(), expectedState: client.randomState() }
    const url = client.buildAuthorizationUrl(config, { redirect_uri: redirectUri, scope: SCOPE, state: checks.expectedState,
      code_challenge_method: 'S256', code_challenge: await client.calculatePKCECodeChallenge(checks.pkceCodeVerifier) })
    const callback = await signInAndConsent(agent, server.base, url, { username: 'e2e-logout', password: PASSWORD })
    const tokens = await client.authorizationCodeGrant(config, callback, checks)

    const state = client.randomState()
    const endSession = client.buildEndSessionUrl(config, { id_token_hint: tokens.id_token!,
      post_logout_redirect_uri: logoutUri, state })
    const landed = await redirectTo(await agent.get(`${endSession.pathname}${endSession.search}`), 302, server.base)
    expect(landed.origin + landed.pathname).toBe(logoutUri)
    expect(Object.fromEntries(landed.searchParams)).toEqual({ state })
    expect(agent.cookies.has('edge_oidc_session')).toBe(false)

    const silent = client.buildAuthorizationUrl(config, { redirect_uri: redirectUri, scope: SCOPE, state: 'again',
      prompt: 'none', code_challenge_method: 'S256', code_challenge: await client.calculatePKCECodeChallenge(checks.pkceCodeVerifier) })
    const answer = await redirectTo(await agent.get(`${silent.pathname}${silent.search}`), 302, server.base)
    expect(answer.origin + answer.pathname).toBe(redirectUri)
    expect(answer.searchParams.get('error')).toBe('login_required')
    expect(answer.searchParams.get('state')).toBe('again')
    // The ended session's access token no longer works.
    const userinfo = await fetch(`${server.base}/application/o/userinfo/`, { headers: { Authorization: `Bearer ${tokens.access_token}` } })
    expect(userinfo.status).toBe(401)
  })
})
