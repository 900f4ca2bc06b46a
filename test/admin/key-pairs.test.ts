import { X509Certificate } from 'node:crypto'
import { eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { generateKeyPair } from '../../src/crypto/keypair.ts'
import { deriveSecrets } from '../../src/crypto/secret-box.ts'
import { loadKeyPairMaterial } from '../../src/db/key-store.ts'
import { applications, keyPairs, providers } from '../../src/db/schema.ts'
import { createTestContext, SECRET_KEY, START, type TestContext } from '../support/app.ts'

let t: TestContext
const BASE = '/crypto/certificatekeypairs/'
const NOW = new Date(START)
const DAY = 86_400_000

// Test-only pair made with `openssl ecparam -name secp256k1 -genkey` and `openssl req -new -x509 -subj /CN=k1`.
const SECP256K1_CERT = `-----BEGIN CERTIFICATE-----
MIIBbTCCARKgAwIBAgIUeLia1Tx3PlAeqMFIbfm4aPaE06swCgYIKoZIzj0EAwIw
DTELMAkGA1UEAwwCazEwHhcNMjYxMTI4MjAzOTM5WhcNMzYxMTI1MjAzOTM5WjAN
MQswCQYDVQQDDAJrMTBWMBAGByqGSM49AgEGBSuBBAAKA0IABFr021wyQnOLJWoz
7iiwJ2g7g9mCdjJw6xXMyplYcSTSVIqskj6Db4ZBzrCJ2BuIhlxZaWbuUay3rT1w
Pi4h2r+jUzBRMB0GA1UdDgQWBBSGsxNlgYLzsE41NHmHAULOCjb9lTAfBgNVHSME
GDAWgBSGsxNlgYLzsE41NHmHAULOCjb9lTAPBgNVHRMBAf8EBTADAQH/MAoGCCqG
SM49BAMCA0kAMEYCIQDz0lPp64neX2/VRzKBCrCtKkdeSWI0IKPP+b7ZmdQYVwIh
AK5cRn4htOfDXbBpQkRefgBwGFhyICj4kxerHYOKGbRq
-----END CERTIFICATE-----
`
const SECP256K1_KEY = `-----BEGIN PRIVATE KEY-----
MIGEAgEAMBAGByqGSM49AgEGBSuBBAAKBG0wawIBAQQg8LDneQ8L1b1aOvBoRoV5
y8Uz4H7/2JtgowZR/O0rMxyhRANCAARa9NtcMkJziyVqM+4osCdoO4PZgnYycOsV
zMqZWHEk0lSKrJI+g2+GQc6widgbiIZcWWlm7lGst609cD4uIdq/
-----END PRIVATE KEY-----
`

type Body = Record<string, any>

async function call(method: string, path: string, body?: unknown): Promise<{ status: number; text: string; body: Body }> {
  const res = await t.admin(method, path, body)
  const text = await res.text()
  return { status: res.status, text, body: text ? (JSON.parse(text) as Body) : {} }
}

async function certificate(pk: string): Promise<X509Certificate> {
  const res = await call('GET', `${BASE}${pk}/view_certificate/`)
  expect(res.status).toBe(200)
  return new X509Certificate(res.body.data as string)
}

function expectNoPrivateKey(text: string): void {
  expect(text).not.toContain('PRIVATE KEY')
  expect(text).not.toContain('key_data')
}

const material = (cn: string, alg: 'rsa' | 'ecdsa' = 'ecdsa', keySize = 256) =>
  generateKeyPair({ commonName: cn, validityDays: 30, alg, keySize }, NOW)

beforeAll(async () => {
  t = await createTestContext()
})
afterAll(() => t.close())

describe('generate', () => {
  it('generates an RSA 2048 pair by default, answers 200 and never returns the private key', async () => {
    const res = await call('POST', `${BASE}generate/`, { common_name: 'rsa-default' })
    expect(res.status).toBe(200)
    expectNoPrivateKey(res.text)
    expect(res.body).toEqual({
      pk: expect.stringMatching(/^[0-9a-f-]{36}$/), name: 'rsa-default',
      fingerprint_sha256: expect.stringMatching(/^([0-9a-f]{2}:){31}[0-9a-f]{2}$/),
      fingerprint_sha1: expect.stringMatching(/^([0-9a-f]{2}:){19}[0-9a-f]{2}$/),
      cert_expiry: new Date(NOW.getTime() + 365 * DAY).toISOString(), cert_subject: expect.stringContaining('CN=rsa-default'),
      private_key_available: true, key_type: 'rsa', kid: expect.stringMatching(/^[A-Za-z0-9_-]{86}$/), managed: null,
    })
    const cert = await certificate(res.body.pk)
    expect(cert.publicKey.asymmetricKeyDetails?.modulusLength).toBe(2048)
    expect(cert.fingerprint256.toLowerCase()).toBe(res.body.fingerprint_sha256)

    const [row] = await t.db.select().from(keyPairs).where(eq(keyPairs.id, res.body.pk))
    expect(row!.keyDataSealed).toMatch(/^v1\./)
    expect(row!.keyDataSealed).not.toContain('PRIVATE KEY')
    const opened = await loadKeyPairMaterial(t.db, await deriveSecrets(SECRET_KEY), res.body.pk)
    expect(opened).toMatchObject({ name: 'rsa-default', keyType: 'rsa', keySize: 2048, kid: res.body.kid })
    expect(opened!.privateKeyPem).toMatch(/^-----BEGIN PRIVATE KEY-----/)
  })

  const cases = [
    { alg: 'rsa', key_size: 3072, details: { modulusLength: 3072 } },
    { alg: 'ecdsa', key_size: undefined, details: { namedCurve: 'prime256v1' } },
    { alg: 'ecdsa', key_size: 384, details: { namedCurve: 'secp384r1' } },
    { alg: 'ecdsa', key_size: 521, details: { namedCurve: 'secp521r1' } },
  ] as const
  for (const { alg, key_size, details } of cases) {
    it(`generates ${alg} ${key_size ?? 'default'} with the requested validity and SANs`, async () => {
      const cn = `${alg}-${key_size ?? 'default'}.example.com`
      const res = await call('POST', `${BASE}generate/`, { common_name: cn, alg, key_size, validity_days: 10,
        subject_alt_name: `${cn}, alt.example.com,` })
      expect(res.status).toBe(200)
      expectNoPrivateKey(res.text)
      expect(res.body).toMatchObject({ name: cn, key_type: alg, private_key_available: true,
        cert_expiry: new Date(NOW.getTime() + 10 * DAY).toISOString() })
      expect(res.body.cert_subject).toContain(`CN=${cn}`)
      expect(res.body.kid).toMatch(/^[A-Za-z0-9_-]{86}$/)
      const cert = await certificate(res.body.pk)
      expect(cert.publicKey.asymmetricKeyDetails).toMatchObject(details)
      expect(cert.subjectAltName).toBe(`DNS:${cn}, DNS:alt.example.com`)
    })
  }

  it('validates the generation request', async () => {
    const cases: Array<[unknown, Body]> = [
      [{}, { common_name: ['This field is required.'] }],
      [{ common_name: ' ' }, { common_name: ['This field may not be blank.'] }],
      [{ common_name: 'x', alg: 'dsa' }, { alg: ['"dsa" is not a valid choice.'] }],
      [{ common_name: 'x', key_size: 384 }, { key_size: ['"384" is not a valid choice.'] }],
      [{ common_name: 'x', alg: 'ecdsa', key_size: 2048 }, { key_size: ['"2048" is not a valid choice.'] }],
      [{ common_name: 'x', validity_days: 0 }, { validity_days: ['Ensure this value is greater than or equal to 1.'] }],
      [{ common_name: 'rsa-default' }, { common_name: ['Key-pair with this name already exists.'] }],
    ]
    for (const [body, errors] of cases) {
      const res = await call('POST', `${BASE}generate/`, body)
      expect(res.status, JSON.stringify(body)).toBe(400)
      expect(res.body).toEqual(errors)
    }
  })

  it('describes generate in the OpenAPI document', async () => {
    const doc = (await (await t.request('/api/v3/schema/')).json()) as Body
    expect(doc.paths['/crypto/certificatekeypairs/generate/'].post.operationId).toBe('crypto_certificatekeypairs_generate_create')
  })
})

describe('import', () => {
  it('imports a pair generated elsewhere with the same kid and fingerprints', async () => {
    const m = await material('imported')
    const res = await call('POST', BASE, { name: 'imported', certificate_data: m.certificatePem, key_data: m.privateKeyPem })
    expect(res.status).toBe(201)
    expectNoPrivateKey(res.text)
    expect(res.body).toEqual({
      pk: expect.any(String), name: 'imported', fingerprint_sha256: m.fingerprintSha256, fingerprint_sha1: m.fingerprintSha1,
      cert_expiry: m.certExpiry.toISOString(), cert_subject: m.certSubject, private_key_available: true,
      key_type: 'ecdsa', kid: m.kid, managed: null,
    })
    const get = await call('GET', `${BASE}${res.body.pk}/`)
    expectNoPrivateKey(get.text)
    expect(get.body).toEqual(res.body)
    const view = await call('GET', `${BASE}${res.body.pk}/view_certificate/`)
    expect(view.body).toEqual({ data: m.certificatePem })
    expectNoPrivateKey((await call('GET', BASE)).text)
  })

  it('imports a certificate without a key', async () => {
    const m = await material('cert-only', 'rsa', 2048)
    const res = await call('POST', BASE, { name: 'cert-only', certificate_data: m.certificatePem })
    expect(res.status).toBe(201)
    expect(res.body).toMatchObject({ private_key_available: false, key_type: 'rsa' })
  })

  it('rejects bad pairs on the field at fault', async () => {
    const [a, b] = [await material('a'), await material('b')]
    const cases: Array<[Body, Body]> = [
      [{ name: 'x', certificate_data: a.certificatePem, key_data: b.privateKeyPem },
        { key_data: ['Private key does not match the certificate.'] }],
      [{ name: 'x', certificate_data: 'garbage', key_data: a.privateKeyPem }, { certificate_data: ['Unable to load certificate.'] }],
      [{ name: 'x', certificate_data: a.certificatePem, key_data: 'garbage' },
        { key_data: ['Unable to load private key (possibly encrypted?).'] }],
      [{ name: 'x', certificate_data: SECP256K1_CERT, key_data: SECP256K1_KEY }, { certificate_data: [
        'Unsupported key type: ECDSA K-256; use RSA (2048 bits or more) or ECDSA P-256/P-384/P-521.'] }],
      [{ name: 'x' }, { certificate_data: ['This field is required.'] }],
      [{ name: 'imported', certificate_data: a.certificatePem, key_data: a.privateKeyPem },
        { name: ['Certificate-Key Pair with this name already exists.'] }],
    ]
    for (const [body, errors] of cases) {
      const res = await call('POST', BASE, body)
      expect(res.status, JSON.stringify(errors)).toBe(400)
      expect(res.body).toEqual(errors)
    }
    expect((await call('GET', `${BASE}?name=x`)).body.pagination.count).toBe(0)
  })
})

describe('JWKS', () => {
  it('publishes a provider\'s generated ES384 key, and nothing once the key is deleted', async () => {
    const key = (await call('POST', `${BASE}generate/`, { common_name: 'es384-signing', alg: 'ecdsa', key_size: 384 })).body
    const [provider] = await t.db.insert(providers).values({
      name: 'jwks-provider', authorizationFlow: 'default-provider-authorization-implicit-consent', clientId: 'jwks-client',
      clientSecretSealed: await (await deriveSecrets(SECRET_KEY)).seal('secret'), grantTypes: ['authorization_code'],
      signingKeyId: key.pk,
    }).returning()
    await t.db.insert(applications).values({ name: 'JWKS app', slug: 'jwks-app', providerId: provider!.id })

    const res = await t.request('/application/o/jwks-app/jwks/')
    expect(res.status).toBe(200)
    const { keys } = (await res.json()) as { keys: Body[] }
    expect(keys).toHaveLength(1)
    const jwk = keys[0]!
    expect(jwk).toEqual({
      kid: key.kid, kty: 'EC', crv: 'P-384', x: expect.any(String), y: expect.any(String), use: 'sig', alg: 'ES384',
      x5c: [expect.any(String)], x5t: expect.any(String), 'x5t#S256': expect.any(String),
    })
    expect(jwk.x).toHaveLength(64)
    expect(jwk.y).toHaveLength(64)
    expect(Buffer.from(jwk.x as string, 'base64url')).toHaveLength(48)
    const der = Buffer.from((jwk.x5c as string[])[0]!, 'base64')
    expect(new X509Certificate(der).fingerprint256.toLowerCase()).toBe(key.fingerprint_sha256)

    expect((await call('DELETE', `${BASE}${key.pk}/`)).status).toBe(204)
    const [after] = await t.db.select().from(providers).where(eq(providers.id, provider!.id))
    expect(after!.signingKeyId).toBeNull()
    expect(await (await t.request('/application/o/jwks-app/jwks/')).json()).toEqual({ keys: [] })
    expect((await call('GET', `${BASE}${key.pk}/`)).status).toBe(404)
  })
})

describe('update, list and delete', () => {
  it('renames, replaces the pair, and validates a partial replacement against what is stored', async () => {
    const m = await material('replace-me')
    const created = (await call('POST', BASE, { name: 'replace-me', certificate_data: m.certificatePem,
      key_data: m.privateKeyPem })).body
    const renamed = await call('PATCH', `${BASE}${created.pk}/`, { name: 'replaced' })
    expect(renamed.body).toEqual({ ...created, name: 'replaced' })

    const taken = await call('PATCH', `${BASE}${created.pk}/`, { name: 'imported' })
    expect(taken.status).toBe(400)
    expect(taken.body).toEqual({ name: ['Certificate-Key Pair with this name already exists.'] })

    const other = await material('other', 'ecdsa', 384)
    const wrongKey = await call('PATCH', `${BASE}${created.pk}/`, { key_data: other.privateKeyPem })
    expect(wrongKey.status).toBe(400)
    expect(wrongKey.body).toEqual({ key_data: ['Private key does not match the certificate.'] })

    const put = await call('PUT', `${BASE}${created.pk}/`, { name: 'replaced', certificate_data: other.certificatePem,
      key_data: other.privateKeyPem })
    expect(put.status).toBe(200)
    expectNoPrivateKey(put.text)
    expect(put.body).toMatchObject({ pk: created.pk, kid: other.kid, fingerprint_sha256: other.fingerprintSha256,
      private_key_available: true })

    // A certificate without key_data keeps the stored key, which must still match.
    const mismatched = await call('PATCH', `${BASE}${created.pk}/`, { certificate_data: m.certificatePem })
    expect(mismatched.status).toBe(400)
    expect(mismatched.body).toEqual({ key_data: ['Private key does not match the certificate.'] })

    const dropKey = await call('PATCH', `${BASE}${created.pk}/`, { key_data: '' })
    expect(dropKey.body).toMatchObject({ private_key_available: false, fingerprint_sha256: other.fingerprintSha256 })
  })

  it('lists by name with filters and search', async () => {
    const names = (r: { body: Body }) => r.body.results.map((k: { name: string }) => k.name) as string[]
    const all = await call('GET', BASE)
    expect(names(all)).toEqual([...names(all)].sort())
    expect(names(await call('GET', `${BASE}?key_type=rsa`))).toEqual(['cert-only', 'rsa-3072.example.com', 'rsa-default'])
    expect(names(await call('GET', `${BASE}?has_key=false`))).toEqual(['cert-only', 'replaced'])
    expect(names(await call('GET', `${BASE}?name=imported`))).toEqual(['imported'])
    expect(names(await call('GET', `${BASE}?search=DEFAULT`))).toEqual(['ecdsa-default.example.com', 'rsa-default'])
    const bad = await call('GET', `${BASE}?key_type=dsa`)
    expect(bad.status).toBe(400)
    expect(bad.body).toEqual({ key_type: ['"dsa" is not a valid choice.'] })
  })

  it('refuses to show a private key, and answers 404 for unknown pairs', async () => {
    const pk = (await call('GET', `${BASE}?name=imported`)).body.results[0].pk as string
    const res = await call('GET', `${BASE}${pk}/view_private_key/`)
    expect(res.status).toBe(403)
    expect(res.body).toEqual({ detail: 'Private keys are never returned.' })
    const unknown = '00000000-0000-4000-8000-000000000000'
    for (const path of [`${unknown}/`, `${unknown}/view_certificate/`, `${unknown}/view_private_key/`, 'nope/view_certificate/']) {
      const r = await call('GET', `${BASE}${path}`)
      expect(r.status, path).toBe(404)
      expect(r.body).toEqual({ detail: 'Not found.' })
    }
    expect((await call('PATCH', `${BASE}${unknown}/`, { name: 'n' })).status).toBe(404)
    expect((await call('PATCH', `${BASE}${unknown}/`, { key_data: '' })).status).toBe(404)
    expect((await call('DELETE', `${BASE}${unknown}/`)).status).toBe(404)
  })

  it('needs the admin token', async () => {
    const anon = await t.request(`/api/v3${BASE}generate/`, { method: 'POST', body: '{"common_name":"x"}' })
    expect(anon.status).toBe(401)
    expect(await anon.json()).toEqual({ detail: 'Authentication credentials were not provided.' })
    expect((await t.request(`/api/v3${BASE}`)).status).toBe(401)
  })
})
