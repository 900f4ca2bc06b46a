import { X509Certificate } from 'node:crypto'
import { base64url } from 'jose'
import { describe, expect, it } from 'vitest'
import { children, decode } from '../../src/crypto/der.ts'
import { generateKeyPair, importKeyPair, KeyPairError, type KeyMaterial } from '../../src/crypto/keypair.ts'
import { certificateText, openssl, opensslPair } from './openssl.ts'

const NOW = new Date('2026-06-01T12:00:00.000Z')

// `openssl ecparam -name secp256k1 -genkey | openssl req -new -x509 -subj /CN=k1` (WebCrypto cannot make one).
const SECP256K1_CERT = `-----BEGIN CERTIFICATE-----
MIIBbTCCARKgAwIBAgIUMkDj6rvHMjvexsUlTm7Bct+iSCIwCgYIKoZIzj0EAwIw
DTELMAkGA1UEAwwCazEwHhcNMjYxMTI4MjAzNzM5WhcNMjYxMjA4MjAzNzM5WjAN
MQswCQYDVQQDDAJrMTBWMBAGByqGSM49AgEGBSuBBAAKA0IABGUrvK3XOHUs3mFz
xqPYOacuhsKA2KcLXGO98Zgp0yOifJmSjbLTjtJDH+YJqNH4GY8MlM9vjJL2mYMk
5KLA1cyjUzBRMB0GA1UdDgQWBBS2hgU00CJvF7lwOYQsmgkWMyf18zAfBgNVHSME
GDAWgBS2hgU00CJvF7lwOYQsmgkWMyf18zAPBgNVHRMBAf8EBTADAQH/MAoGCCqG
SM49BAMCA0kAMEYCIQDrHSGHKoKbRszpmHMZ9s4b+snmX7WMcNpxauSbpKDhsAIh
AN1WeOthgW3a+9zEGA58T/LFB+Auj7mI1VIHuPdLZW0U
-----END CERTIFICATE-----
`
const DAY = 86_400_000

function pem(der: ArrayBuffer | Uint8Array, label: string): string {
  const b64 = btoa(String.fromCharCode(...new Uint8Array(der)))
  return `-----BEGIN ${label}-----\n${b64.replace(/.{64}/g, '$&\n').replace(/\n$/, '')}\n-----END ${label}-----\n`
}

function derOf(text: string): Uint8Array<ArrayBuffer> {
  const body = text.replace(/-----[^-]+-----/g, '').replace(/\s+/g, '')
  return Uint8Array.from(atob(body), (c) => c.charCodeAt(0))
}

/** The PKCS#1 / SEC1 key inside a PKCS#8 PEM (its privateKey OCTET STRING), as OpenSSL's "traditional" format. */
function traditional(pkcs8Pem: string, label: 'RSA PRIVATE KEY' | 'EC PRIVATE KEY'): string {
  const inner = children(decode(derOf(pkcs8Pem)))[2]?.contents ?? new Uint8Array()
  return pem(inner, label)
}

async function expectKeyPairError(promise: Promise<unknown>, field: string, message: RegExp): Promise<void> {
  const error = await promise.then(() => null, (e: unknown) => e)
  expect(error).toBeInstanceOf(KeyPairError)
  expect((error as KeyPairError).field).toBe(field)
  expect((error as KeyPairError).message).toMatch(message)
}

async function sha512Kid(text: string): Promise<string> {
  return base64url.encode(new Uint8Array(await crypto.subtle.digest('SHA-512', new TextEncoder().encode(text))))
}

