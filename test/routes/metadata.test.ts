import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestContext, type TestContext } from '../support/app.ts'
import { createProviderApp, defaultMappingPks, generateKeyPair, json } from '../support/fixtures.ts'

let t: TestContext
const keys: Record<string, string> = {}

beforeAll(async () => {
  t = await createTestContext()
  for (const [name, alg, key_size] of [['rsa', 'rsa', 2048], ['p256', 'ecdsa', 256], ['p384', 'ecdsa', 384],
    ['p521', 'ecdsa', 521], ['enc', 'rsa', 2048]] as const) {
    keys[name] = (await generateKeyPair(t, name, { alg, key_size })).pk
  }
  const defaultMappings = await defaultMappingPks(t)
  await createProviderApp(t, 'hs', { property_mappings: defaultMappings, grant_types: ['authorization_code'] })
  await createProviderApp(t, 'rs', { signing_key: keys.rsa, property_mappings: defaultMappings,
    grant_types: ['authorization_code', 'implicit', 'hybrid', 'refresh_token', 'client_credentials', 'password',
      'device_code'] })
  await createProviderApp(t, 'es256', { signing_key: keys.p256 })
  await createProviderApp(t, 'es384', { signing_key: keys.p384 })
  await createProviderApp(t, 'es512', { signing_key: keys.p521, encryption_key: keys.enc })
  await createProviderApp(t, 'global', { signing_key: keys.rsa, issuer_mode: 'global' })
}, 120_000)
afterAll(() => t.close())

