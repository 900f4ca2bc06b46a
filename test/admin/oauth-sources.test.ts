import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestContext, type TestContext } from '../support/app.ts'

let t: TestContext

async function json(res: Response): Promise<Record<string, any>> {
  return (await res.json()) as Record<string, any>
}

const EC_KEY = {
  kty: 'EC', crv: 'P-256', kid: 'k1', alg: 'ES256', use: 'sig',
  x: 'f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU', y: 'x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0',
}

beforeAll(async () => {
  t = await createTestContext()
})
afterAll(() => t.close())

describe('OAuth sources', () => {
  it('creates a source with a JWKS and answers authentik fields', async () => {
    const res = await t.admin('POST', '/sources/oauth/', { name: 'Partner IdP', slug: 'partner', oidc_jwks: { keys: [EC_KEY] } })
    expect(res.status).toBe(201)
    const body = await json(res)
    expect(body).toEqual({
      pk: expect.stringMatching(/^[0-9a-f-]{36}$/), name: 'Partner IdP', slug: 'partner', enabled: true,
      component: 'ak-source-oauth-form', verbose_name: 'OAuth Source', verbose_name_plural: 'OAuth Sources',
      meta_model_name: 'authentik_sources_oauth.oauthsource', provider_type: 'openidconnect',
      oidc_jwks: { keys: [EC_KEY] }, oidc_jwks_url: '',
    })
    const get = await t.admin('GET', '/sources/oauth/partner/')
    expect(get.status).toBe(200)
    expect(await json(get)).toEqual(body)
  })

  it('defaults the JWKS to {} and accepts a JWKS URL', async () => {
    const res = await t.admin('POST', '/sources/oauth/', { name: 'Remote', slug: 'remote', enabled: false,
      oidc_jwks_url: 'https://idp.example.com/jwks' })
    expect(res.status).toBe(201)
    expect(await json(res)).toMatchObject({ enabled: false, oidc_jwks: {}, oidc_jwks_url: 'https://idp.example.com/jwks' })
  })

  it('rejects what is not a set of public JWKs', async () => {
    const cases: Array<[unknown, string]> = [
      [{ kty: 'EC' }, 'Expected a JSON Web Key Set: {"keys": [...]}.'],
      [{ keys: 'x' }, 'Expected a JSON Web Key Set: {"keys": [...]}.'],
      [{ keys: [{ crv: 'P-256' }] }, 'Key 0 is not a JSON Web Key with a "kty".'],
      [{ keys: [EC_KEY, 'x'] }, 'Key 1 is not a JSON Web Key with a "kty".'],
      [{ keys: [{ ...EC_KEY, d: 'secret' }] }, 'Key 0 holds private material; only public keys are accepted.'],
      [{ keys: [{ kty: 'oct', k: 'c2VjcmV0' }] }, 'Key 0 holds private material; only public keys are accepted.'],
    ]
    for (const [oidc_jwks, message] of cases) {
      const res = await t.admin('POST', '/sources/oauth/', { name: 'bad', slug: 'bad', oidc_jwks })
      expect(res.status, JSON.stringify(oidc_jwks)).toBe(400)
      expect(await json(res)).toEqual({ oidc_jwks: [message] })
    }
    const notObject = await t.admin('POST', '/sources/oauth/', { name: 'bad', slug: 'bad', oidc_jwks: [EC_KEY] })
    expect(notObject.status).toBe(400)
    expect(Object.keys(await json(notObject))).toEqual(['oidc_jwks'])
    expect((await json(await t.admin('GET', '/sources/oauth/?slug=bad'))).pagination.count).toBe(0)
  })

  it('validates name, slug and URL, and reports which unique field is taken', async () => {
    const cases: Array<[unknown, Record<string, string[]>]> = [
      [{ slug: 's' }, { name: ['This field is required.'] }],
      [{ name: 'n', slug: 'has space' }, { slug: ['Enter a valid "slug" consisting of letters, numbers, underscores or hyphens.'] }],
      [{ name: 'n', slug: 's', oidc_jwks_url: 'not a url' }, { oidc_jwks_url: ['Enter a valid URL.'] }],
      [{ name: 'Partner IdP', slug: 'other' }, { name: ['source with this name already exists.'] }],
      [{ name: 'Other', slug: 'partner' }, { slug: ['source with this slug already exists.'] }],
    ]
    for (const [body, errors] of cases) {
      const res = await t.admin('POST', '/sources/oauth/', body)
      expect(res.status, JSON.stringify(body)).toBe(400)
      expect(await json(res)).toEqual(errors)
    }
  })

  it('updates by slug, including the slug itself and the JWKS', async () => {
    const patch = await t.admin('PATCH', '/sources/oauth/remote/', { slug: 'remote-2', oidc_jwks: { keys: [EC_KEY] } })
    expect(patch.status).toBe(200)
    expect(await json(patch)).toMatchObject({ slug: 'remote-2', oidc_jwks: { keys: [EC_KEY] } })
    expect((await t.admin('GET', '/sources/oauth/remote/')).status).toBe(404)

    const invalid = await t.admin('PATCH', '/sources/oauth/remote-2/', { oidc_jwks: { keys: [{}] } })
    expect(invalid.status).toBe(400)
    expect(await json(invalid)).toEqual({ oidc_jwks: ['Key 0 is not a JSON Web Key with a "kty".'] })

    const put = await t.admin('PUT', '/sources/oauth/remote-2/', { name: 'Remote', slug: 'remote', oidc_jwks: {} })
    expect(put.status).toBe(200)
    expect(await json(put)).toMatchObject({ name: 'Remote', slug: 'remote', enabled: false, oidc_jwks: {},
      oidc_jwks_url: 'https://idp.example.com/jwks' })

    const taken = await t.admin('PATCH', '/sources/oauth/remote/', { slug: 'partner' })
    expect(taken.status).toBe(400)
    expect(await json(taken)).toEqual({ slug: ['source with this slug already exists.'] })
  })

  it('lists by name with filters and search', async () => {
    const all = await json(await t.admin('GET', '/sources/oauth/'))
    expect(all.results.map((s: { slug: string }) => s.slug)).toEqual(['partner', 'remote'])
    const bySlug = await json(await t.admin('GET', '/sources/oauth/?slug=remote'))
    expect(bySlug.results.map((s: { slug: string }) => s.slug)).toEqual(['remote'])
    const byName = await json(await t.admin('GET', '/sources/oauth/?name=Partner%20IdP'))
    expect(byName.results.map((s: { slug: string }) => s.slug)).toEqual(['partner'])
    const search = await json(await t.admin('GET', '/sources/oauth/?search=PART'))
    expect(search.pagination.count).toBe(1)
  })

  it('deletes by slug; unknown slugs are 404 and the API needs the admin token', async () => {
    expect((await t.admin('DELETE', '/sources/oauth/remote/')).status).toBe(204)
    const gone = await t.admin('GET', '/sources/oauth/remote/')
    expect(gone.status).toBe(404)
    expect(await json(gone)).toEqual({ detail: 'Not found.' })
    expect((await t.admin('DELETE', '/sources/oauth/remote/')).status).toBe(404)
    expect((await t.admin('PATCH', '/sources/oauth/nope/', { enabled: true })).status).toBe(404)
    expect((await t.request('/api/v3/sources/oauth/')).status).toBe(401)
  })
})
