import { deriveSecrets } from '../../src/crypto/secret-box.ts'
import { eq } from 'drizzle-orm'
import { decodeJwt, exportJWK } from 'jose'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { dpopNonces, NONCE_SLOT_MS } from '../../src/crypto/dpop-nonce.ts'
import { sha256Hex } from '../../src/crypto/hash.ts'
import { accessTokens, refreshTokens } from '../../src/db/schema.ts'
import { createTestContext, SECRET_KEY, START, type TestContext } from '../support/app.ts'
import { createUser, type User } from '../support/fixtures.ts'
import { insertDevice, pollParams } from './device/support.ts'
import { dpopKey, hmacProof, proof, TOKEN_URL, unsignedProof, type DPoPKey } from './dpop-support.ts'
import {
  codeParams, createClient, insertCode, ok, refreshParams, refused, TOKEN, tokenRequest, type Client,
} from './token/support.ts'
import { presentedTokenHash } from '../../src/oauth/presented-jti.ts'

let t: TestContext
let conf: Client
let pub: Client
let bound: Client
let nonced: Client
let alice: User
let key: DPoPKey
let other: DPoPKey

const VERIFIER = 'dpop-test-verifier-0123456789-abcdefghijklmnopqrstuvwxyz'

beforeAll(async () => {
  t = await createTestContext()
  conf = await createClient(t, 'dpop-conf')
  pub = await createClient(t, 'dpop-public', { client_type: 'public' })
  bound = await createClient(t, 'dpop-bound', { dpop_bound_access_tokens: true })
  nonced = await createClient(t, 'dpop-nonce', { dpop_require_nonce: true })
  alice = await createUser(t, 'dpop-alice')
  key = await dpopKey()
  other = await dpopKey('ES384')
}, 60_000)
afterAll(() => t.close())
beforeEach(() => t.clock.set(START))

/** A code exchange by `client` with `dpop` as its DPoP header(s). */
async function exchange(client: Client, dpop: string | string[] | null, scope = 'openid offline_access', path = TOKEN) {
  const isPublic = client === pub
  const { code } = await insertCode(t, client, alice, { scope, ...(isPublic && { verifier: VERIFIER }) })
  const params = isPublic
    ? { grant_type: 'authorization_code', code, redirect_uri: codeParams(client, code).redirect_uri!,
      client_id: client.client_id, code_verifier: VERIFIER }
    : codeParams(client, code)
  const headers = new Headers()
  for (const value of dpop === null ? [] : [dpop].flat()) headers.append('DPoP', value)
  return t.request(path, { method: 'POST', headers, body: new URLSearchParams(params) })
}

async function refusedProof(res: Response, error = 'invalid_dpop_proof') {
  await refused(res, 400, error)
  expect(res.headers.get('DPoP-Nonce')).toBeNull()
}

