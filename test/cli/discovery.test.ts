import { execFile } from 'node:child_process'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const run = promisify(execFile)

interface Row { check: string; status: 'pass' | 'fail' | 'skip'; reason: string }

/** What the stand-in provider serves at its discovery and JWKS paths; set per test. */
let metadata: Record<string, unknown> = {}
let jwks: unknown = { keys: [] }
let server: Server
let base: string

beforeAll(async () => {
  server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', base).pathname
    const body = path === '/.well-known/openid-configuration' ? metadata : path === '/jwks' ? jwks : null
    if (body === null) return void res.writeHead(404).end()
    res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(body))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})

afterAll(() => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()) }))

/** A provider document that passes every discovery check, `changes` on top (undefined deletes a member). */
function document(issuer: string, changes: Record<string, unknown> = {}): Record<string, unknown> {
  const doc: Record<string, unknown> = {
    issuer, authorization_endpoint: `${base}/authorize`, token_endpoint: `${base}/token`, jwks_uri: `${base}/jwks`,
    userinfo_endpoint: `${base}/userinfo`, response_types_supported: ['code', 'id_token', 'code id_token'],
    grant_types_supported: ['authorization_code', 'implicit', 'refresh_token'], subject_types_supported: ['public'],
    id_token_signing_alg_values_supported: ['RS256'], code_challenge_methods_supported: ['S256'], ...changes,
  }
  for (const [k, v] of Object.entries(changes)) if (v === undefined) delete doc[k]
  return doc
}

const KEY = { kty: 'RSA', kid: 'k1', use: 'sig', alg: 'RS256', n: 'AQAB', e: 'AQAB' }

/** The command without flow arguments: discovery and JWKS only. */
async function check(issuer: string): Promise<{ code: number; rows: Record<string, Row> }> {
  const done = await run(process.execPath, ['--import', 'tsx', 'bin/edge-oidc.js', 'check', issuer, '--json'])
    .then((r) => ({ code: 0, stdout: r.stdout }), (e: { code: number; stdout: string }) => e)
  const rows = (JSON.parse(done.stdout) as { results: Row[] }).results
  return { code: done.code, rows: Object.fromEntries(rows.map((r) => [r.check, r])) }
}

describe('edge-oidc check on discovery and JWKS of a stand-in provider', () => {
  it('passes a consistent document and a public JWKS, and skips the flow it was given no client for', async () => {
    metadata = document(`${base}/`)
    jwks = { keys: [KEY] }
    const { code, rows } = await check(`${base}/`)
    expect(Object.values(rows).filter((r) => r.status === 'fail')).toEqual([])
    expect(rows.flow).toEqual({ check: 'flow', status: 'skip',
      reason: 'no --client-id, --redirect-uri, --username, --password: code flow and negative checks not run' })
    expect(code).toBe(0)
  })

  it('fails each inconsistency with its reason', async () => {
    metadata = document(`${base}/other/`, {
      subject_types_supported: undefined, token_endpoint: 'http://provider.example/token',
      code_challenge_methods_supported: ['plain'], response_types_supported: ['code', 'token'],
      grant_types_supported: ['authorization_code'], id_token_signing_alg_values_supported: ['RS256', 'none'],
    })
    const { code, rows } = await check(`${base}/`)
    expect(code).toBe(1)
    // A document of another issuer is unusable (OIDC Discovery §4.3): nothing after discovery runs.
    expect(rows.flow).toMatchObject({ status: 'skip', reason: 'discovery or JWKS unusable' })
    const reasons = Object.fromEntries(Object.values(rows).filter((r) => r.status === 'fail').map((r) => [r.check, r.reason]))
    expect(reasons).toMatchObject({
      'discovery.issuer': `issuer is "${base}/other/", not ${base}/`,
      'discovery.required': 'subject_types_supported missing',
      'discovery.endpoints': 'token_endpoint is http: on a non-loopback host',
      'discovery.pkce': 'code_challenge_methods_supported is [plain], without S256',
      'discovery.types': '"token" without the implicit grant',
      'discovery.algs': 'id_token_signing_alg_values_supported offers none',
    })
  })

  it('fails an issuer with a query, openid missing from scopes_supported, and JWT client authentication offered unsigned or without algorithms', async () => {
    metadata = document(`${base}/?tenant=1`, {
      scopes_supported: ['profile', 'email'],
      token_endpoint_auth_methods_supported: ['client_secret_basic', 'private_key_jwt'],
      revocation_endpoint_auth_methods_supported: ['client_secret_jwt'],
      revocation_endpoint_auth_signing_alg_values_supported: ['HS256', 'none'],
    })
    jwks = { keys: [KEY] }
    const { code, rows } = await check(`${base}/?tenant=1`)
    expect(code).toBe(1)
    expect(rows['discovery.issuer']).toMatchObject({ status: 'pass' })
    const reasons = Object.fromEntries(Object.values(rows).filter((r) => r.status === 'fail').map((r) => [r.check, r.reason]))
    expect(reasons).toEqual({
      'discovery.required': 'scopes_supported lacks openid; token_endpoint_auth_methods_supported has private_key_jwt '
        + 'without token_endpoint_auth_signing_alg_values_supported',
      'discovery.endpoints': 'issuer has a query',
      'discovery.algs': 'revocation_endpoint_auth_signing_alg_values_supported offers none',
    })
  })

  it('fails a JWKS that publishes a private member, keys without kid and use/alg, or two keys of one type with one kid', async () => {
    metadata = document(`${base}/`)
    jwks = { keys: [{ ...KEY, d: 'secret' }, { kty: 'EC', crv: 'P-256', x: 'x', y: 'y' }, { ...KEY, n: 'AQAC' },
      { ...KEY, kty: 'oct', k: undefined }] }
    const { code, rows } = await check(`${base}/`)
    expect(rows.jwks).toEqual({ check: 'jwks', status: 'fail', reason:
      'key 0 (k1) publishes private member d; key 1 has no kid; key 1 has neither use nor alg; key 2 repeats kid k1' })
    expect(code).toBe(1)
  })

  it('fails a JWKS without a keys array, and a missing discovery document', async () => {
    metadata = document(`${base}/`)
    jwks = [KEY]
    expect((await check(`${base}/`)).rows.jwks).toMatchObject({ status: 'fail',
      reason: `${base}/jwks answered 200 without a keys array` })
    const missing = await check(`${base}/nowhere`)
    expect(missing.code).toBe(1)
    expect(missing.rows.discovery).toMatchObject({ status: 'fail',
      reason: `${base}/nowhere/.well-known/openid-configuration answered 404, not JSON` })
  })
})
