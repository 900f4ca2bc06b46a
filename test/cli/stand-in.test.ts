import { execFile } from 'node:child_process'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { unusedPort } from '../support/http-server.ts'
import { startStandIn, type Flaws, type StandIn } from './stand-in-provider.ts'

interface Row { check: string; status: 'pass' | 'fail' | 'skip'; reason: string }

let provider: StandIn
let redirectUri: string

beforeAll(async () => {
  // Nothing listens there: the checker reads the Location and never follows it.
  redirectUri = `http://127.0.0.1:${await unusedPort()}/callback`
  provider = await startStandIn(redirectUri)
})

afterAll(() => provider?.close())

/** `edge-oidc check --json` against the stand-in with `flaws`; answers the exit code and the failing rows. */
function check(flaws: Flaws): Promise<{ code: number; rows: Row[]; failing: Record<string, string> }> {
  provider.flaws = flaws
  const args = ['bin/edge-oidc.js', 'check', `${provider.base}/`, '--client-id', provider.clientId, '--client-secret',
    provider.clientSecret, '--redirect-uri', redirectUri, '--username', 'alice', '--password', 'unused', '--json']
  return new Promise((resolve) => {
    execFile(process.execPath, args, { timeout: 60_000 }, (err, stdout) => {
      const rows = (JSON.parse(stdout) as { results: Row[] }).results
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, rows,
        failing: Object.fromEntries(rows.filter((r) => r.status !== 'pass').map((r) => [r.check, r.reason])) })
    })
  })
}

describe('edge-oidc check against a provider that is not ours', { timeout: 90_000 }, () => {
  it('passes every check of a careful one and exits 0', async () => {
    const out = await check({})
    expect(out.failing).toEqual({})
    expect(out.rows.find((r) => r.check === 'id_token.claims')?.reason).toBe('iss, aud, exp, iat, nonce, at_hash as expected')
    expect(out.code).toBe(0)
  })

  it('passes the PKCE downgrade check of one that refuses an authorization request without code_challenge', async () => {
    const out = await check({ requiresPkce: true })
    expect(out.failing).toEqual({})
    expect(out.rows.find((r) => r.check === 'negative.pkce_downgrade')?.reason)
      .toBe('an authorization request without code_challenge is refused: invalid_request')
    expect(out.code).toBe(0)
  })

  it('passes the redirect URI check of one whose error page for an unregistered one is answered 200', async () => {
    const out = await check({ redirect: 'page200' })
    expect(out.failing).toEqual({})
    expect(out.rows.find((r) => r.check === 'negative.redirect_uri')?.reason).toBe('unregistered redirect_uris '
      + '(another host, a longer path) are refused without redirecting: stopped at /authorize (200): redirect_uri mismatch')
  })

  it('passes the redirect URI check of one that sends the error to the registered redirect URI', async () => {
    const out = await check({ redirect: 'backWithError' })
    expect(out.failing).toEqual({})
  })

  it('fails the redirect URI check when an unregistered one is answered with a redirect to another site', async () => {
    const out = await check({ redirect: 'elsewhere' })
    const where = 'was answered with a redirect elsewhere: redirected to https://elsewhere.invalid/oops'
    expect(out.failing).toEqual({ 'negative.redirect_uri':
      `https://redirect-mismatch.invalid/edge-oidc-check ${where}; ${redirectUri}/edge-oidc-check ${where}` })
    expect(out.code).toBe(1)
  })

  it('fails the redirect URI check when an unregistered one is answered 500', async () => {
    const out = await check({ redirect: 'page500' })
    const stopped = `stopped at /authorize (500): redirect_uri mismatch`
    expect(out.failing).toEqual({ 'negative.redirect_uri': [
      `https://redirect-mismatch.invalid/edge-oidc-check was not refused with an error page: ${stopped}`,
      `${redirectUri}/edge-oidc-check was not refused with an error page: ${stopped}`].join('; ') })
    expect(out.code).toBe(1)
  })

  it('fails code reuse when a code can be exchanged twice', async () => {
    const out = await check({ reusableCodes: true })
    expect(out.failing).toEqual({ 'negative.code_reuse': 'a code was exchanged twice' })
    expect(out.code).toBe(1)
  })

  it('fails both PKCE checks when code_verifier is never looked at', async () => {
    const out = await check({ ignoresVerifier: true })
    expect(out.failing).toEqual({
      'negative.pkce_verifier': 'a code issued for a challenge was exchanged without a verifier; '
        + 'a code issued for a challenge was exchanged with another verifier',
      'negative.pkce_downgrade': 'a code issued without a challenge was exchanged with a code_verifier',
    })
    expect(out.code).toBe(1)
  })

  it('fails refresh when the rotated-out refresh token still works', async () => {
    const out = await check({ keepsOldRefresh: true })
    expect(out.failing).toEqual({ refresh: 'rotated, but the old refresh token still works' })
    expect(out.code).toBe(1)
  })

  it('fails every refusal check when the refusals are 500 server_error, not 400 invalid_grant', async () => {
    const out = await check({ refusesWith500: true })
    const not = 'answered 500 server_error, not 400 invalid_grant'
    expect(out.failing).toEqual({
      refresh: `the old refresh token ${not}`,
      'negative.code_reuse': `the second exchange ${not}`,
      'negative.pkce_verifier': `the exchange without a verifier ${not}; the exchange with another verifier ${not}`,
      'negative.pkce_downgrade': `the exchange with a code_verifier ${not}`,
    })
    expect(out.code).toBe(1)
  })

  it('fails the ID token signature when it is not made with a key of the JWKS', async () => {
    const out = await check({ otherKey: true })
    expect(out.failing).toEqual({ 'id_token.signature': 'signature verification failed' })
    expect(out.code).toBe(1)
  })

  it('fails an unsigned (alg: none) ID token', async () => {
    const out = await check({ unsigned: true })
    // oauth4webapi refuses it too, at the code exchange and at the refresh that answers another one.
    expect(out.failing).toEqual({ 'id_token.signature': 'alg is none: unsigned ID token',
      'flow.token': 'unexpected JWT "alg" header parameter', refresh: 'unexpected JWT "alg" header parameter' })
    expect(out.code).toBe(1)
  })

  it('fails userinfo when it names another subject than the ID token', async () => {
    const out = await check({ userinfoSub: 'mallory' })
    expect(out.failing).toEqual({ userinfo: 'userinfo\'s sub "mallory" is not the ID token\'s "alice"' })
    expect(out.code).toBe(1)
  })

  it('fails the ID token claims when at_hash is not the access token\'s', async () => {
    const out = await check({ wrongAtHash: true })
    expect(out.failing).toEqual({ 'id_token.claims': 'at_hash does not match the access token' })
    expect(out.code).toBe(1)
  })

  it('follows an unregistered redirect_uri to its host: the redirect URI check fails', async () => {
    const out = await check({ redirect: 'any' })
    expect(out.failing).toEqual({ 'negative.redirect_uri': [
      'an unregistered redirect_uri was accepted: redirected to https://redirect-mismatch.invalid/edge-oidc-check',
      `an unregistered redirect_uri was accepted: redirected to http://${new URL(redirectUri).host}/callback/edge-oidc-check`,
    ].join('; ') })
    expect(out.code).toBe(1)
  })
})
