/**
 * The authorization code flow with PKCE S256 (RFC 6749 §4.1, RFC 7636, OIDC Core §3.1) as a relying party runs
 * it with oauth4webapi: sign-in through the provider's pages, code exchange, ID token, userinfo, refresh rotation.
 */
import * as jose from 'jose'
import * as oauth from 'oauth4webapi'
import { follow, type CookieJar, type SignIn } from './browser.ts'
import { atHash, claimProblems, verifySignature, type Expected } from './id-token.ts'
import { answerOf, refusalProblems } from './refusal.ts'
import type { Results } from './results.ts'

export interface Setup {
  as: oauth.AuthorizationServer
  client: oauth.Client
  auth: oauth.ClientAuth
  redirectUri: string
  scope: string
  signIn: SignIn
  jar: CookieJar
  /** The origins the browser follows redirects on (issuer's and authorization endpoint's). */
  origins: Set<string>
  options: { [oauth.allowInsecureRequests]?: boolean }
}

/** Where an authorization request ended: the redirect off the provider, or the status of the page it stopped on. */
export interface Authorization { callback?: URL; status?: number; where: string; state: string; nonce: string; verifier: string }

/**
 * Follows an authorization request (to `redirectUri` unless given; with an S256 challenge unless `pkce` is
 * false) and answers where it ended.
 */
export async function authorize(s: Setup, { redirectUri = s.redirectUri, pkce = true } = {}): Promise<Authorization> {
  const verifier = oauth.generateRandomCodeVerifier()
  const state = oauth.generateRandomState()
  const nonce = oauth.generateRandomNonce()
  const url = new URL(s.as.authorization_endpoint!)
  const challenge = pkce ? { code_challenge: await oauth.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256' } : {}
  for (const [k, v] of Object.entries({ response_type: 'code', client_id: s.client.client_id, redirect_uri: redirectUri,
    scope: s.scope, state, nonce, ...challenge })) url.searchParams.set(k, v)
  const end = await follow(s.jar, url, s.origins, s.signIn)
  if (end.kind === 'page') return { status: end.status, where: `stopped at ${end.url.pathname} (${end.status}): ${end.text}`, state, nonce, verifier }
  return { callback: end.location, where: `redirected to ${end.location.origin}${end.location.pathname}`, state, nonce, verifier }
}

/** The callback's code, after oauth4webapi's checks of state and (RFC 9207) iss; throws with the reason. */
export function codeOf(s: Setup, a: Authorization): URLSearchParams {
  if (!a.callback) throw new Error(`no redirect to the client: ${a.where}`)
  if (a.callback.origin + a.callback.pathname !== new URL(s.redirectUri).origin + new URL(s.redirectUri).pathname) {
    throw new Error(a.where)
  }
  return oauth.validateAuthResponse(s.as, s.client, a.callback, a.state)
}

export interface Tokens { access: string; idToken?: string; refresh?: string; sub?: string }

/** The positive flow, one row per step; answers the tokens (for the negative checks' alg:none copy). */
export async function checkFlow(r: Results, s: Setup, e: Omit<Expected, 'nonce'>): Promise<Tokens | undefined> {
  const a = await authorize(s)
  const params = await r.run('flow.authorize', async () => codeOf(s, a))
  if (!params) return undefined
  r.pass('flow.authorize', `signed in as ${s.signIn.username} and got a code at the redirect URI`)

  const res = await oauth.authorizationCodeGrantRequest(s.as, s.client, s.auth, params, s.redirectUri, a.verifier, s.options)
  const raw = await res.clone().json().catch(() => ({})) as Record<string, unknown>
  const processed = await r.run('flow.token', () => oauth.processAuthorizationCodeResponse(s.as, s.client, res,
    { expectedNonce: a.nonce, requireIdToken: true }))
  if (processed) r.pass('flow.token', `code exchanged with the PKCE verifier: token_type ${processed.token_type}`)
  if (typeof raw.access_token !== 'string') return undefined
  const tokens: Tokens = { access: raw.access_token,
    ...(typeof raw.id_token === 'string' && { idToken: raw.id_token }),
    ...(typeof raw.refresh_token === 'string' && { refresh: raw.refresh_token }) }
  if (!tokens.idToken) return r.fail('id_token.claims', 'the token response has no id_token'), tokens

  const expected = { ...e, nonce: a.nonce }
  const payload = await r.run('id_token.signature', () => verifySignature(tokens.idToken!, expected))
  const alg = String(jose.decodeProtectedHeader(tokens.idToken).alg)
  if (payload) r.pass('id_token.signature', `${alg} signature verified against ${alg.startsWith('HS') ? 'the client secret' : 'the JWKS'}`)
  const claims = payload ?? jose.decodeJwt(tokens.idToken)
  const problems = claimProblems(claims, expected, Math.floor(Date.now() / 1000))
  // at_hash is optional in the code flow; present, it must be the access token's (OIDC Core §3.1.3.8).
  const expectedAtHash = claims.at_hash === undefined ? null : await atHash(tokens.access, alg)
  if (expectedAtHash !== null && claims.at_hash !== expectedAtHash) {
    problems.push('at_hash does not match the access token')
  }
  r.expect('id_token.claims', problems, `iss, aud, exp, iat, nonce${claims.at_hash === undefined ? '' : ', at_hash'} as expected`)
  tokens.sub = typeof claims.sub === 'string' ? claims.sub : undefined

  await r.run('userinfo', async () => {
    if (!s.as.userinfo_endpoint) return r.skip('userinfo', 'no userinfo_endpoint')
    const res = await oauth.userInfoRequest(s.as, s.client, tokens.access, s.options)
    // OIDC Core §5.3.2: the sub of userinfo MUST be the ID token's (said here in words, before oauth4webapi's check).
    const sub = (await res.clone().json().catch(() => ({})) as { sub?: unknown }).sub
    if (res.ok && tokens.sub !== undefined && sub !== tokens.sub) {
      return r.fail('userinfo', `userinfo's sub ${JSON.stringify(sub)} is not the ID token's ${JSON.stringify(tokens.sub)}`)
    }
    const info = await oauth.processUserInfoResponse(s.as, s.client, tokens.sub ?? oauth.skipSubjectCheck, res)
    r.pass('userinfo', `sub ${info.sub} matches the ID token`)
  })
  await checkRefresh(r, s, tokens)
  return tokens
}

/** RFC 9700 §4.14.2: a refresh answers a new refresh token, and the old one is refused afterwards. */
async function checkRefresh(r: Results, s: Setup, tokens: Tokens): Promise<void> {
  if (!tokens.refresh) return r.skip('refresh', 'no refresh token issued (ask for offline_access with --scope?)')
  await r.run('refresh', async () => {
    const next = await oauth.processRefreshTokenResponse(s.as, s.client,
      await oauth.refreshTokenGrantRequest(s.as, s.client, s.auth, tokens.refresh!, s.options))
    if (!next.refresh_token) return r.pass('refresh', 'refreshed; no new refresh token (no rotation)')
    if (next.refresh_token === tokens.refresh) return r.fail('refresh', 'the same refresh token came back: not rotated')
    const replay = await answerOf(await oauth.refreshTokenGrantRequest(s.as, s.client, s.auth, tokens.refresh!, s.options))
    r.expect('refresh', refusalProblems(replay, 'rotated, but the old refresh token still works', 'the old refresh token'),
      `rotated; the old refresh token is refused (${replay.text})`)
  })
}
