import { calculateJwkThumbprint, decodeJwt, exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose'
import { beforeAll, describe, expect, it } from 'vitest'
import { adminJson, createProviderApp, createUser, defaultMappingPks, generateKeyPair as newKeyPair } from '../support/fixtures.ts'
import { ORIGIN, workerAdmin, workerFetch } from './helpers.ts'

// One PostgreSQL serves every file of this project: names here are unique to this file.
const TOKEN = '/application/o/token/'
const USERINFO = '/application/o/userinfo/'
const API = 'https://api.presentation.test/'
const SCOPE = 'openid profile email'
const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer'

let issuer: { pk: number; client_id: string; client_secret: string }
let federating: { client_id: string; client_secret: string }
let appKey: string

/** A DPoP key (RFC 9449) and proofs of it for the token endpoint. */
async function dpopKey() {
  const pair = await generateKeyPair('ES256', { extractable: true })
  const jwk: JWK = await exportJWK(pair.publicKey)
  const jkt = await calculateJwkThumbprint(jwk)
  const proof = () => new SignJWT({ htm: 'POST', htu: `${ORIGIN}${TOKEN}`, iat: Math.floor(Date.now() / 1000),
    jti: crypto.randomUUID() }).setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk }).sign(pair.privateKey)
  return { jkt, proof }
}

function token(params: Record<string, string>, headers: Record<string, string> = {}): Promise<Response> {
  return workerFetch(TOKEN, { method: 'POST', headers, body: new URLSearchParams({ scope: SCOPE, ...params }) })
}

/** An access token of the issuing provider for the app password's user (password grant). */
async function issued(extra: Record<string, string> = {}, headers: Record<string, string> = {}) {
  const res = await token({ grant_type: 'password', client_id: issuer.client_id, client_secret: issuer.client_secret,
    username: 'worker-presentation-user', password: appKey, ...extra }, headers)
  expect(res.status, await res.clone().text()).toBe(200)
  return res.json() as Promise<{ access_token: string; token_type: string }>
}

/** The token presented to the federating provider as its client assertion. */
const assertion = (value: string, headers: Record<string, string> = {}) => token({ grant_type: 'client_credentials',
  client_id: federating.client_id, client_assertion_type: JWT_BEARER, client_assertion: value }, headers)

async function expectError(res: Response, status: number, error: string): Promise<void> {
  expect(res.status).toBe(status)
  expect(res.headers.get('Cache-Control')).toBe('no-store')
  expect(((await res.json()) as { error: string }).error).toBe(error)
}

beforeAll(async () => {
  const key = await newKeyPair(workerAdmin, 'worker-presentation-key', { validity_days: 30, alg: 'ecdsa', key_size: 256 })
  const mappings = await defaultMappingPks(workerAdmin)
  issuer = await createProviderApp(workerAdmin, 'worker-presentation-issuer', { name: 'worker-presentation-issuer',
    signing_key: key.pk, property_mappings: mappings, grant_types: ['password'], allowed_resources: [API] })
  federating = await createProviderApp(workerAdmin, 'worker-presentation-federating', {
    name: 'worker-presentation-federating', signing_key: key.pk, property_mappings: mappings,
    grant_types: ['client_credentials'], jwt_federation_providers: [issuer.pk] })
  const user = await createUser(workerAdmin, 'worker-presentation-user')
  appKey = (await adminJson<{ key: string }>(workerAdmin, 'POST', '/core/tokens/',
    { identifier: 'worker-presentation-token', user: user.pk }, 201)).key
})

describe('who may present a token where, in workerd on PostgreSQL', () => {
  it('federation: a DPoP-bound token needs a proof of its key; then the new token is bound to it', async () => {
    const key = await dpopKey()
    const bound = await issued({}, { DPoP: await key.proof() })
    expect(bound.token_type).toBe('DPoP')
    await expectError(await assertion(bound.access_token), 400, 'invalid_grant')
    await expectError(await assertion(bound.access_token, { DPoP: await (await dpopKey()).proof() }), 400, 'invalid_grant')
    const res = await assertion(bound.access_token, { DPoP: await key.proof() })
    expect(res.status, await res.clone().text()).toBe(200)
    const body = await res.json() as { access_token: string; token_type: string }
    expect(body.token_type).toBe('DPoP')
    expect(decodeJwt(body.access_token)).toMatchObject({ cnf: { jkt: key.jkt }, preferred_username: 'worker-presentation-user' })
  })

  it('federation: a token issued for a resource is refused; one issued to its client still works', async () => {
    await expectError(await assertion((await issued({ resource: API })).access_token), 400, 'invalid_grant')
    const res = await assertion((await issued()).access_token)
    expect(res.status, await res.clone().text()).toBe(200)
    expect((await res.json() as { token_type: string }).token_type).toBe('Bearer')
  })

  it('userinfo: a token issued for a resource is refused with 401 invalid_token; one issued to the client answers', async () => {
    const get = (value: string) => workerFetch(USERINFO, { headers: { Authorization: `Bearer ${value}` } })
    const refused = await get((await issued({ resource: API })).access_token)
    expect(refused.status).toBe(401)
    expect(refused.headers.get('WWW-Authenticate'))
      .toBe('Bearer error="invalid_token", error_description="The access token was issued for another resource"')
    const served = await get((await issued()).access_token)
    expect(served.status).toBe(200)
    expect(await served.json()).toMatchObject({ preferred_username: 'worker-presentation-user' })
  })
})
