import { decodeJwt } from 'jose'
import { beforeAll, describe, expect, it } from 'vitest'
import { sha256Hex } from '../../src/crypto/hash.ts'
import { authorizationCodes } from '../../src/db/schema.ts'
import { createProviderApp, createUser, defaultMappingPks } from '../support/fixtures.ts'
import { withDb, workerAdmin, workerFetch } from './helpers.ts'

// One PostgreSQL serves every file of this project: names here are unique to this file.
const SLUG = 'worker-introspection'
const REDIRECT = 'https://rp-introspection.test/callback'
const SCOPE = 'openid profile offline_access'

let client: { pk: number; client_id: string; client_secret: string }
let basic: string
let userPk: number

interface Tokens { access_token: string; refresh_token: string; id_token: string }

function post(path: string, params: Record<string, string>, authorization: string | null = basic): Promise<Response> {
  return workerFetch(path, {
    method: 'POST', body: new URLSearchParams(params),
    headers: authorization === null ? {} : { Authorization: authorization },
  })
}

async function answered(res: Response): Promise<Record<string, unknown>> {
  expect(res.status, await res.clone().text()).toBe(200)
  expect(res.headers.get('Cache-Control')).toBe('no-store')
  expect(res.headers.get('Pragma')).toBe('no-cache')
  return (await res.json()) as Record<string, unknown>
}

/** A code as /authorize stores it (only its hash), exchanged at the token endpoint. */
async function issue(): Promise<Tokens> {
  const code = `worker-introspection-${crypto.randomUUID()}`
  const now = Date.now()
  const codeHash = await sha256Hex(code)
  await withDb((db) => db.insert(authorizationCodes).values({
    codeHash, providerId: client.pk, userId: userPk, grantId: crypto.randomUUID(), scope: SCOPE,
    authTime: new Date(now - 60_000), redirectUri: REDIRECT, expires: new Date(now + 60_000),
  }))
  const res = await post('/application/o/token/', { grant_type: 'authorization_code', code, redirect_uri: REDIRECT })
  return (await answered(res)) as unknown as Tokens
}

beforeAll(async () => {
  client = await createProviderApp(workerAdmin, SLUG, {
    name: 'worker-introspection-provider', redirect_uris: [{ matching_mode: 'strict', url: REDIRECT }],
    property_mappings: await defaultMappingPks(workerAdmin), grant_types: ['authorization_code', 'refresh_token'],
  }, { name: 'Worker Introspection' })
  basic = `Basic ${btoa(`${encodeURIComponent(client.client_id)}:${encodeURIComponent(client.client_secret)}`)}`
  userPk = (await createUser(workerAdmin, 'worker-introspection-user')).pk
})

describe('introspection and revocation in workerd on PostgreSQL', () => {
  it('introspects an issued access and refresh token with the ID token\'s claims', async () => {
    const tokens = await issue()
    // The ID token's claims but its own `jti` (rebuilt from the row's facts; the access token's is kept only as a hash).
    const { jti: _, ...claims } = decodeJwt(tokens.id_token)
    expect(await answered(await post('/application/o/introspect/', { token: tokens.access_token })))
      .toEqual({ ...claims, active: true, scope: SCOPE, client_id: client.client_id })
    expect(await answered(await post('/application/o/introspect/', { token: tokens.refresh_token,
      token_type_hint: 'refresh_token' }))).toMatchObject({ sub: claims.sub, active: true, client_id: client.client_id })
  })

  it('revokes the refresh token with the access tokens of its grant, then answers both inactive', async () => {
    const tokens = await issue()
    expect(await answered(await post('/application/o/revoke/', { token: tokens.refresh_token }))).toEqual({})
    for (const token of [tokens.refresh_token, tokens.access_token]) {
      expect(await answered(await post('/application/o/introspect/', { token }))).toEqual({ active: false })
    }
    const userinfo = await workerFetch('/application/o/userinfo/', { headers: { Authorization: `Bearer ${tokens.access_token}` } })
    expect(userinfo.status).toBe(401)
  })

  it('refuses an unauthenticated introspection with 401 invalid_client and a challenge', async () => {
    const tokens = await issue()
    for (const authorization of [null, 'Basic qwerqrwe', `Basic ${btoa(`${client.client_id}:wrong`)}`]) {
      const res = await post('/application/o/introspect/', { token: tokens.access_token }, authorization)
      expect(res.status).toBe(401)
      expect(res.headers.get('WWW-Authenticate')).toBe('Basic realm="edge-oidc"')
      expect(res.headers.get('Cache-Control')).toBe('no-store')
      expect(((await res.json()) as { error: string }).error).toBe('invalid_client')
    }
  })
})