describe('discovery (OIDC Discovery 1.0, RFC 8414)', () => {
  it('answers authentik\'s document for a per-provider issuer', async () => {
    const res = await t.request('/application/o/rs/.well-known/openid-configuration')
    expect(res.status).toBe(200)
    expect(res.headers.get('Access-Control-Allow-Origin')).toBe('*')
    expect(res.headers.get('Cache-Control')).toBe('public, max-age=60')
    expect(res.headers.get('Content-Type')).toMatch(/^application\/json/)
    const doc = await json(res)
    expect(doc).toEqual({
      issuer: 'http://localhost/application/o/rs/',
      authorization_endpoint: 'http://localhost/application/o/authorize/',
      token_endpoint: 'http://localhost/application/o/token/',
      userinfo_endpoint: 'http://localhost/application/o/userinfo/',
      end_session_endpoint: 'http://localhost/application/o/rs/end-session/',
      introspection_endpoint: 'http://localhost/application/o/introspect/',
      revocation_endpoint: 'http://localhost/application/o/revoke/',
      device_authorization_endpoint: 'http://localhost/application/o/device/',
      pushed_authorization_request_endpoint: 'http://localhost/application/o/par/',
      backchannel_logout_supported: true, backchannel_logout_session_supported: true,
      frontchannel_logout_supported: true, frontchannel_logout_session_supported: true,
      response_types_supported: ['code', 'id_token', 'id_token token', 'code token', 'code id_token',
        'code id_token token'],
      response_modes_supported: ['query', 'fragment', 'form_post'],
      jwks_uri: 'http://localhost/application/o/rs/jwks/',
      grant_types_supported: ['authorization_code', 'refresh_token', 'implicit', 'client_credentials', 'password',
        'urn:ietf:params:oauth:grant-type:device_code'],
      id_token_signing_alg_values_supported: ['RS256'],
      subject_types_supported: ['public'],
      token_endpoint_auth_methods_supported: ['client_secret_post', 'client_secret_basic'],
      acr_values_supported: ['goauthentik.io/providers/oauth2/default'],
      scopes_supported: ['email', 'entitlements', 'offline_access', 'openid', 'profile'],
      request_parameter_supported: false,
      claims_supported: ['sub', 'iss', 'aud', 'exp', 'iat', 'auth_time', 'acr', 'amr', 'nonce',
        'email', 'email_verified', 'roles', 'entitlements', 'name', 'groups', 'nickname', 'given_name',
        'preferred_username'],
      claims_parameter_supported: false,
      code_challenge_methods_supported: ['plain', 'S256'],
      authorization_response_iss_parameter_supported: true,
      require_pushed_authorization_requests: false,
      dpop_signing_alg_values_supported: ['ES256', 'ES384', 'RS256', 'PS256', 'EdDSA'],
    })
  })

  it('narrows grant and response types to the provider\'s grant_types', async () => {
    const doc = await json(t.request('/application/o/hs/.well-known/openid-configuration'))
    expect(doc.grant_types_supported).toEqual(['authorization_code'])
    expect(doc.response_types_supported).toEqual(['code'])
    expect(doc.id_token_signing_alg_values_supported).toEqual(['HS256'])
  })

  it('defaults new providers to the grants RFC 9700 has no objection to', async () => {
    const doc = await json(t.request('/application/o/es256/.well-known/openid-configuration'))
    expect(doc.grant_types_supported).toEqual(['authorization_code', 'refresh_token', 'client_credentials',
      'urn:ietf:params:oauth:grant-type:device_code'])
    expect(doc.response_types_supported).toEqual(['code'])
  })

  it('appends openid to the scopes of a provider without mappings', async () => {
    const doc = await json(t.request('/application/o/es256/.well-known/openid-configuration'))
    expect(doc.scopes_supported).toEqual(['openid'])
    expect(doc.claims_supported).toEqual(['sub', 'iss', 'aud', 'exp', 'iat', 'auth_time', 'acr', 'amr', 'nonce'])
  })

  it.each([['es256', 'ES256'], ['es384', 'ES384'], ['es512', 'ES512']])('names %s\'s algorithm', async (slug, alg) => {
    const doc = await json(t.request(`/application/o/${slug}/.well-known/openid-configuration`))
    expect(doc.id_token_signing_alg_values_supported).toEqual([alg])
  })

  it('publishes the encryption members only with an encryption key', async () => {
    const enc = await json(t.request('/application/o/es512/.well-known/openid-configuration'))
    expect(enc.id_token_encryption_alg_values_supported).toEqual(['RSA-OAEP-256'])
    expect(enc.id_token_encryption_enc_values_supported).toEqual(['A256CBC-HS512'])
    const plain = await json(t.request('/application/o/es384/.well-known/openid-configuration'))
    expect(plain).not.toHaveProperty('id_token_encryption_alg_values_supported')
    expect(plain).not.toHaveProperty('id_token_encryption_enc_values_supported')
  })

  it('uses the root as issuer in global mode', async () => {
    const doc = await json(t.request('/application/o/global/.well-known/openid-configuration'))
    expect(doc.issuer).toBe('http://localhost/')
    expect(doc.jwks_uri).toBe('http://localhost/application/o/global/jwks/')
  })

  it('serves the same document at the RFC 8414 alias', async () => {
    const a = await t.request('/application/o/rs/.well-known/openid-configuration')
    for (const path of ['/.well-known/oauth-authorization-server/application/o/rs/',
      '/.well-known/oauth-authorization-server/application/o/rs']) {
      const b = await t.request(path)
      expect(b.status).toBe(200)
      expect(await b.json()).toEqual(await a.clone().json())
    }
  })

  it('redirects the issuer URL to the discovery document', async () => {
    const res = await t.request('/application/o/rs/')
    expect(res.status).toBe(302)
    expect(res.headers.get('Location')).toBe('http://localhost/application/o/rs/.well-known/openid-configuration')
  })

  it.each([
    '/application/o/nope/.well-known/openid-configuration', '/.well-known/oauth-authorization-server/application/o/nope/',
    '/application/o/nope/jwks/', '/application/o/nope/',
  ])('answers 404 for an unknown slug: %s', async (path) => {
    const res = await t.request(path)
    expect(res.status).toBe(404)
    expect(await res.json()).toEqual({ detail: 'Not found.' })
  })

  it('answers 404 for an application without a provider', async () => {
    expect((await t.admin('POST', '/core/applications/', { name: 'bare', slug: 'bare' })).status).toBe(201)
    expect((await t.request('/application/o/bare/.well-known/openid-configuration')).status).toBe(404)
  })

  it('builds absolute URLs from PUBLIC_URL when it is set', async () => {
    const pinned = await createTestContext({ PUBLIC_URL: 'https://id.example.com/' })
    try {
      await createProviderApp(pinned, 'x', { authorization_flow: 'default-provider-authorization-explicit-consent' })
      const doc = await json(pinned.request('http://internal:8787/application/o/x/.well-known/openid-configuration'))
      expect(doc.issuer).toBe('https://id.example.com/application/o/x/')
      expect(doc.token_endpoint).toBe('https://id.example.com/application/o/token/')
    } finally {
      await pinned.close()
    }
  })
})