describe('generateKeyPair', () => {
  const cases = [
    { alg: 'rsa', keySize: 2048, jwsAlg: 'RS256', sig: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256', sigOid: 'sha256WithRSAEncryption' },
    { alg: 'rsa', keySize: 3072, jwsAlg: 'RS256', sig: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256', sigOid: 'sha256WithRSAEncryption' },
    { alg: 'rsa', keySize: 4096, jwsAlg: 'RS256', sig: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256', sigOid: 'sha256WithRSAEncryption' },
    { alg: 'ecdsa', keySize: 256, jwsAlg: 'ES256', sig: 'ECDSA', hash: 'SHA-256', sigOid: 'ecdsa-with-SHA256' },
    { alg: 'ecdsa', keySize: 384, jwsAlg: 'ES384', sig: 'ECDSA', hash: 'SHA-384', sigOid: 'ecdsa-with-SHA384' },
    { alg: 'ecdsa', keySize: 521, jwsAlg: 'ES512', sig: 'ECDSA', hash: 'SHA-512', sigOid: 'ecdsa-with-SHA512' },
  ] as const

  for (const c of cases) {
    it(`creates a self-signed ${c.alg} ${c.keySize} certificate signed with ${c.sig} ${c.hash}`, async () => {
      const subjectAltNames = ['id.example.com', 'b.example']
      const options = { commonName: 'edge-oidc Self-signed', subjectAltNames, validityDays: 365, alg: c.alg, keySize: c.keySize }
      const material = await generateKeyPair(options, NOW)
      expect(material).toMatchObject({ keyType: c.alg, keySize: c.keySize, jwsAlg: c.jwsAlg, certSubject: 'CN=edge-oidc Self-signed' })
      expect(material.certNotBefore).toEqual(NOW)
      expect(material.certExpiry).toEqual(new Date(NOW.getTime() + 365 * DAY))
      expect(material.privateKeyPem).toMatch(/^-----BEGIN PRIVATE KEY-----\n[A-Za-z0-9+/=\n]+\n-----END PRIVATE KEY-----\n$/)
      expect(material.kid).toBe(await sha512Kid(material.privateKeyPem ?? ''))

      // Read back by node:crypto (OpenSSL underneath) and by `openssl x509 -text`.
      const cert = new X509Certificate(material.certificatePem)
      expect(cert.subject).toBe('CN=edge-oidc Self-signed')
      expect(cert.issuer).toBe(cert.subject)
      expect(new Date(cert.validFrom)).toEqual(NOW)
      expect(new Date(cert.validTo)).toEqual(new Date(NOW.getTime() + 365 * DAY))
      expect(certificateText(material.certificatePem)).toContain(`Signature Algorithm: ${c.sigOid}`)
      expect(cert.verify(cert.publicKey)).toBe(true)
      expect(cert.subjectAltName).toBe('DNS:id.example.com, DNS:b.example')
      expect(BigInt(`0x${cert.serialNumber}`)).toBeGreaterThan(0n)
      expect(material.fingerprintSha256).toBe(cert.fingerprint256.toLowerCase())
      expect(material.fingerprintSha1).toBe(cert.fingerprint.toLowerCase())

      const reimported = await importKeyPair(material.certificatePem, material.privateKeyPem ?? '')
      expect(reimported).toEqual(material)
    })
  }

  it('omits the SAN extension without alternative names and uses random serials', async () => {
    const options = { commonName: 'x', validityDays: 1, alg: 'ecdsa', keySize: 256 } as const
    const a = await generateKeyPair(options, NOW)
    const b = await generateKeyPair(options, NOW)
    const certA = new X509Certificate(a.certificatePem)
    expect(certA.subjectAltName).toBeUndefined()
    expect(certificateText(a.certificatePem)).not.toContain('Subject Alternative Name')
    expect(certA.serialNumber).not.toBe(new X509Certificate(b.certificatePem).serialNumber)
    expect(a.kid).not.toBe(b.kid)
  })

  it('rejects unsupported parameters', async () => {
    await expect(generateKeyPair({ commonName: 'x', validityDays: 1, alg: 'rsa', keySize: 1024 }, NOW)).rejects.toThrow(RangeError)
    await expect(generateKeyPair({ commonName: 'x', validityDays: 1, alg: 'ecdsa', keySize: 2048 }, NOW)).rejects.toThrow(RangeError)
    await expect(generateKeyPair({ commonName: 'x', validityDays: 0, alg: 'ecdsa', keySize: 256 }, NOW)).rejects.toThrow(RangeError)
  })
})

describe('importKeyPair', () => {
  it('rejects a secp256k1 certificate as an unsupported key type', async () => {
    await expectKeyPairError(importKeyPair(SECP256K1_CERT, ''), 'certificate_data', /^Unsupported key type: ECDSA K-256/)
  })

  const rsa = generateKeyPair({ commonName: 'rsa', validityDays: 30, alg: 'rsa', keySize: 2048 }, NOW)
  const rsa2 = generateKeyPair({ commonName: 'rsa2', validityDays: 30, alg: 'rsa', keySize: 2048 }, NOW)
  const ec = generateKeyPair({ commonName: 'ec', validityDays: 30, alg: 'ecdsa', keySize: 256 }, NOW)
  const ec384 = generateKeyPair({ commonName: 'ec384', validityDays: 30, alg: 'ecdsa', keySize: 384 }, NOW)
  const key = (m: KeyMaterial): string => m.privateKeyPem ?? ''

  it('accepts PKCS#1 "RSA PRIVATE KEY" and normalises it to the same PKCS#8 and kid', async () => {
    const m = await rsa
    const imported = await importKeyPair(m.certificatePem, traditional(key(m), 'RSA PRIVATE KEY'))
    expect(imported.privateKeyPem).toBe(m.privateKeyPem)
    expect(imported.kid).toBe(m.kid)
  })

  it('accepts SEC1 "EC PRIVATE KEY", also after an "EC PARAMETERS" block', async () => {
    const m = await ec
    const sec1 = traditional(key(m), 'EC PRIVATE KEY')
    const params = openssl(['ecparam', '-name', 'prime256v1']).stdout
    expect(params).toMatch(/^-----BEGIN EC PARAMETERS-----\n/)
    for (const text of [sec1, params + sec1]) {
      const imported = await importKeyPair(m.certificatePem, text)
      expect(imported.kid).toBe(m.kid)
    }
  })

  it('accepts CRLF line endings and surrounding text', async () => {
    const m = await ec
    const imported = await importKeyPair(`subject=CN=ec\r\n${m.certificatePem.replace(/\n/g, '\r\n')}`, key(m).replace(/\n/g, '\r\n'))
    expect(imported).toEqual(m)
  })

  it('imports a certificate without a private key', async () => {
    const m = await rsa
    const imported = await importKeyPair(m.certificatePem, '  ')
    expect(imported.privateKeyPem).toBeNull()
    expect(imported.kid).toBe(await sha512Kid(m.certificatePem))
    expect(imported).toMatchObject({ keyType: 'rsa', keySize: 2048, jwsAlg: 'RS256' })
  })

  it('rejects a private key that belongs to another certificate (key_data)', async () => {
    const [a, b, c, d] = await Promise.all([rsa, rsa2, ec, ec384])
    await expectKeyPairError(importKeyPair(a.certificatePem, key(b)), 'key_data', /does not match/)
    await expectKeyPairError(importKeyPair(a.certificatePem, key(c)), 'key_data', /does not match/)
    await expectKeyPairError(importKeyPair(c.certificatePem, key(a)), 'key_data', /does not match/)
    await expectKeyPairError(importKeyPair(c.certificatePem, key(d)), 'key_data', /does not match/)
  })

  it('rejects garbage and encrypted private keys (key_data)', async () => {
    const m = await ec
    const truncated = '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n'
    for (const text of ['garbage', truncated, pem(new Uint8Array(64), 'ENCRYPTED PRIVATE KEY')]) {
      await expectKeyPairError(importKeyPair(m.certificatePem, text), 'key_data', /^Unable to load private key/)
    }
  })

  it('rejects a certificate that does not parse (certificate_data)', async () => {
    const m = await ec
    for (const text of ['', 'garbage', '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n', key(m)]) {
      await expectKeyPairError(importKeyPair(text, key(m)), 'certificate_data', /^Unable to load certificate\.$/)
    }
  })

  it('rejects Ed25519 and short RSA keys as unsupported key types', async () => {
    for (const newkey of [['-newkey', 'ed25519'], ['-newkey', 'rsa:1024']]) {
      const { cert, key: privateKey } = opensslPair(newkey, '/CN=x')
      await expectKeyPairError(importKeyPair(cert, privateKey), 'certificate_data', /^Unsupported key type/)
      await expectKeyPairError(importKeyPair(cert, ''), 'certificate_data', /^Unsupported key type/)
    }
  })
})
