import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { createTestContext, START, type TestContext } from '../support/app.ts'
import { createUser, json, type User } from '../support/fixtures.ts'
import { dpopChallenge, dpopKey, proof, USERINFO_URL, type DPoPKey } from './dpop-support.ts'
import { basicOf, INTROSPECT, post } from './presented-tokens.ts'
import { codeParams, createClient, insertCode, ok, tokenRequest, type Client } from './token/support.ts'

const USERINFO = '/application/o/userinfo/'

let t: TestContext
let conf: Client
let nonced: Client
let alice: User
let key: DPoPKey
let other: DPoPKey

beforeAll(async () => {
  t = await createTestContext()
  conf = await createClient(t, 'dpop-rs-conf')
  nonced = await createClient(t, 'dpop-rs-nonce', { dpop_require_nonce: true })
  alice = await createUser(t, 'dpop-rs-alice', { email: 'alice@example.com' })
  key = await dpopKey()
  other = await dpopKey()
}, 60_000)
afterAll(() => t.close())
beforeEach(() => t.clock.set(START))

/** An access token from a code exchange, bound to `key` unless it is null. */
async function accessToken(client: Client, bindTo: DPoPKey | null): Promise<string> {
  const { code } = await insertCode(t, client, alice, { scope: 'openid email' })
  let dpop: Record<string, string> = {}
  if (bindTo) {
    const first = await tokenRequest(t, codeParams(client, code), { headers: { DPoP: await proof(t, bindTo) } })
    if (first.status === 200) return (await ok(first)).access_token
    // A provider requiring nonces names its nonce in the refusal.
    dpop = { DPoP: await proof(t, bindTo, { nonce: first.headers.get('DPoP-Nonce')! }) }
  }
  return (await ok(await tokenRequest(t, codeParams(client, code), { headers: dpop }))).access_token
}

async function userinfoProof(token: string, claims: Parameters<typeof proof>[2] = {}, k = key) {
  return proof(t, k, { htm: 'GET', htu: USERINFO_URL, accessToken: token, ...claims })
}

function userinfo(headers: Record<string, string>, method = 'GET') {
  return t.request(USERINFO, { method, headers })
}

function expectChallenge(res: Response, status: number, error: string, description: string) {
  expect({ status: res.status, challenge: res.headers.get('WWW-Authenticate') })
    .toEqual({ status, challenge: dpopChallenge(error, description) })
  expect(res.headers.get('Cache-Control')).toBe('no-store')
}