describe('per-isolate metadata cache', () => {
  it('serves warm discovery, JWKS and unknown slugs without a database statement', async () => {
    for (const path of ['/application/o/es384/.well-known/openid-configuration', '/application/o/es384/jwks/',
      '/application/o/missing/.well-known/openid-configuration']) {
      await t.request(path)
      t.counter.reset()
      const res = await t.request(path)
      expect([200, 404]).toContain(res.status)
      expect(t.counter.count, path).toBe(0)
    }
  })

  it('reads the database again once the cache time has passed', async () => {
    await t.request('/application/o/es384/jwks/')
    t.clock.advance(61_000)
    t.counter.reset()
    await t.request('/application/o/es384/jwks/')
    expect(t.counter.count).toBe(1)
  })

  it('forgets what the admin API changed', async () => {
    const before = await json(t.request('/application/o/es256/.well-known/openid-configuration'))
    expect(before.issuer).toBe('http://localhost/application/o/es256/')
    const p = await json<{ results: Array<{ pk: number }> }>(t.admin('GET', '/providers/oauth2/?name=es256'))
    const pk = p.results[0]?.pk
    expect((await t.admin('PATCH', `/providers/oauth2/${pk}/`, { issuer_mode: 'global' })).status).toBe(200)
    const after = await json(t.request('/application/o/es256/.well-known/openid-configuration'))
    expect(after.issuer).toBe('http://localhost/')
  })
})

describe('JWKS (authentik §3.6)', () => {
  it('answers an empty key set for an HS256 provider (RFC 7517 §5; authentik answers {})', async () => {
    const res = await t.request('/application/o/hs/jwks/')
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ keys: [] })
    expect(res.headers.get('Vary')).toBe('Host')
    expect(res.headers.get('Access-Control-Allow-Origin')).toBe('*')
  })

  it('publishes an RSA signing key with its certificate', async () => {
    const set = await json<{ keys: Array<Record<string, unknown>> }>(t.request('/application/o/rs/jwks/'))
    expect(set.keys).toHaveLength(1)
    const [key] = set.keys
    expect(key).toMatchObject({ kty: 'RSA', use: 'sig', alg: 'RS256', e: 'AQAB' })
    expect(Object.keys(key!).sort()).toEqual(['alg', 'e', 'kid', 'kty', 'n', 'use', 'x5c', 'x5t', 'x5t#S256'])
    expect((key!.x5c as string[])[0]).toMatch(/^MII[A-Za-z0-9+/]+=*$/)
  })

  it.each([['es256', 'P-256', 43], ['es384', 'P-384', 64]])('publishes %s with padded coordinates', async (slug, crv, len) => {
    const set = await json<{ keys: Array<Record<string, string>> }>(t.request(`/application/o/${slug}/jwks/`))
    expect(set.keys).toHaveLength(1)
    expect(set.keys[0]).toMatchObject({ kty: 'EC', crv, use: 'sig' })
    expect(set.keys[0]!.x).toHaveLength(len)
    expect(set.keys[0]!.y).toHaveLength(len)
  })

  it('publishes the signing and the encryption key', async () => {
    const set = await json<{ keys: Array<Record<string, string>> }>(t.request('/application/o/es512/jwks/'))
    expect(set.keys.map((k) => [k.kty, k.use, k.alg, k.enc])).toEqual([
      ['EC', 'sig', 'ES512', undefined], ['RSA', 'enc', 'RSA-OAEP-256', 'A256CBC-HS512'],
    ])
    expect(set.keys[0]!.x).toHaveLength(88)
  })
})

describe('WebFinger (RFC 7033)', () => {
  it('answers {} when no default application is configured', async () => {
    const res = await t.request('/.well-known/webfinger?resource=acct:alice@example.com')
    expect(res.status).toBe(200)
    expect(res.headers.get('Content-Type')).toBe('application/jrd+json')
    expect(res.headers.get('Access-Control-Allow-Origin')).toBe('*')
    expect(await res.json()).toEqual({})
  })

  it('points at the default application\'s per-provider issuer', async () => {
    t.deps.config.defaultApplication = 'global'
    try {
      const res = await t.request('/.well-known/webfinger?resource=acct:alice@example.com')
      expect(await res.json()).toEqual({
        subject: 'acct:alice@example.com',
        links: [{ rel: 'http://openid.net/specs/connect/1.0/issuer', href: 'http://localhost/application/o/global/' }],
      })
      expect(await json(t.request('/.well-known/webfinger'))).toMatchObject({ subject: null })
    } finally {
      t.deps.config.defaultApplication = undefined
    }
  })
})
