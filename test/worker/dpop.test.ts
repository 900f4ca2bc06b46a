import { calculateJwkThumbprint, decodeJwt, exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose'
import { beforeAll, describe, expect, it } from 'vitest'
import { sha256Base64url, sha256Hex } from '../../src/crypto/hash.ts'
import { authorizationCodes } from '../../src/db/schema.ts'
import { createProviderApp, createUser, defaultMappingPks } from '../support/fixtures.ts'
import { ORIGIN, withDb, workerAdmin, workerFetch } from './helpers.ts'

// One PostgreSQL serves every file of this project: names here are unique to this file.
const SLUG = 'worker-dpop'
const REDIRECT = 'https://rp-dpop.test/callback'
const TOKEN = '/application/o/token/'
const USERINFO = '/application/o/userinfo/'

let client: { pk: number; client_id: string; client_secret: string }
let userPk: number
let key: { privateKey: CryptoKey; jwk: JWK; jkt: string }

beforeAll(async () => {
  client = await createProviderApp(workerAdmin, SLUG, {
    name: 'worker-dpop-provider', redirect_uris: [{ matching_mode: 'strict', url: REDIRECT }],
    property_mappings: await defaultMappingPks(workerAdmin), dpop_require_nonce: true,
  }, { name: 'Worker DPoP' })
  userPk = (await createUser(workerAdmin, 'worker-dpop-user')).pk
  const pair = await generateKeyPair('ES256', { extractable: true })
  const jwk = await exportJWK(pair.publicKey)
  key = { privateKey: pair.privateKey, jwk, jkt: await calculateJwkThumbprint(jwk) }
})

function proof(htm: string, path: string, extra: Record<string, string> = {}): Promise<string> {
  return new SignJWT({ htm, htu: `${ORIGIN}${path}`, iat: Math.floor(Date.now() / 1000), jti: crypto.randomUUID(),
    ...extra }).setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk: key.jwk }).sign(key.privateKey)
}

async function code(): Promise<string> {
  const value = `worker-dpop-${crypto.randomUUID()}`
  const now = Date.now()
  await withDb(async (db) => db.insert(authorizationCodes).values({
    codeHash: await sha256Hex(value), providerId: client.pk, userId: userPk, grantId: crypto.randomUUID(),
    scope: 'openid profile', authTime: new Date(now - 60_000), redirectUri: REDIRECT, expires: new Date(now + 60_000),
  }))
  return value
}

function exchange(value: string, dpop: string): Promise<Response> {
  return workerFetch(TOKEN, { method: 'POST', headers: { DPoP: dpop }, body: new URLSearchParams({
    grant_type: 'authorization_code', code: value, redirect_uri: REDIRECT, client_id: client.client_id,
    client_secret: client.client_secret,
  }) })
}

describe('DPoP in workerd on PostgreSQL (RFC 9449)', () => {
  it('asks for a nonce, binds the tokens, refuses a replayed proof, and serves userinfo to the key', async () => {
    const value = await code()
    const first = await exchange(value, await proof('POST', TOKEN))
    expect(first.status).toBe(400)
    expect((await first.json() as { error: string }).error).toBe('use_dpop_nonce')
    const nonce = first.headers.get('DPoP-Nonce')!
    expect(nonce).toMatch(/^[A-Za-z0-9_-]{43}$/)

    const dpop = await proof('POST', TOKEN, { nonce })
    const res = await exchange(value, dpop)
    const body = await res.json() as { token_type: string; access_token: string }
    expect(res.status, JSON.stringify(body)).toBe(200)
    expect(body.token_type).toBe('DPoP')
    expect(decodeJwt(body.access_token).cnf).toEqual({ jkt: key.jkt })
    expect(res.headers.get('DPoP-Nonce')).toBe(nonce)

    // The same proof with another code: its jti is recorded in the database, across isolates.
    const replayed = await exchange(await code(), dpop)
    expect(replayed.status).toBe(400)
    expect((await replayed.json() as { error: string }).error).toBe('invalid_dpop_proof')

    const ath = await sha256Base64url(body.access_token)
    const userinfoProof = await proof('GET', USERINFO, { nonce, ath })
    const userinfo = await workerFetch(USERINFO, { headers: { Authorization: `DPoP ${body.access_token}`,
      DPoP: userinfoProof } })
    expect(userinfo.status, await userinfo.clone().text()).toBe(200)
    const again = await workerFetch(USERINFO, { headers: { Authorization: `DPoP ${body.access_token}`,
      DPoP: userinfoProof } })
    expect(again.status).toBe(401)
    expect(again.headers.get('WWW-Authenticate')).toMatch(/^DPoP error="invalid_dpop_proof"/)
    const bearer = await workerFetch(USERINFO, { headers: { Authorization: `Bearer ${body.access_token}` } })
    expect(bearer.status).toBe(401)
    expect(bearer.headers.get('WWW-Authenticate')).toMatch(/^DPoP error="invalid_token"/)
  })
})