describe('DPoP at userinfo (RFC 9449 §7)', () => {
  it('answers a bound token sent with the DPoP scheme and a proof of its key, in one statement', async () => {
    const token = await accessToken(conf, key)
    const dpop = await userinfoProof(token)
    t.counter.reset()
    const res = await userinfo({ Authorization: `DPoP ${token}`, DPoP: dpop })
    expect(res.status, await res.clone().text()).toBe(200)
    expect(t.counter.count).toBe(1)
    expect(await json(res)).toMatchObject({ email: 'alice@example.com' })
    expect(res.headers.get('DPoP-Nonce')).toBeNull()
  })

  it('refuses a bound token sent as Bearer: 401 invalid_token with a DPoP challenge (§7.2)', async () => {
    const token = await accessToken(conf, key)
    expectChallenge(await userinfo({ Authorization: `Bearer ${token}` }), 401, 'invalid_token',
      'DPoP-bound access token requires the DPoP scheme and a proof')
    // A proof alongside does not make the bearer scheme acceptable.
    expectChallenge(await userinfo({ Authorization: `Bearer ${token}`, DPoP: await userinfoProof(token) }), 401,
      'invalid_token', 'DPoP-bound access token requires the DPoP scheme and a proof')
  })

  it('refuses a proof of another key: 401 invalid_token', async () => {
    const token = await accessToken(conf, key)
    expectChallenge(await userinfo({ Authorization: `DPoP ${token}`, DPoP: await userinfoProof(token, {}, other) }),
      401, 'invalid_token', 'Invalid DPoP key binding')
  })

  it('refuses a proof without ath, or with the ath of another token: 401 invalid_dpop_proof', async () => {
    const token = await accessToken(conf, key)
    const noAth = await proof(t, key, { htm: 'GET', htu: USERINFO_URL })
    expectChallenge(await userinfo({ Authorization: `DPoP ${token}`, DPoP: noAth }), 401, 'invalid_dpop_proof',
      'Invalid DPoP proof')
    const wrongAth = await userinfoProof(`${token}x`)
    expectChallenge(await userinfo({ Authorization: `DPoP ${token}`, DPoP: wrongAth }), 401, 'invalid_dpop_proof',
      'Invalid DPoP proof')
  })

  it('refuses a proof made for another method or URL', async () => {
    const token = await accessToken(conf, key)
    expectChallenge(await userinfo({ Authorization: `DPoP ${token}`, DPoP: await userinfoProof(token, { htm: 'POST' }) }),
      401, 'invalid_dpop_proof', 'Invalid DPoP proof')
    const tokenUrl = await userinfoProof(token, { htu: 'http://localhost/application/o/token/' })
    expectChallenge(await userinfo({ Authorization: `DPoP ${token}`, DPoP: tokenUrl }), 401, 'invalid_dpop_proof',
      'Invalid DPoP proof')
  })

  it('refuses a proof used before (same jti), in one statement', async () => {
    const token = await accessToken(conf, key)
    const dpop = await userinfoProof(token)
    expect((await userinfo({ Authorization: `DPoP ${token}`, DPoP: dpop })).status).toBe(200)
    t.counter.reset()
    expectChallenge(await userinfo({ Authorization: `DPoP ${token}`, DPoP: dpop }), 401, 'invalid_dpop_proof',
      'DPoP proof JWT replay detected')
    expect(t.counter.count).toBe(1)
  })

  it('refuses the DPoP scheme without a proof', async () => {
    const token = await accessToken(conf, key)
    expectChallenge(await userinfo({ Authorization: `DPoP ${token}` }), 401, 'invalid_dpop_proof', 'DPoP proof missing')
  })

  it('refuses an unbound token sent with the DPoP scheme: there is no binding to confirm', async () => {
    const token = await accessToken(conf, null)
    expectChallenge(await userinfo({ Authorization: `DPoP ${token}`, DPoP: await userinfoProof(token) }), 401,
      'invalid_token', 'The access token is not DPoP-bound')
    // As a bearer token it works as before.
    expect((await userinfo({ Authorization: `Bearer ${token}` })).status).toBe(200)
  })

  it('answers an unknown token sent with the DPoP scheme with a DPoP invalid_token challenge', async () => {
    const token = 'not-a-token'
    expectChallenge(await userinfo({ Authorization: `DPoP ${token}`, DPoP: await userinfoProof(token) }), 401,
      'invalid_token', 'The access token is invalid, expired or revoked')
  })

  it('accepts a POST with a proof for POST', async () => {
    const token = await accessToken(conf, key)
    const res = await userinfo({ Authorization: `DPoP ${token}`, DPoP: await userinfoProof(token, { htm: 'POST' }) }, 'POST')
    expect(res.status).toBe(200)
  })

  describe('a provider with dpop_require_nonce (§9)', () => {
    it('answers a proof without a nonce 401 use_dpop_nonce with a DPoP-Nonce, and the retry with it 200', async () => {
      const token = await accessToken(nonced, key)
      const res = await userinfo({ Authorization: `DPoP ${token}`, DPoP: await userinfoProof(token) })
      expectChallenge(res, 401, 'use_dpop_nonce', 'Resource server requires nonce in DPoP proof')
      const nonce = res.headers.get('DPoP-Nonce')
      expect(nonce).toMatch(/^[A-Za-z0-9_-]{43}$/)
      t.counter.reset()
      const retried = await userinfo({ Authorization: `DPoP ${token}`, DPoP: await userinfoProof(token, { nonce: nonce! }) })
      expect(retried.status).toBe(200)
      expect(t.counter.count).toBe(1)
      expect(retried.headers.get('DPoP-Nonce')).toBe(nonce)
    })

    it('refuses a wrong nonce', async () => {
      const token = await accessToken(nonced, key)
      const res = await userinfo({ Authorization: `DPoP ${token}`, DPoP: await userinfoProof(token, { nonce: 'wrong' }) })
      expectChallenge(res, 401, 'use_dpop_nonce', 'Resource server requires nonce in DPoP proof')
      expect(res.headers.get('DPoP-Nonce')).toMatch(/^[A-Za-z0-9_-]{43}$/)
    })
  })

  it('exposes DPoP-Nonce and WWW-Authenticate to the provider\'s origins', async () => {
    const pre = await t.request(USERINFO, { method: 'OPTIONS', headers: { Origin: 'http://local.invalid' } })
    expect(pre.headers.get('Access-Control-Allow-Headers')).toContain('DPoP')
    const token = await accessToken(conf, key)
    const res = await userinfo({ Authorization: `DPoP ${token}`, DPoP: await userinfoProof(token),
      Origin: 'http://local.invalid' })
    expect(res.headers.get('Access-Control-Expose-Headers')).toBe('WWW-Authenticate, DPoP-Nonce')
  })
})

describe('DPoP at introspection (RFC 9449 §6.2)', () => {
  it('tells a bound access token\'s cnf.jkt and token_type DPoP, in one statement', async () => {
    const token = await accessToken(conf, key)
    t.counter.reset()
    const body = await json(post(t, INTROSPECT, { token }, { basic: basicOf(conf) }))
    expect(t.counter.count).toBe(1)
    expect(body).toMatchObject({ active: true, cnf: { jkt: key.jkt }, token_type: 'DPoP' })
  })

  it('adds nothing for a bearer token', async () => {
    const token = await accessToken(conf, null)
    const body = await json(post(t, INTROSPECT, { token }, { basic: basicOf(conf) }))
    expect(body.active).toBe(true)
    expect(body.cnf).toBeUndefined()
    expect(body.token_type).toBeUndefined()
  })
})
