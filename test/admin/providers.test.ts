import { count, eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { keyPairs, oauthSources, providers, providerScopeMappings, scopeMappings } from '../../src/db/schema.ts'
import { ADMIN_TOKEN, createTestContext, type TestContext } from '../support/app.ts'

let t: TestContext
beforeAll(async () => {
  t = await createTestContext()
})
afterAll(() => t.close())

const PATH = '/providers/oauth2/'
const FLOW = 'default-provider-authorization-implicit-consent'
type Provider = Record<string, unknown> & { pk: number; client_id: string; client_secret: string; name: string }
type Page = { pagination: Record<string, number>; results: Provider[] }

async function create(body: Record<string, unknown>): Promise<Provider> {
  const res = await t.admin('POST', PATH, { authorization_flow: FLOW, ...body })
  expect(res.status, await res.clone().text()).toBe(201)
  return (await res.json()) as Provider
}

async function providerCount(): Promise<number> {
  const [row] = await t.db.select({ n: count() }).from(providers)
  return row?.n ?? 0
}

async function insertKey(name: string, keyType: 'rsa' | 'ecdsa', withPrivateKey = true): Promise<string> {
  const [row] = await t.db.insert(keyPairs).values({
    name, certificateData: 'not-a-real-certificate', keyDataSealed: withPrivateKey ? 'sealed' : null, kid: name,
    keyType, keySize: keyType === 'rsa' ? 2048 : 256, fingerprintSha256: '', fingerprintSha1: '', certSubject: `CN=${name}`,
    certExpiry: new Date('2030-01-01T00:00:00Z'),
  }).returning({ id: keyPairs.id })
  return row!.id
}

describe('creating a provider', () => {
  it('fills in authentik defaults, generates the credentials and the RFC 9700 grant types', async () => {
    const res = await t.admin('POST', PATH, { name: 'defaults', authorization_flow: FLOW })
    expect(res.status).toBe(201)
    const body = (await res.json()) as Provider
    expect(body.client_id).toMatch(/^[A-Za-z0-9]{40}$/)
    expect(body.client_secret).toMatch(/^[A-Za-z0-9]{128}$/)
    expect(body).toEqual({
      pk: expect.any(Number), name: 'defaults', authentication_flow: null, authorization_flow: FLOW,
      invalidation_flow: null, property_mappings: [], component: 'ak-provider-oauth2-form',
      assigned_application_slug: null, assigned_application_name: null, verbose_name: 'OAuth2/OpenID Provider',
      verbose_name_plural: 'OAuth2/OpenID Providers', meta_model_name: 'authentik_providers_oauth2.oauth2provider',
      client_type: 'confidential', client_id: body.client_id, client_secret: body.client_secret,
      access_code_validity: 'minutes=1', access_token_validity: 'hours=1', refresh_token_validity: 'days=30',
      refresh_token_threshold: 'seconds=0', include_claims_in_id_token: true, signing_key: null, encryption_key: null,
      redirect_uris: [], logout_uri: '', logout_method: 'backchannel', sub_mode: 'hashed_user_id',
      issuer_mode: 'per_provider', jwt_federation_sources: [], jwt_federation_providers: [],
      grant_types: ['authorization_code', 'refresh_token', 'client_credentials', 'device_code'],
      dpop_bound_access_tokens: false, dpop_require_nonce: false, require_pushed_authorization_requests: false,
      access_token_format: 'authentik', allowed_resources: [], next_signing_key: null, next_signing_key_published: null,
      previous_signing_key: null,
      previous_signing_key_expires: null, signing_key_rotation: null, signing_key_rotated: null,
      refresh_token_reuse_interval: 'seconds=0',
    })
  })

  it('refuses a resource indicator that is not an absolute URI, or has a fragment, and a bad rotation period', async () => {
    const before = await providerCount()
    const res = await t.admin('POST', PATH, {
      name: 'bad-resources', authorization_flow: FLOW, allowed_resources: ['/relative', 'https://api.example/#frag'],
      signing_key_rotation: 'weeks', refresh_token_reuse_interval: 'soon',
    })
    expect(res.status).toBe(400)
    const body = await res.json() as Record<string, unknown>
    expect(Object.keys(body).sort()).toEqual(['allowed_resources', 'refresh_token_reuse_interval', 'signing_key_rotation'])
    expect(await providerCount()).toBe(before)
  })

  it('stores the client secret sealed, never as plaintext', async () => {
    const p = await create({ name: 'sealed' })
    const [row] = await t.db.select().from(providers).where(eq(providers.id, p.pk))
    expect(row!.clientSecretSealed).not.toContain(p.client_secret)
    const again = (await (await t.admin('GET', `${PATH}${p.pk}/`)).json()) as Provider
    expect(again.client_secret).toBe(p.client_secret)
  })

  it('takes every field it is given, links included', async () => {
    const mappings = await t.db.select({ id: scopeMappings.id }).from(scopeMappings).orderBy(scopeMappings.id)
    const [source] = await t.db.insert(oauthSources).values({ name: 'src', slug: 'src' }).returning()
    const other = await create({ name: 'federated' })
    const signing = await insertKey('full-signing', 'ecdsa')
    const encryption = await insertKey('full-encryption', 'rsa', false)
    const body = {
      name: 'full', authorization_flow: 'default-provider-authorization-explicit-consent', authentication_flow: 'auth',
      invalidation_flow: 'default-provider-invalidation-flow', property_mappings: mappings.map((m) => m.id), client_type: 'public',
      client_id: 'my-client', client_secret: 'my-secret', access_code_validity: 'minutes=2',
      access_token_validity: 'hours=2', refresh_token_validity: 'days=2', refresh_token_threshold: 'hours=1',
      include_claims_in_id_token: false, signing_key: signing, encryption_key: encryption,
      redirect_uris: [{ matching_mode: 'regex', url: 'https://.*\\.example\\.com/cb', redirect_uri_type: 'authorization' }],
      logout_uri: 'https://rp.example.com/logout', logout_method: 'frontchannel', sub_mode: 'user_email',
      issuer_mode: 'global', jwt_federation_sources: [source!.id], jwt_federation_providers: [other.pk],
      grant_types: ['implicit', 'password'],
    }
    const res = await t.admin('POST', PATH, body)
    expect(res.status).toBe(201)
    expect(await res.json()).toMatchObject(body)
  })

  it('accepts two logout redirect URIs', async () => {
    const redirect_uris = [
      { matching_mode: 'strict', url: 'http://localhost/logout-a', redirect_uri_type: 'logout' },
      { matching_mode: 'regex', url: 'http://localhost/logout-.*', redirect_uri_type: 'logout' },
    ]
    const p = await create({ name: 'two-logout', redirect_uris })
    expect(p.redirect_uris).toEqual(redirect_uris)
  })

  it('defaults the matching mode and type of a redirect URI', async () => {
    const p = await create({ name: 'uri-defaults', redirect_uris: [{ url: 'http://localhost' }] })
    expect(p.redirect_uris).toEqual([{ matching_mode: 'strict', url: 'http://localhost', redirect_uri_type: 'authorization' }])
  })

  it('runs one read, one write and one read back', async () => {
    t.counter.reset()
    await create({ name: 'counted', property_mappings: [], jwt_federation_providers: [] })
    expect(t.counter.count).toBe(3)
  })
})

describe('validation', () => {
  const rejects = async (body: Record<string, unknown>, expected: Record<string, string[]>) => {
    const before = await providerCount()
    const res = await t.admin('POST', PATH, { name: 'rejected', authorization_flow: FLOW, ...body })
    expect(res.status).toBe(400)
    expect(await res.json()).toEqual(expected)
    expect(await providerCount()).toBe(before)
  }

  it('requires a name and an authorization flow', async () => {
    const res = await t.admin('POST', PATH, {})
    expect(res.status).toBe(400)
    expect(await res.json()).toEqual({
      name: ['This field is required.'], authorization_flow: ['This field is required.'],
    })
  })

  it('rejects a regex redirect URI that does not compile', async () => {
    await rejects({ redirect_uris: [{ matching_mode: 'regex', url: '**', redirect_uri_type: 'authorization' }] },
      { redirect_uris: ['Invalid Regex Pattern: **'] })
  })

  it('rejects a redirect URI with an unknown matching mode', async () => {
    await rejects({ redirect_uris: [{ matching_mode: 'prefix', url: 'http://localhost' }] },
      { redirect_uris: ['"prefix" is not a valid choice.'] })
  })

  it('rejects a malformed duration with authentik message', async () => {
    await rejects({ access_token_validity: 'foo' },
      { access_token_validity: ["foo is not in the correct format of 'hours=3;minutes=1'."] })
    await rejects({ refresh_token_threshold: 'hours=1;' },
      { refresh_token_threshold: ["hours=1; is not in the correct format of 'hours=3;minutes=1'."] })
  })

  it('rejects a duration longer than 1000 years either way, which no token or key could expire after', async () => {
    await rejects({ access_token_validity: 'days=1e300' }, { access_token_validity: ['days=1e300 is longer than 1000 years.'] })
    await rejects({ refresh_token_validity: 'weeks=-60000' },
      { refresh_token_validity: ['weeks=-60000 is longer than 1000 years.'] })
  })

  it('rejects a logout URI that is not an http(s) URL', async () => {
    await rejects({ logout_uri: 'invalid-url' }, { logout_uri: ['Enter a valid URL.'] })
    await rejects({ logout_uri: 'javascript:alert(1)' }, { logout_uri: ['Enter a valid URL.'] })
  })

  it('rejects a client secret that is not ASCII', async () => {
    await rejects({ client_secret: 'sécret' }, { client_secret: ['Client secret must consist of only ASCII characters.'] })
  })

  it('rejects unknown and duplicate grant types', async () => {
    await rejects({ grant_types: ['authorization_code', 'magic'] }, { grant_types: ['"magic" is not a valid choice.'] })
    await rejects({ grant_types: ['implicit', 'implicit'] }, { grant_types: ['Duplicate grant types are not allowed.'] })
  })

  it('rejects unknown choices', async () => {
    await rejects({ client_type: 'secret', sub_mode: 'nope' }, {
      client_type: ['"secret" is not a valid choice.'], sub_mode: ['"nope" is not a valid choice.'],
    })
  })

  it('rejects references to missing objects, all at once, and writes nothing', async () => {
    const missing = '00000000-0000-4000-8000-000000000000'
    await rejects({
      property_mappings: [missing], signing_key: missing, encryption_key: 'not-a-uuid',
      jwt_federation_sources: [missing], jwt_federation_providers: [999999],
    }, {
      property_mappings: [`Invalid pk "${missing}" - object does not exist.`],
      signing_key: [`Invalid pk "${missing}" - object does not exist.`],
      encryption_key: ['Invalid pk "not-a-uuid" - object does not exist.'],
      jwt_federation_sources: [`Invalid pk "${missing}" - object does not exist.`],
      jwt_federation_providers: ['Invalid pk "999999" - object does not exist.'],
    })
  })

  it('rejects an EC key for encryption and a key without private key for signing', async () => {
    const ec = await insertKey('ec-key', 'ecdsa')
    const certOnly = await insertKey('cert-only', 'rsa', false)
    await rejects({ encryption_key: ec }, { encryption_key: ['Only RSA keys can be used for encryption.'] })
    await rejects({ signing_key: certOnly },
      { signing_key: ['Only key pairs with a private key can be used for signing.'] })
  })

  it('rejects a taken name or client id', async () => {
    const p = await create({ name: 'taken' })
    await rejects({ name: 'taken' }, { name: ['Provider with this name already exists.'] })
    await rejects({ client_id: p.client_id },
      { client_id: ['OAuth2/OpenID Provider with this Client ID already exists.'] })
  })
})

describe('reading providers', () => {
  it('retrieves one by pk; an unknown or malformed pk is not found', async () => {
    const p = await create({ name: 'read-me' })
    const res = await t.admin('GET', `${PATH}${p.pk}/`)
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual(p)
    for (const pk of ['999999', 'abc']) {
      const missing = await t.admin('GET', `${PATH}${pk}/`)
      expect(missing.status).toBe(404)
      expect(await missing.json()).toEqual({ detail: 'Not found.' })
    }
  })

  it('lists by name with pagination, filters and search', async () => {
    for (const n of ['list-a', 'list-b', 'list-c']) await create({ name: n, client_id: `client-${n}` })
    const first = (await (await t.admin('GET', `${PATH}?search=list-&page_size=2`)).json()) as Page
    expect(first.results.map((p) => p.name)).toEqual(['list-a', 'list-b'])
    expect(first.pagination).toEqual({ next: 2, previous: 0, count: 3, current: 1, total_pages: 2, start_index: 1,
      end_index: 2 })
    const second = (await (await t.admin('GET', `${PATH}?search=list-&page_size=2&page=2`)).json()) as Page
    expect(second.results.map((p) => p.name)).toEqual(['list-c'])
    const byName = (await (await t.admin('GET', `${PATH}?name=list-b`)).json()) as Page
    expect(byName.results.map((p) => p.name)).toEqual(['list-b'])
    const byClient = (await (await t.admin('GET', `${PATH}?client_id=client-list-c`)).json()) as Page
    expect(byClient.results.map((p) => p.name)).toEqual(['list-c'])
    const bySearch = (await (await t.admin('GET', `${PATH}?search=CLIENT-LIST-A`)).json()) as Page
    expect(bySearch.results.map((p) => p.name)).toEqual(['list-a'])
    const byFlow = (await (await t.admin('GET', `${PATH}?authorization_flow=nope`)).json()) as Page
    expect(byFlow.pagination.count).toBe(0)
  })
})

describe('updating a provider', () => {
  it('PUT requires the required fields and keeps omitted optional ones', async () => {
    const p = await create({ name: 'put-me', access_token_validity: 'hours=5', grant_types: ['implicit'] })
    const missing = await t.admin('PUT', `${PATH}${p.pk}/`, { name: 'put-me' })
    expect(missing.status).toBe(400)
    expect(await missing.json()).toEqual({ authorization_flow: ['This field is required.'] })
    const res = await t.admin('PUT', `${PATH}${p.pk}/`, { name: 'put-renamed', authorization_flow: 'default-provider-authorization-explicit-consent' })
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ ...p, name: 'put-renamed', authorization_flow: 'default-provider-authorization-explicit-consent' })
  })

  it('PATCH stores one logout redirect URI', async () => {
    const p = await create({ name: 'patch-logout', redirect_uris: [{ url: 'http://localhost/cb' }] })
    const redirect_uris = [{ matching_mode: 'strict', url: 'http://localhost/logout', redirect_uri_type: 'logout' }]
    const res = await t.admin('PATCH', `${PATH}${p.pk}/`, { redirect_uris })
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ ...p, redirect_uris })
    const [row] = await t.db.select().from(providers).where(eq(providers.id, p.pk))
    expect(row!.redirectUris).toEqual(redirect_uris)
  })

  it('PATCH replaces the scope mappings exactly and can rotate the secret', async () => {
    const all = (await t.db.select({ id: scopeMappings.id }).from(scopeMappings)).map((m) => m.id).sort()
    const p = await create({ name: 'patch-links', property_mappings: all.slice(0, 3) })
    expect(p.property_mappings).toEqual(all.slice(0, 3))
    t.counter.reset()
    const res = await t.admin('PATCH', `${PATH}${p.pk}/`, { property_mappings: all.slice(2), client_secret: 'rotated' })
    expect(t.counter.count).toBe(3)
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ ...p, property_mappings: all.slice(2), client_secret: 'rotated' })
    const links = await t.db.select().from(providerScopeMappings).where(eq(providerScopeMappings.providerId, p.pk))
    expect(links.map((l) => l.scopeMappingId).sort()).toEqual(all.slice(2))
  })

  it('PATCH with a bad reference changes nothing', async () => {
    const p = await create({ name: 'patch-bad', property_mappings: [] })
    const res = await t.admin('PATCH', `${PATH}${p.pk}/`, {
      name: 'patch-bad-renamed', jwt_federation_providers: [999999],
    })
    expect(res.status).toBe(400)
    expect(await res.json()).toEqual({ jwt_federation_providers: ['Invalid pk "999999" - object does not exist.'] })
    expect(await (await t.admin('GET', `${PATH}${p.pk}/`)).json()).toEqual(p)
  })

  it('PATCH of an unknown provider is not found', async () => {
    const res = await t.admin('PATCH', `${PATH}999999/`, { name: 'ghost' })
    expect(res.status).toBe(404)
  })

  it('rejects renaming onto a taken name', async () => {
    await create({ name: 'rename-a' })
    const b = await create({ name: 'rename-b' })
    const res = await t.admin('PATCH', `${PATH}${b.pk}/`, { name: 'rename-a' })
    expect(res.status).toBe(400)
    expect(await res.json()).toEqual({ name: ['Provider with this name already exists.'] })
  })
})

