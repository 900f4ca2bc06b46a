import * as client from 'openid-client'
import { importPKCS8, type JSONWebKeySet } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sha256Hex } from '../../src/crypto/hash.ts'
import type { TestContext } from '../support/app.ts'
import { httpAgent } from '../support/fetch-agent.ts'
import type { HttpServer } from '../support/http-server.ts'
import { generateKeyPair, PASSWORD, type KeySpec } from '../support/fixtures.ts'
import { createClient, issuerOf, privateKeyPem, SCOPE, startE2E, stopE2E, type E2EUser } from './fixtures.ts'
import { openToken, type RelyingPartyKeys } from './jose-checks.ts'
import { callbackParams, redirectTo, signInAndConsent } from './sign-in.ts'

interface ProviderCase {
  name: string
  alg: RelyingPartyKeys['alg']
  signing: KeySpec | null
  encryption?: KeySpec
  auth: 'basic' | 'post'
}

const RSA: KeySpec = { alg: 'rsa', key_size: 2048, validity_days: 30 }
const CASES: ProviderCase[] = [
  { name: 'rs256', alg: 'RS256', signing: RSA, auth: 'basic' },
  { name: 'es256', alg: 'ES256', signing: { alg: 'ecdsa', key_size: 256, validity_days: 30 }, auth: 'post' },
  { name: 'hs256', alg: 'HS256', signing: null, auth: 'basic' },
  { name: 'rs256-jwe', alg: 'RS256', signing: RSA, encryption: RSA, auth: 'post' },
]

let t: TestContext
let server: HttpServer
let user: E2EUser
let redirectUri: string

beforeAll(async () => {
  ({ t, server, user, redirectUri } = await startE2E('e2e-alice', 'e2e-staff'))
})
afterAll(() => stopE2E({ t, server }))

/** A provider of `spec`, its client configuration in openid-client, and what a relying party needs to open tokens. */
async function setUp(spec: ProviderCase) {
  const signing = spec.signing && await generateKeyPair(t, `e2e-${spec.name}-sig`, spec.signing)
  const encryption = spec.encryption && await generateKeyPair(t, `e2e-${spec.name}-enc`, spec.encryption)
  const c = await createClient(t, { slug: `e2e-${spec.name}`, redirectUri, signingKey: signing?.pk ?? null,
    ...(encryption && { encryptionKey: encryption.pk }) })
  const issuer = issuerOf(server.base, c.slug)
  const auth = spec.auth === 'basic' ? client.ClientSecretBasic(c.clientSecret) : client.ClientSecretPost(c.clientSecret)
  const config = await client.discovery(issuer, c.clientId, {
    client_secret: c.clientSecret, ...(spec.alg !== 'RS256' && { id_token_signed_response_alg: spec.alg }),
  }, auth, { execute: [client.allowInsecureRequests] })
  const decryptionKey = encryption && await importPKCS8(await privateKeyPem(t, encryption.pk), 'RSA-OAEP-256')
  // The JWE header names the encryption key's kid, and openid-client only selects a key whose kid matches.
  if (encryption && decryptionKey) {
    client.enableDecryptingResponses(config, ['A256CBC-HS512'], { key: decryptionKey, kid: encryption.kid })
  }
  const jwks = await (await fetch(`${server.base}/application/o/${c.slug}/jwks/`)).json() as JSONWebKeySet
  const keys: RelyingPartyKeys = { alg: spec.alg, jwks, clientSecret: c.clientSecret,
    ...(encryption && decryptionKey && { decryption: { key: decryptionKey, kid: encryption.kid } }) }
  return { c, issuer, config, keys, verify: { issuer: issuer.href, audience: c.clientId, currentDate: t.clock.now() } }
}

/** An authorization request as openid-client builds it: PKCE S256, nonce, state. */
async function authorizationRequest(config: client.Configuration, extra: Record<string, string> = {}) {
  const checks = { pkceCodeVerifier: client.randomPKCECodeVerifier(), expectedNonce: client.randomNonce(),
    expectedState: client.randomState() }
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: redirectUri, scope: SCOPE, code_challenge_method: 'S256',
    code_challenge: await client.calculatePKCECodeChallenge(checks.pkceCodeVerifier),
    nonce: checks.expectedNonce, state: checks.expectedState, ...extra,
  })
  return { url, checks }
}

