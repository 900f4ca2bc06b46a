/**
 * What a provider must refuse (RFC 9700 §4.1 redirect URI matching, §4.2.4 / RFC 6749 §4.1.2 code reuse,
 * §4.8 PKCE downgrade) and what the checker itself must refuse (an unsigned ID token, RFC 8725 §3.1).
 */
import * as oauth from 'oauth4webapi'
import { verifyIdToken, unsignedCopy, type Expected } from './id-token.ts'
import { authorize, codeOf, type Setup, type Tokens } from './flow.ts'
import type { Results } from './results.ts'

/** A redirect URI no provider can have registered for the client (RFC 6761 §6.4: `.invalid` never resolves). */
export const WRONG_REDIRECT_URI = 'https://redirect-mismatch.invalid/edge-oidc-check'

/** Refused = an error answer (4xx with `error`); answers the reason, or null when the exchange succeeded. */
async function refusal(res: Response): Promise<string | null> {
  const body = await res.json().catch(() => ({})) as { error?: string }
  if (res.ok) return null
  return `${res.status} ${body.error ?? '(no error member)'}`
}

export async function checkNegatives(r: Results, s: Setup, e: Omit<Expected, 'nonce'>, tokens?: Tokens): Promise<void> {
  await r.run('negative.redirect_uri', async () => {
    const a = await authorize(s, WRONG_REDIRECT_URI)
    const leaked = a.callback && a.callback.href.startsWith(WRONG_REDIRECT_URI)
    if (leaked) return r.fail('negative.redirect_uri', `an unregistered redirect_uri was accepted: ${a.where}`)
    r.pass('negative.redirect_uri', `an unregistered redirect_uri is refused without redirecting: ${a.where}`)
  })

  await r.run('negative.code_reuse', async () => {
    const a = await authorize(s)
    const params = codeOf(s, a)
    const first = await oauth.authorizationCodeGrantRequest(s.as, s.client, s.auth, params, s.redirectUri, a.verifier, s.options)
    if (await refusal(first) !== null) return r.fail('negative.code_reuse', `the first exchange failed (${first.status})`)
    const again = await refusal(await oauth.authorizationCodeGrantRequest(s.as, s.client, s.auth, params, s.redirectUri,
      a.verifier, s.options))
    r.expect('negative.code_reuse', again === null ? ['a code was exchanged twice'] : [], `a second exchange is refused: ${again}`)
  })

  await r.run('negative.pkce_downgrade', async () => {
    const a = await authorize(s)
    const params = codeOf(s, a)
    // The code was issued for an S256 challenge; its exchange leaves the verifier out.
    const refused = await refusal(await oauth.authorizationCodeGrantRequest(s.as, s.client, s.auth, params, s.redirectUri,
      oauth.nopkce, s.options))
    r.expect('negative.pkce_downgrade', refused === null ? ['a code issued with a challenge was exchanged without a verifier'] : [],
      `the exchange without code_verifier is refused: ${refused}`)
  })

  if (!tokens?.idToken) return r.skip('negative.alg_none', 'no ID token to copy')
  try {
    await verifyIdToken(unsignedCopy(tokens.idToken), { ...e }, Math.floor(Date.now() / 1000))
    r.fail('negative.alg_none', 'the checker accepted an unsigned ID token')
  } catch (err) {
    r.pass('negative.alg_none', `an alg:none copy of the ID token is refused: ${(err as Error).message}`)
  }
}
