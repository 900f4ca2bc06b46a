import { beforeAll, describe, expect, it } from 'vitest'
import { admin, ORIGIN, workerFetch } from './helpers.ts'

const SLUG = 'worker-metadata'
let key: { pk: string; kid: string }
let certificatePem: string

/** PEM body as one base64 string: what `x5c` carries (RFC 7517 §4.7). */
function pemBase64(pem: string): string {
  return pem.replace(/-----(BEGIN|END) CERTIFICATE-----/g, '').replace(/\s+/g, '')
}

beforeAll(async () => {
  // Seeded through the Worker's admin API: key generation, sealing and the writes all run in workerd.
  const generated = await admin('POST', '/crypto/certificatekeypairs/generate/', {
    common_name: 'worker-metadata-key', validity_days: 30, alg: 'ecdsa', key_size: 256,
  })
  expect(generated.status).toBe(200)
  key = await generated.json()
  const certificate = await admin('GET', `/crypto/certificatekeypairs/${key.pk}/view_certificate/`)
  expect(certificate.status).toBe(200)
  certificatePem = ((await certificate.json()) as { data: string }).data
  const provider = await admin('POST', '/providers/oauth2/', {
    name: 'worker-metadata-provider', authorization_flow: 'default-provider-authorization-implicit-consent',
    signing_key: key.pk, grant_types: ['authorization_code', 'refresh_token'],
  })
  expect(provider.status).toBe(201)
  const { pk: providerPk } = await provider.json() as { pk: number }
  const application = await admin('POST', '/core/applications/', { name: 'Worker metadata', slug: SLUG, provider: providerPk })
  expect(application.status).toBe(201)
})

describe('discovery and JWKS in workerd', () => {
  it('serves the discovery document publicly and cacheably', async () => {
    const res = await workerFetch(`/application/o/${SLUG}/.well-known/openid-configuration`)
    expect(res.status).toBe(200)
    expect(res.headers.get('Content-Type')).toBe('application/json')
    expect(res.headers.get('Access-Control-Allow-Origin')).toBe('*')
    expect(res.headers.get('Cache-Control')).toBe('public, max-age=60')
    const doc = await res.json() as Record<string, unknown>
    expect(doc.issuer).toBe(`${ORIGIN}/application/o/${SLUG}/`)
    expect(doc.jwks_uri).toBe(`${ORIGIN}/application/o/${SLUG}/jwks/`)
    expect(doc.token_endpoint).toBe(`${ORIGIN}/application/o/token/`)
    expect(doc.id_token_signing_alg_values_supported).toEqual(['ES256'])
    expect(doc.grant_types_supported).toEqual(['authorization_code', 'refresh_token'])
  })

  it('serves the same document at the RFC 8414 path', async () => {
    const res = await workerFetch(`/.well-known/oauth-authorization-server/application/o/${SLUG}/`)
    expect(res.status).toBe(200)
    expect(((await res.json()) as { issuer: string }).issuer).toBe(`${ORIGIN}/application/o/${SLUG}/`)
  })

  it('publishes the signing key with its certificate chain', async () => {
    const res = await workerFetch(`/application/o/${SLUG}/jwks/`)
    expect(res.status).toBe(200)
    expect(res.headers.get('Access-Control-Allow-Origin')).toBe('*')
    expect(res.headers.get('Cache-Control')).toBe('public, max-age=60')
    const { keys } = await res.json() as { keys: Array<Record<string, unknown>> }
    expect(keys).toHaveLength(1)
    expect(keys[0]).toMatchObject({ kid: key.kid, kty: 'EC', crv: 'P-256', use: 'sig', alg: 'ES256' })
    expect(keys[0]!.x5c).toEqual([pemBase64(certificatePem)])
    expect(keys[0]!.d).toBeUndefined()
  })

  it('answers an unknown slug with 404, not cached by clients', async () => {
    for (const path of ['/.well-known/openid-configuration', '/jwks/']) {
      const res = await workerFetch(`/application/o/no-such-application${path}`)
      expect(res.status).toBe(404)
      expect(res.headers.get('Cache-Control')).toBe('no-store')
      expect(await res.json()).toEqual({ detail: 'Not found.' })
    }
  })

  it('redirects the issuer URL to its discovery document', async () => {
    const res = await workerFetch(`/application/o/${SLUG}/`, { redirect: 'manual' })
    expect(res.status).toBe(302)
    expect(res.headers.get('Location')).toBe(`${ORIGIN}/application/o/${SLUG}/.well-known/openid-configuration`)
  })
})
