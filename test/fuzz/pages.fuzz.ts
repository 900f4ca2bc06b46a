/**
 * The browser pages (sign-in, sign-out, device, consent, home) and the public documents (discovery, JWKS,
 * WebFinger, provider root) under generated requests, and every route of the table with any method and path
 * tricks: no 5xx, no hang, no stack trace, no secret (the password sent to /login included).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestContext, type TestContext } from '../support/app.ts'
import { formFields } from '../support/browser-forms.ts'
import { PASSWORD } from '../support/fixtures.ts'
import { exchange, fuzz, SEED, stats } from './check.ts'
import { concrete, draft, type Endpoint } from './request.ts'
import { CHALLENGE, createWorld, mint, REDIRECT, type World } from './setup.ts'

let t: TestContext
let w: World
let runs = 0
/** The forms' hidden fields as the signed-in browser's pages carry them (CSRF tokens, consent's request). */
const hidden: Record<string, string[]> = { csrf_token: [], next: [] }
const consentFields: Record<string, string[]> = {}

async function pageFields(): Promise<void> {
  for (const path of ['/login', '/logout', '/device']) {
    const f = formFields(await (await w.agent.get(path)).text())
    if (f.csrf_token) hidden.csrf_token!.push(f.csrf_token)
  }
  const consent = await w.agent.get(`/application/o/authorize/?${new URLSearchParams({ client_id: w.exp.client_id,
    redirect_uri: REDIRECT, response_type: 'code', scope: 'openid profile', code_challenge: CHALLENGE,
    code_challenge_method: 'S256' })}`)
  for (const [k, v] of Object.entries(formFields(await consent.text()))) (consentFields[k] ??= []).push(v)
}

beforeAll(async () => {
  console.log(`pages fuzz: FUZZ_SEED=${SEED}`)
  t = await createTestContext()
  w = await createWorld(t)
  await pageFields()
}, 60_000)
afterAll(async () => {
  console.log(`pages fuzz: ${stats.requests} requests, mints ${w.mints.ok} ok / ${w.mints.failed} failed`)
  if (process.env.FUZZ_STATS) console.log(stats.statuses)
  await t.close()
})

/** Every 50 runs a quarter of an hour passes (the sign-in limits' windows end) and the browser signs in again. */
async function tick(): Promise<void> {
  if (++runs % 50) return
  t.clock.advance(16 * 60_000)
  await mint(t, w)
}

const ORIGIN = { Origin: ['http://localhost', 'null', 'https://evil.example'], 'Sec-Fetch-Site': ['same-origin', 'cross-site'],
  Accept: ['text/html', 'application/json', '*/*'] }

async function run(name: string, weight: number, e: Endpoint): Promise<void> {
  await fuzz(name, weight, draft({ headers: ORIGIN, ...e }), async (d) => {
    await tick()
    await exchange(t, concrete(w, d), w.secrets)
  })
}

const nexts = () => ['/application/o/authorize/?client_id=' + w.conf.client_id, '//evil.example/', '/\\evil.example',
  'https://evil.example/', '/']

describe('pages and documents under generated requests', () => {
  it('sign-in page', () => run('login', 2, {
    served: ['GET', 'POST'], paths: ['/login'],
    fields: { username: ['alice', 'ALICE', 'nobody'], password: [PASSWORD, 'wrong'], csrf_token: hidden.csrf_token!,
      next: nexts(), login_hint: ['alice'] },
  }))

  it('sign-out page', () => run('logout', 1, {
    served: ['GET', 'POST'], paths: ['/logout'], fields: { csrf_token: hidden.csrf_token!, next: nexts() },
  }))

  it('device page', () => run('device page', 1, {
    served: ['GET', 'POST'], paths: ['/device'],
    fields: { code: ['$user_code', 'BCDF-GHJK', 'bcdfghjk'], user_code: ['$user_code'], csrf_token: hidden.csrf_token!,
      action: ['allow', 'deny', 'approve'] },
  }))

  it('consent form', () => run('consent', 1, {
    served: ['POST'], paths: ['/consent'], fields: { ...consentFields, action: ['allow', 'deny', 'x'] },
  }))

  it('public documents', () => run('documents', 2, {
    served: ['GET'], paths: ['/', '/favicon.ico', '/.well-known/webfinger', '/application/o/conf/',
      '/application/o/conf/.well-known/openid-configuration', '/application/o/pub/jwks/', '/application/o/nope/jwks/',
      '/.well-known/oauth-authorization-server/application/o/conf/', '/.well-known/oauth-authorization-server/application/o/pub',
      '/application/o/%E0%A4%A/.well-known/openid-configuration', '/api/v3/schema/', '/no/such/page'],
    fields: { resource: ['acct:alice@localhost', 'http://localhost/'], rel: ['http://openid.net/specs/connect/1.0/issuer'] },
  }))

  it('every route, any method, path tricks', () => run('routes', 2, {
    served: ['GET', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'HEAD'],
    paths: ['/', '/login', '/logout', '/device', '/consent', '/application/o/userinfo/', '/application/o/authorize/',
      '/login/oauth/authorize', '/application/o/token/', '/application/o/introspect/', '/application/o/revoke/',
      '/login/oauth/access_token', '/user', '/user/teams', '/application/o/device/', '/application/o/conf/jwks/',
      '/application/o/conf/end-session/', '/api/v3/core/users/', '/api/v3/providers/oauth2/'],
    fields: { client_id: [w.conf.client_id], token: ['$access'], x: ['y'] },
    bearer: ['$access'], basic: [`${w.conf.client_id}:${w.conf.client_secret}`],
  }))

  it('reached the deep paths: the pages gave their tokens, the browser kept signing in', () => {
    expect(hidden.csrf_token!.length).toBe(3)
    expect(consentFields.csrf_token?.length).toBe(1)
    expect(w.mints.ok).toBeGreaterThan(w.mints.failed)
  })
})
