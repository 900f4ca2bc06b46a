/**
 * The OAuth endpoints under generated requests: token (both paths), device authorization, introspection,
 * revocation, userinfo, authorization (OIDC and GitHub's), GitHub's API, end-session. Every answer: no 5xx,
 * no hang, no stack trace, no secret; every error of a JSON endpoint spec-shaped, every error at a trusted
 * redirect URI an RFC 6749 §4.1.2.1 / OIDC Core §3.1.2.6 code.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestContext, type TestContext } from '../support/app.ts'
import { AUTHORIZE_ERRORS, checkOAuthError, exchange, fuzz, SEED, stats, type Answer } from './check.ts'
import { concrete, draft, type Endpoint } from './request.ts'
import { CHALLENGE, createWorld, mint, REDIRECT, REGEX_REDIRECT, remember, VERIFIER, type World } from './setup.ts'

let t: TestContext
let w: World
let runs = 0
beforeAll(async () => {
  console.log(`oauth fuzz: FUZZ_SEED=${SEED}`)
  t = await createTestContext()
  w = await createWorld(t)
}, 60_000)
afterAll(async () => {
  console.log(`oauth fuzz: ${stats.requests} requests, mints ${w.mints.ok} ok / ${w.mints.failed} failed`)
  if (process.env.FUZZ_STATS) console.log(stats.statuses)
  await t.close()
})

/** Every 50 runs: a quarter of an hour later (rate-limit windows end), and fresh artefacts. */
async function tick(): Promise<void> {
  if (++runs % 50) return
  t.clock.advance(16 * 60_000)
  await mint(t, w)
}

const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code'
const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer'
const ids = () => [w.conf.client_id, w.pub.client_id, w.exp.client_id]
const secretsOf = () => [w.conf.client_secret, w.exp.client_secret, w.pub.client_secret]
const basics = () => [`${w.conf.client_id}:${w.conf.client_secret}`, `${w.pub.client_id}:`,
  `${w.conf.client_id}:wrong`, `alice:${w.appKey}`, `${encodeURIComponent(w.conf.client_id)}:%zz`]
const scopes = ['openid', 'openid email profile offline_access', 'goauthentik.io/api', 'openid openid', '']

/** The grants' parameter sets (RFC 6749 §4.1.3, §6, §4.3, §4.4, RFC 8628 §3.4, RFC 7523 §2.2), then all mixed. */
function tokenFields(): Array<Record<string, readonly string[]>> {
  const client = { client_id: [w.conf.client_id], client_secret: [w.conf.client_secret] }
  return [
    { grant_type: ['authorization_code'], code: ['$code'], redirect_uri: [REDIRECT], code_verifier: [VERIFIER], ...client },
    { grant_type: ['refresh_token'], refresh_token: ['$refresh'], scope: ['openid', 'openid offline_access'], ...client },
    { grant_type: ['client_credentials'], scope: ['openid', 'profile'], ...client },
    { grant_type: ['password', 'client_credentials'], client_id: [w.conf.client_id], username: ['alice'],
      password: [w.appKey], scope: ['openid'] },
    { grant_type: [DEVICE_GRANT], device_code: ['$device_code'], ...client },
    { grant_type: ['client_credentials'], client_id: [w.conf.client_id], client_assertion_type: [ASSERTION_TYPE],
      client_assertion: ['$id_token'] },
    {
      grant_type: ['authorization_code', 'refresh_token', 'client_credentials', 'password', DEVICE_GRANT, 'implicit'],
      code: ['$code'], redirect_uri: [REDIRECT, REGEX_REDIRECT], code_verifier: [VERIFIER], refresh_token: ['$refresh'],
      device_code: ['$device_code'], client_id: ids(), client_secret: secretsOf(), scope: scopes,
      username: ['alice', 'ak-alice-client_credentials'], password: [w.appKey],
      client_assertion_type: [ASSERTION_TYPE], client_assertion: ['$id_token', 'eyJhbGciOiJub25lIn0.e30.'],
    },
  ]
}

/** A token parameter set for introspection and revocation: the right client's, then anyone's. */
function presentedFields(): Array<Record<string, readonly string[]>> {
  const token = ['$access', '$refresh', '$id_token', '$code']
  return [{ token, client_id: [w.conf.client_id], client_secret: [w.conf.client_secret], token_type_hint: ['access_token'] },
    { token, client_id: ids(), client_secret: secretsOf(), token_type_hint: ['access_token', 'refresh_token', 'id_token', 'urn:x'] }]
}

/** A successful answer's artefacts join the pools, so later requests present them. */
function keepTokens(a: Answer): void {
  if (a.status !== 200) return
  try {
    const body = JSON.parse(a.text) as Record<string, unknown>
    remember(w, '$access', body.access_token)
    remember(w, '$refresh', body.refresh_token)
    remember(w, '$id_token', body.id_token)
    remember(w, '$device_code', body.device_code)
  } catch { /* not JSON: nothing to keep */ }
}

