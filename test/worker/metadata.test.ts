import { beforeAll, describe, expect, it } from 'vitest'
import { createProviderApp, generateKeyPair, type GeneratedKeyPair } from '../support/fixtures.ts'
import { admin, ORIGIN, workerAdmin, workerFetch } from './helpers.ts'

const SLUG = 'worker-metadata'
let key: GeneratedKeyPair
let certificatePem: string

/** PEM body as one base64 string: what `x5c` carries (RFC 7517 §4.7). */
function pemBase64(pem: string): string {
  return pem.replace(/-----(BEGIN|END) CERTIFICATE-----/g, '').replace(/\s+/g, '')
}

beforeAll(async () => {
  // Seeded through the Worker's admin API: key generation, sealing and the writes all run in workerd.
  key = await generateKeyPair(workerAdmin, 'worker-metadata-key', { validity_days: 30, alg: 'ecdsa', key_size: 256 })
  const certificate = await admin('GET', `/crypto/certificatekeypairs/${key.pk}/view_certificate/`)
  expect(certificate.status).toBe(200)
  certificatePem = ((await certificate.json()) as { data: string }).data
  await createProviderApp(workerAdmin, SLUG, {
    name: 'worker-metadata-provider', signing_key: key.pk, grant_types: ['authorization_code', 'refresh_token'],
  }, { name: 'Worker metadata' })
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
    expect(doc.introspection_endpoint).toBe(`${ORIGIN}/application/o/introspect/`)
    expect(doc.revocation_endpoint).toBe(`${ORIGIN}/application/o/revoke/`)
    expect(doc.end_session_endpoint).toBe(`${ORIGIN}/application/o/${SLUG}/end-session/`)
    expect(doc).toMatchObject({ backchannel_logout_supported: true, backchannel_logout_session_supported: true,
      frontchannel_logout_supported: true, frontchannel_logout_session_supported: true })
    expect(doc.device_authorization_endpoint).toBe(`${ORIGIN}/application/o/device/`)
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
