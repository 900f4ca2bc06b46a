/**
 * What a provider must refuse (RFC 9700 §4.1 redirect URI matching, §4.2.4 / RFC 6749 §4.1.2 code reuse,
 * RFC 7636 §4.6 a missing or wrong verifier, RFC 9700 §4.8.2 PKCE downgrade) and what the checker itself must
 * refuse (an unsigned ID token, RFC 8725 §3.1).
 */
import * as oauth from 'oauth4webapi'
import { verifyIdToken, unsignedCopy, type Expected } from './id-token.ts'
import { authorize, codeOf, type Authorization, type Setup, type Tokens } from './flow.ts'
import { answerOf, refusalProblems } from './refusal.ts'
import type { Results } from './results.ts'

/** A redirect URI no provider can have registered for the client (RFC 6761 §6.4: `.invalid` never resolves). */
export const WRONG_REDIRECT_URI = 'https://redirect-mismatch.invalid/edge-oidc-check'

/** The registered redirect URI one path segment longer: what a provider matching by prefix lets through. */
export function longerRedirectUri(registered: string): string {
  const url = new URL(registered)
  url.pathname = `${url.pathname.replace(/\/$/, '')}/edge-oidc-check`
  return url.href
}

const endpointOf = (url: URL | string) => { const u = new URL(url); return u.origin + u.pathname }

/**
 * RFC 6749 §4.1.2.1, RFC 9700 §4.1.3: a request with an unregistered redirect_uri ends on a page of the provider
 * that tells the user (any status the spec allows, 4xx usual; a 5xx is a failure, not a refusal), never on a
 * redirect there; a redirect to the registered URI carrying `error` is also a refusal. Answers the problem, or null.
 */
export function redirectProblem(a: Authorization, probe: string, registered: string): string | null {
  if (!a.callback) return a.status !== undefined && a.status >= 200 && a.status < 500 ? null
    : `${probe} was not refused with an error page: ${a.where}`
  if (endpointOf(a.callback) === endpointOf(probe)) return `an unregistered redirect_uri was accepted: ${a.where}`
  if (endpointOf(a.callback) === endpointOf(registered) && a.callback.searchParams.has('error')) return null
  return `${probe} was answered with a redirect elsewhere: ${a.where}`
}

const exchange = (s: Setup, params: URLSearchParams, verifier: string | typeof oauth.nopkce) =>
  oauth.authorizationCodeGrantRequest(s.as, s.client, s.auth, params, s.redirectUri, verifier, s.options)

export async function checkNegatives(r: Results, s: Setup, e: Omit<Expected, 'nonce'>, tokens?: Tokens): Promise<void> {
  await r.run('negative.redirect_uri', async () => {
    const probes = [WRONG_REDIRECT_URI, longerRedirectUri(s.redirectUri)]
    const ends: Authorization[] = []
    // One after the other: both requests share the browser's cookies.
    for (const redirectUri of probes) ends.push(await authorize(s, { redirectUri }))
    r.expect('negative.redirect_uri', probes.flatMap((p, i) => redirectProblem(ends[i]!, p, s.redirectUri) ?? []),
      `unregistered redirect_uris (another host, a longer path) are refused without redirecting: ${ends[0]!.where}`)
  })

  await r.run('negative.code_reuse', async () => {
    const a = await authorize(s)
    const params = codeOf(s, a)
    const first = await answerOf(await exchange(s, params, a.verifier))
    if (!first.accepted) return r.fail('negative.code_reuse', `the first exchange failed (${first.text})`)
    const again = await answerOf(await exchange(s, params, a.verifier))
    r.expect('negative.code_reuse', refusalProblems(again, 'a code was exchanged twice', 'the second exchange'),
      `a second exchange is refused: ${again.text}`)
  })

  // RFC 7636 §4.6: a code issued for an S256 challenge needs its verifier; each case on a code of its own.
  await r.run('negative.pkce_verifier', async () => {
    const missing = await answerOf(await exchange(s, codeOf(s, await authorize(s)), oauth.nopkce))
    const wrong = await answerOf(await exchange(s, codeOf(s, await authorize(s)), oauth.generateRandomCodeVerifier()))
    r.expect('negative.pkce_verifier', [
      ...refusalProblems(missing, 'a code issued for a challenge was exchanged without a verifier', 'the exchange without a verifier'),
      ...refusalProblems(wrong, 'a code issued for a challenge was exchanged with another verifier', 'the exchange with another verifier'),
    ], `the exchange without code_verifier is refused (${missing.text}), and with a wrong one (${wrong.text})`)
  })

  // RFC 9700 §4.8.2: with no code_challenge at authorize, a token request carrying a code_verifier is refused.
  await r.run('negative.pkce_downgrade', async () => {
    const a = await authorize(s, { pkce: false })
    const error = a.callback?.searchParams.get('error')
    if (error && endpointOf(a.callback!) === endpointOf(s.redirectUri)) {
      return r.pass('negative.pkce_downgrade', `an authorization request without code_challenge is refused: ${error}`)
    }
    const refused = await answerOf(await exchange(s, codeOf(s, a), a.verifier))
    r.expect('negative.pkce_downgrade', refusalProblems(refused,
      'a code issued without a challenge was exchanged with a code_verifier', 'the exchange with a code_verifier'),
    `a code_verifier for a code issued without code_challenge is refused: ${refused.text}`)
  })

  if (!tokens?.idToken) return r.skip('negative.alg_none', 'no ID token to copy')
  try {
    await verifyIdToken(unsignedCopy(tokens.idToken), { ...e }, Math.floor(Date.now() / 1000))
    r.fail('negative.alg_none', 'the checker accepted an unsigned ID token')
  } catch (err) {
    r.pass('negative.alg_none', `an alg:none copy of the ID token is refused: ${(err as Error).message}`)
  }
}
