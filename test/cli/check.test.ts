import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestContext, type TestContext } from '../support/app.ts'
import { startHttpServer, unusedPort, type HttpServer } from '../support/http-server.ts'
import {
  createProviderApp, createUserWithPassword, defaultMappingPks, EXPLICIT_CONSENT, generateKeyPair, PASSWORD,
} from '../support/fixtures.ts'

const run = promisify(execFile)
const WRONG = 'https://redirect-mismatch.invalid/edge-oidc-check'

interface Row { check: string; status: 'pass' | 'fail' | 'skip'; reason: string }
interface Outcome { code: number; stdout: string; stderr: string }

let t: TestContext
let server: HttpServer
let redirectUri: string

beforeAll(async () => {
  t = await createTestContext()
  // The checker holds iat and exp to the real time: the fixed clock starts there (and stays fixed).
  t.clock.set(new Date())
  server = await startHttpServer(t)
  await createUserWithPassword(t, 'check-alice')
  // Nothing listens there: the checker reads the Location and never follows it.
  redirectUri = `http://127.0.0.1:${await unusedPort()}/callback`
})

afterAll(async () => {
  await server?.close()
  await t?.close()
})

/**
 * A confidential provider (explicit consent, managed scopes) with `redirect_uris`, and its application; signed
 * with a new RS256 key, or HS256 with the client secret when `signed` is false.
 */
async function provider(slug: string, redirectUris: unknown[], signed = true) {
  const key = signed ? await generateKeyPair(t, `${slug}-sig`, { alg: 'rsa', key_size: 2048, validity_days: 30 }) : null
  const p = await createProviderApp(t, slug, {
    authorization_flow: EXPLICIT_CONSENT, client_type: 'confidential', redirect_uris: redirectUris,
    property_mappings: await defaultMappingPks(t), signing_key: key?.pk ?? null,
  })
  return { issuer: `${server.base}/application/o/${slug}/`, clientId: p.client_id, clientSecret: p.client_secret }
}

/** `edge-oidc check` as a child process (its own Node, through the package's bin); never rejects. */
async function check(args: string[]): Promise<Outcome> {
  try {
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', 'bin/edge-oidc.js', 'check', ...args],
      { timeout: 60_000 })
    return { code: 0, stdout, stderr }
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string }
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? String(err) }
  }
}

const flowArgs = (p: { issuer: string; clientId: string; clientSecret: string }) => [p.issuer,
  '--client-id', p.clientId, '--client-secret', p.clientSecret, '--redirect-uri', redirectUri,
  '--username', 'check-alice', '--password', PASSWORD]

const CHECKS = ['discovery', 'discovery.issuer', 'discovery.required', 'discovery.endpoints', 'discovery.pkce',
  'discovery.types', 'discovery.algs', 'jwks', 'flow.authorize', 'flow.token', 'id_token.signature', 'id_token.claims',
  'userinfo', 'refresh', 'negative.redirect_uri', 'negative.code_reuse', 'negative.pkce_verifier', 'negative.pkce_downgrade', 'negative.alg_none']