describe('DPoP at the token endpoint (RFC 9449 §5)', () => {
  it('binds the access token to the proof\'s key: token_type DPoP, cnf.jkt, the row\'s jkt, in one statement', async () => {
    const { code } = await insertCode(t, conf, alice, { scope: 'openid offline_access' })
    const dpop = await proof(t, key)
    t.counter.reset()
    const body = await ok(await tokenRequest(t, codeParams(conf, code), { headers: { DPoP: dpop } }))
    expect(t.counter.count).toBe(1)
    expect(body.token_type).toBe('DPoP')
    expect(decodeJwt(body.access_token).cnf).toEqual({ jkt: key.jkt })
    const [row] = await t.db.select().from(accessTokens).where(eq(accessTokens.tokenHash, await presentedTokenHash(body.access_token)))
    expect(row!.jkt).toBe(key.jkt)
    // §5: a confidential client's refresh token is bound to its credentials, not to the key.
    const [refresh] = await t.db.select().from(refreshTokens)
      .where(eq(refreshTokens.tokenHash, await sha256Hex(body.refresh_token!)))
    expect(refresh!.jkt).toBeNull()
  })

  it('still answers Bearer tokens without cnf to a request without a proof', async () => {
    const body = await ok(await exchange(conf, null))
    expect(body.token_type).toBe('Bearer')
    expect(decodeJwt(body.access_token).cnf).toBeUndefined()
  })

  it.each(['ES384', 'RS256', 'PS256', 'EdDSA'])('accepts a %s proof', async (alg) => {
    const k = await dpopKey(alg)
    const body = await ok(await exchange(conf, await proof(t, k)))
    expect(decodeJwt(body.access_token).cnf).toEqual({ jkt: k.jkt })
  })

  it('binds the new access token of a confidential client\'s refresh to the proof sent then, in one statement', async () => {
    const first = await ok(await exchange(conf, null))
    const dpop = await proof(t, other)
    t.counter.reset()
    const res = await tokenRequest(t, refreshParams(conf, first.refresh_token!), { headers: { DPoP: dpop } })
    const body = await ok(res)
    expect(t.counter.count).toBe(1)
    expect(body.token_type).toBe('DPoP')
    expect(decodeJwt(body.access_token).cnf).toEqual({ jkt: other.jkt })
  })

  describe('a public client\'s refresh token is bound to the key (§5)', () => {
    async function publicRefresh(): Promise<string> {
      const body = await ok(await exchange(pub, await proof(t, key)))
      const [row] = await t.db.select().from(refreshTokens)
        .where(eq(refreshTokens.tokenHash, await sha256Hex(body.refresh_token!)))
      expect(row!.jkt).toBe(key.jkt)
      return body.refresh_token!
    }
    const refresh = (token: string, headers: Record<string, string>) => tokenRequest(t,
      { grant_type: 'refresh_token', refresh_token: token, client_id: pub.client_id }, { headers })

    it('refreshes with a proof of the same key, the successor bound again', async () => {
      const body = await ok(await refresh(await publicRefresh(), { DPoP: await proof(t, key) }))
      expect(body.token_type).toBe('DPoP')
      const [row] = await t.db.select().from(refreshTokens)
        .where(eq(refreshTokens.tokenHash, await sha256Hex(body.refresh_token!)))
      expect(row!.jkt).toBe(key.jkt)
    })

    it('refuses a proof of another key with invalid_grant, and the token stays usable', async () => {
      const token = await publicRefresh()
      await refused(await refresh(token, { DPoP: await proof(t, other) }), 400, 'invalid_grant')
      await ok(await refresh(token, { DPoP: await proof(t, key) }))
    })

    it('refuses the bound refresh token without a proof', async () => {
      await refused(await refresh(await publicRefresh(), {}), 400, 'invalid_grant')
    })
  })

  describe('refuses a bad proof with 400 invalid_dpop_proof, spending nothing (§4.3)', () => {
    it('with another htu', async () => {
      await refusedProof(await exchange(conf, await proof(t, key, { htu: 'http://localhost/application/o/revoke/' })))
    })

    it('with another origin in htu', async () => {
      await refusedProof(await exchange(conf, await proof(t, key, { htu: 'https://elsewhere.example/application/o/token/' })))
    })

    it('but compares htu and the URI sent after RFC 3986 §6.2.2 normalization (§4.3)', async () => {
      const encoded = '/application/o/%74oken/'
      const scope = 'openid offline_access'
      // The exact percent-encoded URI that was sent, its decoded form, and either with the host and hex in upper case.
      await ok(await exchange(conf, await proof(t, key, { htu: `http://localhost${encoded}` }), scope, encoded))
      await ok(await exchange(conf, await proof(t, key, { htu: TOKEN_URL }), scope, encoded))
      await ok(await exchange(conf, await proof(t, key, { htu: `http://LOCALHOST${encoded}` })))
      await ok(await exchange(conf, await proof(t, key, { htu: 'http://localhost:80/application/o/%74%6F%6Ben/' })))
      // A reserved character encoded is another path (`%2F` is no `/`).
      await refusedProof(await exchange(conf, await proof(t, key, { htu: 'http://localhost/application%2Fo/token/' })))
    })

    it('but ignores the query and fragment of htu', async () => {
      await ok(await exchange(conf, await proof(t, key, { htu: `${TOKEN_URL}?x=1#frag` })))
    })

    it('with another htm', async () => {
      await refusedProof(await exchange(conf, await proof(t, key, { htm: 'GET' })))
    })

    it('with a stale iat', async () => {
      await refusedProof(await exchange(conf, await proof(t, key, { iatOffset: -61 })))
    })

    it('with an iat in the future', async () => {
      await refusedProof(await exchange(conf, await proof(t, key, { iatOffset: 61 })))
    })

    it('with typ other than dpop+jwt', async () => {
      await refusedProof(await exchange(conf, await proof(t, key, { typ: 'JWT' })))
    })

    it('with alg none', async () => {
      await refusedProof(await exchange(conf, unsignedProof(t, key)))
    })

    it('with a MAC (HS256)', async () => {
      await refusedProof(await exchange(conf, await hmacProof(t, key)))
    })

    it('with a private key in its jwk header', async () => {
      const privateJwk = await exportJWK((await dpopKey()).privateKey)
      await refusedProof(await exchange(conf, await proof(t, key, { jwk: privateJwk })))
    })

    it('signed by a key other than its jwk header', async () => {
      await refusedProof(await exchange(conf, await proof(t, key, { jwk: other.jwk })))
    })

    it('sent twice (two DPoP headers)', async () => {
      await refusedProof(await exchange(conf, [await proof(t, key), await proof(t, key)]))
    })

    it.each([['a control character', 'a\u0001b'], ['a lone surrogate', 'a\ud800b'], ['no text', '']])(
      'whose jti holds %s', async (_, jti) => {
        await refusedProof(await exchange(conf, await proof(t, key, { jti })))
      })

    it('that is not a JWT', async () => {
      await refusedProof(await exchange(conf, 'not-a-jwt'))
    })

    it('used before (same jti): the second code stays unredeemed, in one statement', async () => {
      const dpop = await proof(t, key)
      await ok(await exchange(conf, dpop))
      const { code } = await insertCode(t, conf, alice, { scope: 'openid' })
      t.counter.reset()
      await refusedProof(await tokenRequest(t, codeParams(conf, code), { headers: { DPoP: dpop } }))
      expect(t.counter.count).toBe(1)
      await ok(await tokenRequest(t, codeParams(conf, code), { headers: { DPoP: await proof(t, key) } }))
    })

    it('used before at a refresh: the refresh token is not rotated', async () => {
      const first = await ok(await exchange(conf, null))
      const dpop = await proof(t, key)
      await ok(await exchange(conf, dpop))
      await refusedProof(await tokenRequest(t, refreshParams(conf, first.refresh_token!), { headers: { DPoP: dpop } }))
      await ok(await tokenRequest(t, refreshParams(conf, first.refresh_token!)))
    })

    it('used before at client_credentials', async () => {
      const params = { grant_type: 'client_credentials', client_id: conf.client_id, client_secret: conf.client_secret,
        scope: 'openid' }
      const dpop = await proof(t, key)
      t.counter.reset()
      const body = await ok(await tokenRequest(t, params, { headers: { DPoP: dpop } }))
      expect(t.counter.count).toBe(1)
      expect(body.token_type).toBe('DPoP')
      expect(decodeJwt(body.access_token).cnf).toEqual({ jkt: key.jkt })
      await refusedProof(await tokenRequest(t, params, { headers: { DPoP: dpop } }))
    })

    it('used before at a device code poll: the device code stays unredeemed', async () => {
      const dpop = await proof(t, key)
      await ok(await exchange(conf, dpop))
      const { deviceCode } = await insertDevice(t, conf, { status: 'approved', userPk: alice.pk })
      t.counter.reset()
      await refusedProof(await tokenRequest(t, pollParams(conf, deviceCode), { headers: { DPoP: dpop } }))
      expect(t.counter.count).toBe(1)
      const body = await ok(await tokenRequest(t, pollParams(conf, deviceCode), { headers: { DPoP: await proof(t, key) } }))
      expect(body.token_type).toBe('DPoP')
      expect(decodeJwt(body.access_token).cnf).toEqual({ jkt: key.jkt })
    })

    it('accepted again once its window has passed is still refused by iat', async () => {
      const dpop = await proof(t, key)
      await ok(await exchange(conf, dpop))
      t.clock.advance(61_000)
      await refusedProof(await exchange(conf, dpop))
    })
  })

  describe('a provider with dpop_bound_access_tokens (§5.2)', () => {
    it('refuses a token request without a proof, in one statement that writes nothing', async () => {
      const { code } = await insertCode(t, bound, alice)
      t.counter.reset()
      await refusedProof(await tokenRequest(t, codeParams(bound, code)))
      expect(t.counter.count).toBe(1)
      await ok(await tokenRequest(t, codeParams(bound, code), { headers: { DPoP: await proof(t, key) } }))
    })

    it('issues DPoP tokens to one with a proof', async () => {
      const { code } = await insertCode(t, bound, alice)
      const body = await ok(await tokenRequest(t, codeParams(bound, code), { headers: { DPoP: await proof(t, key) } }))
      expect(body.token_type).toBe('DPoP')
    })
  })

  describe('a provider with dpop_require_nonce (§8)', () => {
    const request = async (dpop: string, code?: string) => {
      const c = code ?? (await insertCode(t, nonced, alice)).code
      return tokenRequest(t, codeParams(nonced, c), { headers: { DPoP: dpop } })
    }

    it('answers a proof without a nonce 400 use_dpop_nonce with a DPoP-Nonce, which the retry carries', async () => {
      const { code } = await insertCode(t, nonced, alice)
      const res = await request(await proof(t, key), code)
      await refused(res, 400, 'use_dpop_nonce')
      const nonce = res.headers.get('DPoP-Nonce')
      expect(nonce).toMatch(/^[A-Za-z0-9_-]{43}$/)
      t.counter.reset()
      const retried = await request(await proof(t, key, { nonce: nonce! }), code)
      expect((await ok(retried)).token_type).toBe('DPoP')
      expect(t.counter.count).toBe(1)
      expect(retried.headers.get('DPoP-Nonce')).toBe(nonce)
    })

    it('refuses a nonce it did not issue', async () => {
      const res = await request(await proof(t, key, { nonce: 'made-up' }))
      await refused(res, 400, 'use_dpop_nonce')
      expect(res.headers.get('DPoP-Nonce')).toMatch(/^[A-Za-z0-9_-]{43}$/)
    })

    it('accepts the previous slot\'s nonce, not an older one', async () => {
      const nonces = dpopNonces(await deriveSecrets(SECRET_KEY))
      const old = await nonces.issue(t.clock.now())
      t.clock.advance(NONCE_SLOT_MS)
      await ok(await request(await proof(t, key, { nonce: old })))
      t.clock.advance(NONCE_SLOT_MS)
      const res = await request(await proof(t, key, { nonce: old }))
      await refused(res, 400, 'use_dpop_nonce')
      expect(res.headers.get('DPoP-Nonce')).not.toBe(old)
    })

    it('sends no nonce for a provider that does not require one', async () => {
      const res = await exchange(conf, await proof(t, key))
      await ok(res)
      expect(res.headers.get('DPoP-Nonce')).toBeNull()
    })
  })

  describe('CORS (§5)', () => {
    it('allows the DPoP header in a preflight and exposes DPoP-Nonce', async () => {
      const pre = await t.request(TOKEN, { method: 'OPTIONS', headers: { Origin: 'http://local.invalid' } })
      expect(pre.headers.get('Access-Control-Allow-Headers')).toContain('DPoP')
      const res = await tokenRequest(t, codeParams(nonced, (await insertCode(t, nonced, alice)).code),
        { headers: { Origin: 'http://local.invalid', DPoP: await proof(t, key) } })
      expect(res.headers.get('Access-Control-Expose-Headers')).toBe('DPoP-Nonce')
      expect(res.headers.get('Access-Control-Allow-Origin')).toBe('http://local.invalid')
    })
  })
})