describe('deleting a provider', () => {
  it('answers 204, then 404', async () => {
    const p = await create({ name: 'delete-me' })
    const res = await t.admin('DELETE', `${PATH}${p.pk}/`)
    expect(res.status).toBe(204)
    expect((await t.admin('GET', `${PATH}${p.pk}/`)).status).toBe(404)
    expect((await t.admin('DELETE', `${PATH}${p.pk}/`)).status).toBe(404)
  })
})

describe('the OpenAPI document', () => {
  it('describes the provider operations', async () => {
    const res = await t.request('/api/v3/schema/')
    expect(res.status).toBe(200)
    const doc = (await res.json()) as { paths: Record<string, Record<string, unknown>> }
    expect(Object.keys(doc.paths[PATH]!).sort()).toEqual(['get', 'post'])
    expect(Object.keys(doc.paths[`${PATH}{id}/`]!).sort()).toEqual(['delete', 'get', 'patch', 'put'])
  })
})

describe('authentication', () => {
  it('answers 401 without a token or with a wrong one', async () => {
    const none = await t.request(`/api/v3${PATH}`)
    expect(none.status).toBe(401)
    expect(await none.json()).toEqual({ detail: 'Authentication credentials were not provided.' })
    const wrong = await t.request(`/api/v3${PATH}`, {
      method: 'POST', headers: { Authorization: `Bearer ${ADMIN_TOKEN}x`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ name: 'x', authorization_flow: FLOW }),
    })
    expect(wrong.status).toBe(401)
    expect(await wrong.json()).toEqual({ detail: 'Invalid token.' })
  })
})