/** Fuzz `e`: the common rules on every answer, the error shape where the route itself answers. */
async function run(name: string, weight: number, e: Endpoint, onAnswer?: (a: Answer) => void, json = true): Promise<void> {
  await fuzz(name, weight, draft(e), async (d) => {
    await tick()
    await exchange(t, concrete(w, d), w.secrets, (a) => {
      if (json && d.exact && e.served.includes(d.method) && d.method !== 'OPTIONS') checkOAuthError(a)
      onAnswer?.(a)
    })
  })
}

describe('OAuth endpoints under generated requests', () => {
  it('token endpoint', () => run('token', 4, {
    served: ['POST', 'OPTIONS'], paths: ['/application/o/token/', '/login/oauth/access_token'], fields: tokenFields(),
    basic: basics(), bearer: ['$access'], headers: { Origin: ['http://local.invalid', 'null', 'https://evil.example'],
      Accept: ['application/json', '*/*'] },
  }, keepTokens))

  it('device authorization endpoint', () => run('device', 1, {
    served: ['POST', 'OPTIONS'], paths: ['/application/o/device/'],
    fields: [{ client_id: [w.conf.client_id], client_secret: [w.conf.client_secret], scope: ['openid'] },
      { client_id: ids(), client_secret: secretsOf(), scope: scopes }], basic: basics(),
  }, keepTokens))

  for (const path of ['/application/o/introspect/', '/application/o/revoke/']) {
    it(`${path} endpoint`, () => run(path, 1, {
      served: ['POST', 'OPTIONS'], paths: [path], basic: basics(), bearer: ['$access'],
      fields: presentedFields(),
    }))
  }

  it('userinfo endpoint', () => run('userinfo', 1, {
    served: ['GET', 'POST', 'OPTIONS'], paths: ['/application/o/userinfo/'], bearer: ['$access', '$refresh', '$id_token'],
    fields: { access_token: ['$access'], scope: scopes },
  }))

  it('authorization endpoint', async () => {
    const e: Endpoint = {
      served: ['GET', 'POST'], paths: ['/application/o/authorize/', '/login/oauth/authorize'],
      fields: {
        client_id: ids(), redirect_uri: [REDIRECT, REGEX_REDIRECT, 'https://app.example/other?x=1', 'http://evil.example/'],
        response_type: ['code', 'id_token', 'id_token token', 'code id_token', 'code token', 'token', 'none', 'code code'],
        scope: scopes, state: ['s'], nonce: ['n'], code_challenge: [CHALLENGE, 'short'], code_challenge_method: ['S256', 'plain'],
        response_mode: ['query', 'fragment', 'form_post', 'jwt'], prompt: ['none', 'login', 'consent', 'select_account'],
        max_age: ['0', '60', '-1'], id_token_hint: ['$id_token'], login_hint: ['alice'], request: ['eyJhbGciOiJub25lIn0.e30.'],
        request_uri: ['urn:x'], claims: ['{"userinfo":{"email":null}}'], acr_values: ['urn:x'],
      },
    }
    await fuzz('authorize', 3, draft(e), async (d) => {
      await tick()
      await exchange(t, concrete(w, d), w.secrets, (a) => {
        checkAuthorizeAnswer(a)
        const code = /[?&#]code=([^&]+)/.exec(a.headers.get('Location') ?? '')?.[1]
        if (code) remember(w, '$code', decodeURIComponent(code))
      })
    })
  })

  it('GitHub-compatible API', () => run('github', 1, {
    served: ['GET'], paths: ['/user', '/user/teams'], fields: { access_token: ['$access'] },
    headers: { Authorization: ['token $access', 'Bearer $access', 'token ', 'token $refresh'] },
  }))

  it('end-session endpoint', () => run('end-session', 1, {
    served: ['GET', 'POST'], paths: ['/application/o/conf/end-session/', '/application/o/pub/end-session/',
      '/application/o/nope/end-session/'],
    fields: { id_token_hint: ['$id_token', 'eyJhbGciOiJub25lIn0.e30.'], client_id: ids(), state: ['s'],
      post_logout_redirect_uri: [REDIRECT, REGEX_REDIRECT, 'http://evil.example/'], logout_hint: ['alice'], ui_locales: ['de'] },
  }, undefined, false))

  it('reached the deep paths: artefacts were minted throughout', () => {
    expect(w.mints.ok).toBeGreaterThan(w.mints.failed)
  })
})

/** An error at a trusted redirect URI (query, fragment or form_post) carries a known code (RFC 6749 §4.1.2.1). */
function checkAuthorizeAnswer(a: Answer): void {
  const location = a.headers.get('Location') ?? ''
  const trusted = location.startsWith(REDIRECT) || location.startsWith('https://app.example/')
  const inPost = a.status === 200 && /<form[^>]+action="(http:\/\/local\.invalid|https:\/\/app\.example)/.test(a.text)
  if (!trusted && !inPost) return
  let error: string | null = null
  if (trusted) {
    const url = new URL(location)
    error = url.searchParams.get('error') ?? new URLSearchParams(url.hash.slice(1)).get('error')
  } else {
    error = /name="error" value="([^"]*)"/.exec(a.text)?.[1] ?? null
  }
  if (error !== null && !AUTHORIZE_ERRORS.has(error)) throw new Error(`authorization error code ${JSON.stringify(error)}`)
}
