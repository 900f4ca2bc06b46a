import { execFile } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { adminJson, createProviderApp, defaultMappingPks, EXPLICIT_CONSENT, type AdminApi } from '../support/fixtures.ts'
import { freePort, ROOT, start, stopAll, type Started } from '../ops/node-process.ts'

/**
 * `edge-oidc check` against the real `npm start` (PGlite in a temporary data folder), with the demo application
 * and demo user it prints, then against a provider made through its admin API whose redirect URIs are regex `.*`.
 */

interface Row { check: string; status: 'PASS' | 'FAIL' | 'SKIP'; reason: string }
interface Banner { base: string; issuer: string; clientId: string; clientSecret: string; redirectUri: string;
  username: string; password: string; adminToken: string }

let dataDir: string
let server: Started
let banner: Banner

/** Resolves once `s` has printed the whole banner (its last line is `data:`); rejects if it exits first. */
function bannerPrinted(s: Started): Promise<string> {
  return new Promise((resolve, reject) => {
    const seen = () => {
      if (!/^ {2}data: /m.test(s.stdout())) return
      s.child.stdout!.off('data', seen)
      resolve(s.stdout())
    }
    s.child.stdout!.on('data', seen)
    void s.exited.then(({ code }) => reject(new Error(`npm start exited (${code}):\n${s.stdout()}\n${s.stderr()}`)))
    seen()
  })
}

function parseBanner(text: string): Banner {
  const field = (label: string) => {
    const m = new RegExp(`^ {2}${label}: +(\\S+)(?: / (\\S+))?$`, 'm').exec(text)
    if (!m) throw new Error(`no ${label} in the banner:\n${text}`)
    return [m[1]!, m[2] ?? '']
  }
  const [discovery] = field('discovery')
  const [username, password] = field('demo user')
  return {
    base: new URL(discovery!).origin, issuer: discovery!.replace(/\.well-known\/openid-configuration$/, ''),
    clientId: field('client_id')[0]!, clientSecret: field('client_secret')[0]!, redirectUri: field('redirect_uri')[0]!,
    username: username!, password: password!, adminToken: field('admin token')[0]!,
  }
}

/** `node bin/edge-oidc.js check ...` as a child process; answers its exit code and table rows; never rejects. */
function check(args: string[]): Promise<{ code: number; rows: Row[]; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['bin/edge-oidc.js', 'check', ...args], { cwd: ROOT, timeout: 90_000 },
      (err, stdout, stderr) => {
        const rows = stdout.split('\n').flatMap((line) => {
          const m = /^(\S+) +(PASS|FAIL|SKIP) {2,}(.*)$/.exec(line)
          return m ? [{ check: m[1]!, status: m[2] as Row['status'], reason: m[3]! }] : []
        })
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, rows, stdout, stderr })
      })
  })
}

const flowArgs = (issuer: string, clientId: string, clientSecret: string) => [issuer, '--client-id', clientId,
  '--client-secret', clientSecret, '--redirect-uri', banner.redirectUri, '--username', banner.username,
  '--password', banner.password]

const CHECKS = ['discovery', 'discovery.issuer', 'discovery.required', 'discovery.endpoints', 'discovery.pkce',
  'discovery.types', 'discovery.algs', 'jwks', 'flow.authorize', 'flow.token', 'id_token.signature', 'id_token.claims',
  'userinfo', 'refresh', 'negative.redirect_uri', 'negative.code_reuse', 'negative.pkce_verifier', 'negative.pkce_downgrade', 'negative.alg_none']

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'edge-oidc-check-'))
  server = start('npm', { DATA_DIR: dataDir }, await freePort())
  banner = parseBanner(await bannerPrinted(server))
}, 120_000)

afterAll(async () => {
  stopAll()
  await rm(dataDir, { recursive: true, force: true })
})

// Each check signs in several times in its own Node process: room for a loaded 2-core machine.
describe('edge-oidc check against npm start', { timeout: 120_000 }, () => {
  it('passes every check of the demo application with the demo user, and exits 0', async () => {
    const out = await check(flowArgs(banner.issuer, banner.clientId, banner.clientSecret))
    expect(out.stderr).toBe('')
    expect(out.rows.map((r) => r.check)).toEqual(CHECKS)
    expect(out.rows.filter((r) => r.status !== 'PASS')).toEqual([])
    expect(out.stdout.trimEnd().split('\n').at(-1)).toBe(`all ${CHECKS.length} checks passed`)
    expect(out.code).toBe(0)
  })

  it('fails the redirect URI check of a provider whose redirect URIs are regex .*, with the reason, and exits 1', async () => {
    const api: AdminApi = {
      admin: (method, path, body) => fetch(`${banner.base}/api/v3${path}`, {
        method, headers: { Authorization: `Bearer ${banner.adminToken}`, 'Content-Type': 'application/json' },
        ...(body !== undefined && { body: JSON.stringify(body) }),
      }),
    }
    const key = await adminJson<{ pk: string }>(api, 'POST', '/crypto/certificatekeypairs/generate/',
      { common_name: 'check-open-redirect', alg: 'ecdsa', key_size: 256, validity_days: 30 }, 200)
    const p = await createProviderApp(api, 'check-open-redirect', {
      authorization_flow: EXPLICIT_CONSENT, client_type: 'confidential', signing_key: key.pk,
      redirect_uris: [{ matching_mode: 'regex', url: '.*' }], property_mappings: await defaultMappingPks(api),
    })
    const out = await check(flowArgs(`${banner.base}/application/o/check-open-redirect/`, p.client_id, p.client_secret))
    expect(out.code).toBe(1)
    expect(out.rows.map((r) => r.check)).toEqual(CHECKS)
    expect(out.rows.filter((r) => r.status !== 'PASS')).toEqual([{ check: 'negative.redirect_uri', status: 'FAIL',
      reason: 'an unregistered redirect_uri was accepted: redirected to https://redirect-mismatch.invalid/edge-oidc-check; '
        + `an unregistered redirect_uri was accepted: redirected to ${banner.redirectUri}/edge-oidc-check` }])
    expect(out.stdout.trimEnd().split('\n').at(-1)).toBe(`1 of ${CHECKS.length} checks failed`)
  })

  it('then stops on SIGTERM with exit status 0', async () => {
    server.child.kill('SIGTERM')
    expect(await server.exited).toEqual({ code: 0, signal: null })
  })
})
