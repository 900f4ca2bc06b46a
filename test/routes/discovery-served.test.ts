import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { GRANT_TYPES } from '../../src/db/schema.ts'
import { createTestContext, type TestContext } from '../support/app.ts'
import { createProviderApp, defaultMappingPks, json, type Provider } from '../support/fixtures.ts'

/** Discovery says only what is served (DESIGN.md): every advertised endpoint, grant and response type is real. */
let t: TestContext
let provider: Provider
let doc: Record<string, unknown>
const REDIRECT = 'https://rp.example/callback'

beforeAll(async () => {
  t = await createTestContext()
  provider = await createProviderApp(t, 'everything', {
    redirect_uris: [{ matching_mode: 'strict', url: REDIRECT }], property_mappings: await defaultMappingPks(t),
    grant_types: [...GRANT_TYPES],
  })
  doc = await json(t.request('/application/o/everything/.well-known/openid-configuration'))
}, 60_000)
afterAll(() => t.close())

const pathOf = (url: unknown) => {
  const u = new URL(String(url))
  return `${u.pathname}${u.search}`
}

describe('discovery advertises only what is served', () => {
  it('every advertised endpoint answers something other than 404, by GET or POST', async () => {
    const endpoints = Object.entries(doc).filter(([key]) => key.endsWith('_endpoint') || key === 'jwks_uri')
    expect(endpoints.map(([key]) => key)).toContain('token_endpoint')
    for (const [key, url] of endpoints) {
      const [get, post] = await Promise.all([
        t.request(`${pathOf(url)}${pathOf(url).includes('?') ? '&' : '?'}probe=1`),
        t.request(pathOf(url), { method: 'POST', body: new URLSearchParams({ probe: '1' }) }),
      ])
      expect({ key, statuses: [get.status, post.status].some((s) => s !== 404) }).toEqual({ key, statuses: true })
    }
  })

  it('every advertised grant type is one the token endpoint serves', async () => {
    const grants = doc.grant_types_supported as string[]
    expect(grants).toContain('authorization_code')
    for (const grantType of grants.filter((g) => g !== 'implicit')) {
      const res = await t.request('/application/o/token/', {
        method: 'POST',
        body: new URLSearchParams({ grant_type: grantType, client_id: provider.client_id,
          client_secret: provider.client_secret }),
      })
      const body = await json(res)
      expect({ grantType, error: body.error }).not.toEqual({ grantType, error: 'unsupported_grant_type' })
    }
  })

  it('every advertised response type (and implicit, when listed) is one the authorization endpoint serves', async () => {
    const types = doc.response_types_supported as string[]
    expect(types).toContain('code')
    if ((doc.grant_types_supported as string[]).includes('implicit')) expect(types).toContain('id_token')
    for (const responseType of types) {
      const query = new URLSearchParams({ client_id: provider.client_id, redirect_uri: REDIRECT,
        response_type: responseType, scope: 'openid', nonce: 'n', state: 's', code_challenge: 'x'.repeat(43),
        code_challenge_method: 'plain', prompt: 'none' })
      const res = await t.request(`/application/o/authorize/?${query}`)
      const location = res.headers.get('Location') ?? ''
      const answer = new URLSearchParams(new URL(location).search || new URL(location).hash.slice(1))
      expect({ responseType, error: answer.get('error') }).toEqual({ responseType, error: 'login_required' })
    }
  })
})