// Each test runs a whole sign-in in a child process: give it room on a loaded machine.
describe('edge-oidc check against our own server', { timeout: 90_000 }, () => {
  it('passes every check of a well-configured provider and exits 0', async () => {
    const p = await provider('check-good', [{ matching_mode: 'strict', url: redirectUri }])
    const out = await check([...flowArgs(p), '--json'])
    expect(out.stderr).toBe('')
    const report = JSON.parse(out.stdout) as { issuer: string; ok: boolean; results: Row[] }
    expect(report.results.filter((r) => r.status !== 'pass')).toEqual([])
    expect(report.results.map((r) => r.check)).toEqual(CHECKS)
    expect(report).toMatchObject({ issuer: p.issuer, ok: true })
    expect(out.code).toBe(0)
    const reasons = Object.fromEntries(report.results.map((r) => [r.check, r.reason]))
    expect(reasons).toMatchObject({
      'id_token.signature': 'RS256 signature verified against the JWKS',
      'id_token.claims': 'iss, aud, exp, iat, nonce as expected',
      refresh: 'rotated; the old refresh token is refused (400 invalid_grant)',
      'negative.code_reuse': 'a second exchange is refused: 400 invalid_grant',
      'negative.alg_none': 'an alg:none copy of the ID token is refused: alg is none: unsigned ID token',
    })
    expect(reasons['negative.redirect_uri']).toMatch(
      /^unregistered redirect_uris \(another host, a longer path\) are refused without redirecting: stopped at .* \(400\): /)
    expect(reasons['negative.pkce_verifier']).toBe(
      'the exchange without code_verifier is refused (400 invalid_grant), and with a wrong one (400 invalid_grant)')
    expect(reasons['negative.pkce_downgrade']).toBe(
      'a code_verifier for a code issued without code_challenge is refused: 400 invalid_grant')
  })

  it('reports a provider whose redirect URIs are the regex .* as failing the mismatch check, and exits 1', async () => {
    const p = await provider('check-open-redirect', [{ matching_mode: 'regex', url: '.*' }])
    const out = await check(flowArgs(p))
    expect(out.code).toBe(1)
    const lines = out.stdout.trimEnd().split('\n')
    const failing = lines.filter((l) => / FAIL /.test(l))
    expect(failing).toEqual([`negative.redirect_uri    FAIL    an unregistered redirect_uri was accepted: redirected to ${
      WRONG}; an unregistered redirect_uri was accepted: redirected to ${redirectUri}/edge-oidc-check`])
    expect(lines.filter((l) => / PASS /.test(l))).toHaveLength(CHECKS.length - 1)
    expect(lines.at(-1)).toBe(`1 of ${CHECKS.length} checks failed`)
  })

  it('fails the mismatch check of a provider matching by prefix: the registered URI one segment longer is let through', async () => {
    const prefix = `${redirectUri.replace(/[.]/g, '\\.')}.*`
    const p = await provider('check-prefix', [{ matching_mode: 'regex', url: prefix }])
    const out = await check([...flowArgs(p), '--json'])
    const rows = (JSON.parse(out.stdout) as { results: Row[] }).results
    expect(rows.filter((r) => r.status !== 'pass')).toEqual([{ check: 'negative.redirect_uri', status: 'fail',
      reason: `an unregistered redirect_uri was accepted: redirected to ${redirectUri}/edge-oidc-check` }])
    expect(out.code).toBe(1)
  })

  it('verifies an HS256 provider\'s ID token with the client secret (its JWKS is empty)', async () => {
    const p = await provider('check-hs256', [{ matching_mode: 'strict', url: redirectUri }], false)
    const out = await check([...flowArgs(p), '--json'])
    const rows = (JSON.parse(out.stdout) as { results: Row[] }).results
    expect(rows.filter((r) => r.status !== 'pass')).toEqual([])
    expect(rows.filter((r) => ['jwks', 'id_token.signature'].includes(r.check)).map((r) => r.reason)).toEqual([
      '0 public key(s), each with kty, kid and use/alg', 'HS256 signature verified against the client secret'])
    expect(out.code).toBe(0)
  })

  it('fills the login form by the field names given: a name the page lacks stops the flow there', async () => {
    const p = await provider('check-fields', [{ matching_mode: 'strict', url: redirectUri }])
    const out = await check([...flowArgs(p), '--username-field', 'login', '--json'])
    expect(out.code).toBe(1)
    const rows = (JSON.parse(out.stdout) as { results: Row[] }).results
    expect(rows.find((r) => r.check === 'flow.authorize')).toMatchObject({ status: 'fail',
      reason: expect.stringMatching(/^no redirect to the client: stopped at \/login \(200\): /) })
    expect(rows.filter((r) => r.check.startsWith('negative'))).toEqual([{ check: 'negative', status: 'skip',
      reason: 'the code flow did not reach the redirect URI: negative checks not run' }])
  })

  it('refuses a wrong password: the flow stops on the login page and the command exits 1', async () => {
    const p = await provider('check-bad-password', [{ matching_mode: 'strict', url: redirectUri }])
    const args = flowArgs(p)
    args[args.length - 1] = 'not the password'
    const out = await check([...args, '--json'])
    expect(out.code).toBe(1)
    const rows = (JSON.parse(out.stdout) as { results: Row[] }).results
    expect(rows.find((r) => r.check === 'flow.authorize')).toMatchObject({ status: 'fail',
      reason: expect.stringMatching(/^no redirect to the client: stopped at \/login/) })
  })

  it('answers a usage error with exit 2 on stderr', async () => {
    const out = await check([])
    expect(out).toMatchObject({ code: 2, stdout: '' })
    expect(out.stderr).toMatch(/^usage: edge-oidc check <issuer-url>/)
  })
})