describe.each(CASES)('openid-client against the running server: $name provider', (spec) => {
  it('signs in, consents, exchanges the code, reads userinfo and refreshes with rotation', async () => {
    t.clock.set(new Date())
    const { c, issuer, config, keys, verify } = await setUp(spec)
    expect(config.serverMetadata()).toMatchObject({ issuer: issuer.href, id_token_signing_alg_values_supported: [spec.alg],
      authorization_response_iss_parameter_supported: true })

    const agent = httpAgent(t, server.base)
    const first = await authorizationRequest(config)
    const callback = await signInAndConsent(agent, server.base, first.url, { username: user.username, password: PASSWORD })
    expect(callback.origin + callback.pathname).toBe(redirectUri)
    expect(callbackParams(callback)).toEqual({ state: first.checks.expectedState, iss: issuer.href })

    // The library validates the response's state and iss (RFC 9207), the ID token's iss, aud, nonce, iat and exp.
    const tokens = await client.authorizationCodeGrant(config, callback, first.checks)
    expect(tokens).toMatchObject({ token_type: 'bearer', scope: SCOPE, expires_in: expect.any(Number) })
    const claims = tokens.claims()!
    const loginTime = Math.floor(t.clock.now().getTime() / 1000)
    const sid = await sha256Hex(agent.cookies.get('edge_oidc_session')!)
    expect(claims).toMatchObject({ iss: issuer.href, aud: c.clientId, nonce: first.checks.expectedNonce,
      auth_time: loginTime, amr: ['pwd'], sid, acr: 'goauthentik.io/providers/oauth2/default',
      preferred_username: user.username, email: user.email, groups: user.groups })
    expect(claims.sub).toMatch(/^[0-9a-f]{64}$/)
    // openid-client does not check token-endpoint signatures: the relying party's own checks (and JWE layer).
    expect((await openToken(tokens.id_token!, keys, verify)).payload).toEqual(claims)
    const access = await openToken(tokens.access_token, keys, verify)
    expect(access.payload).toMatchObject({ sub: claims.sub, azp: c.clientId, scope: SCOPE, sid, amr: ['pwd'] })

    const userinfo = await client.fetchUserInfo(config, tokens.access_token, claims.sub)
    expect(userinfo).toMatchObject({ sub: claims.sub, preferred_username: user.username, email: user.email,
      groups: user.groups, nonce: first.checks.expectedNonce })

    const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token!)
    expect(refreshed.access_token).not.toBe(tokens.access_token)
    expect(refreshed.refresh_token).toEqual(expect.any(String))
    expect(refreshed.refresh_token).not.toBe(tokens.refresh_token)
    expect(refreshed.claims()).toMatchObject({ sub: claims.sub, auth_time: loginTime, amr: ['pwd'], sid })
    // authentik §6: the same claims; a refreshed ID token has no nonce, so neither has its userinfo.
    const { nonce: _, ...withoutNonce } = userinfo
    expect(await client.fetchUserInfo(config, refreshed.access_token, claims.sub)).toEqual(withoutNonce)

    // The rotated token presented again is refused, and revokes its family (RFC 9700 §4.14.2).
    await expect(client.refreshTokenGrant(config, tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' })
    await expect(client.refreshTokenGrant(config, refreshed.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' })
    const revoked = await fetch(`${server.base}/application/o/userinfo/`, {
      headers: { Authorization: `Bearer ${refreshed.access_token}` },
    })
    expect(revoked.status).toBe(401)
    expect(revoked.headers.get('WWW-Authenticate')).toContain('error="invalid_token"')

    // The same browser again with prompt=none: the session and the remembered consent answer at once.
    const second = await authorizationRequest(config, { prompt: 'none' })
    const silent = await redirectTo(await agent.get(`${second.url.pathname}${second.url.search}`), 302, server.base)
    expect(silent.origin + silent.pathname).toBe(redirectUri)
    expect(callbackParams(silent)).toEqual({ state: second.checks.expectedState, iss: issuer.href })
    const again = await client.authorizationCodeGrant(config, silent, second.checks)
    expect(again.claims()).toMatchObject({ sub: claims.sub, auth_time: loginTime, sid, nonce: second.checks.expectedNonce })
  })
})
