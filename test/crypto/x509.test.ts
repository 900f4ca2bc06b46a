import { createHash, createPrivateKey, X509Certificate } from 'node:crypto'
import { importX509 } from 'jose'
import { describe, expect, it } from 'vitest'
import { generateKeyPair, importKeyPair, KeyPairError } from '../../src/crypto/keypair.ts'
import { certificateText, openssl, opensslPair } from './openssl.ts'

const NOW = new Date('2026-06-01T12:00:00.000Z')
const SANS = ['id.example.com', 'b.example']

const KEY_TYPES = [
  { alg: 'rsa', keySize: 2048, jwsAlg: 'RS256', sig: 'sha256WithRSAEncryption', key: 'rsaEncryption', bits: 2048 },
  { alg: 'rsa', keySize: 3072, jwsAlg: 'RS256', sig: 'sha256WithRSAEncryption', key: 'rsaEncryption', bits: 3072 },
  { alg: 'rsa', keySize: 4096, jwsAlg: 'RS256', sig: 'sha256WithRSAEncryption', key: 'rsaEncryption', bits: 4096 },
  { alg: 'ecdsa', keySize: 256, jwsAlg: 'ES256', sig: 'ecdsa-with-SHA256', key: 'id-ecPublicKey', curve: 'P-256' },
  { alg: 'ecdsa', keySize: 384, jwsAlg: 'ES384', sig: 'ecdsa-with-SHA384', key: 'id-ecPublicKey', curve: 'P-384' },
  { alg: 'ecdsa', keySize: 521, jwsAlg: 'ES512', sig: 'ecdsa-with-SHA512', key: 'id-ecPublicKey', curve: 'P-521' },
] as const

/** RFC 5280 §4.2.1.2 method (1) computed independently: SHA-1 of the subjectPublicKey bits, as openssl prints it. */
function keyIdentifier(cert: X509Certificate): string {
  const jwk = cert.publicKey.export({ format: 'jwk' })
  const bits = jwk.kty === 'EC'
    ? Buffer.concat([Buffer.from([4]), Buffer.from(jwk.x ?? '', 'base64url'), Buffer.from(jwk.y ?? '', 'base64url')])
    : cert.publicKey.export({ type: 'pkcs1', format: 'der' })
  return createHash('sha1').update(bits).digest('hex').toUpperCase().replace(/(..)(?!$)/g, '$1:')
}

describe('generated certificates, read by openssl, node:crypto and jose', () => {
  for (const t of KEY_TYPES) {
    it(`${t.alg} ${t.keySize}: openssl x509 -text shows the subject, validity, extensions and ${t.sig}`, async () => {
      const m = await generateKeyPair({ commonName: 'edge-oidc Self-signed', subjectAltNames: SANS, validityDays: 365, alg: t.alg, keySize: t.keySize }, NOW)
      const text = certificateText(m.certificatePem)
      expect(text).toContain('Version: 3 (0x2)')
      expect(text.match(/Signature Algorithm: (\S+)/g)).toEqual([`Signature Algorithm: ${t.sig}`, `Signature Algorithm: ${t.sig}`])
      expect(text).toContain('Issuer: CN = edge-oidc Self-signed\n')
      expect(text).toContain('Subject: CN = edge-oidc Self-signed\n')
      expect(text).toContain('Not Before: Jun  1 12:00:00 2026 GMT')
      expect(text).toContain('Not After : Jun  1 12:00:00 2027 GMT')
      expect(text).toContain(`Public Key Algorithm: ${t.key}`)
      expect(text).toContain('curve' in t ? `NIST CURVE: ${t.curve}` : `Public-Key: (${t.bits} bit)`)
      expect(text).toMatch(/X509v3 Basic Constraints: critical\n\s+CA:FALSE\n/)
      const usage = t.alg === 'rsa' ? 'Digital Signature, Key Encipherment' : 'Digital Signature'
      expect(text).toMatch(new RegExp(`X509v3 Key Usage: critical\\n\\s+${usage}\\n`))
      const cert = new X509Certificate(m.certificatePem)
      expect(text).toMatch(new RegExp(`X509v3 Subject Key Identifier: \\n\\s+${keyIdentifier(cert)}\\n`))
      expect(text).toMatch(/X509v3 Subject Alternative Name: \n\s+DNS:id\.example\.com, DNS:b\.example\n/)
      expect(text.match(/X509v3 [A-Z][\w ]+:/g)).toHaveLength(4)
      expect(cert.ca).toBe(false)
      expect(cert.serialNumber).toMatch(/^[0-7][0-9A-F]{31}$/)
    })

    it(`${t.alg} ${t.keySize}: verifies against itself (openssl verify, node) and imports with jose importX509`, async () => {
      const m = await generateKeyPair({ commonName: 'verify-me', validityDays: 30, alg: t.alg, keySize: t.keySize }, NOW)
      const files = { 'cert.pem': m.certificatePem }
      const verified = openssl(['verify', '-x509_strict', '-attime', `${NOW.getTime() / 1000 + 60}`, '-CAfile', 'cert.pem', '-partial_chain', 'cert.pem'], files)
      expect(verified.stdout.trim()).toBe('cert.pem: OK')
      const cert = new X509Certificate(m.certificatePem)
      expect(cert.verify(cert.publicKey)).toBe(true)
      expect(cert.checkPrivateKey(createPrivateKey(m.privateKeyPem ?? ''))).toBe(true)
      const key = await importX509(m.certificatePem, t.jwsAlg)
      expect(key.type).toBe('public')
      expect(key.algorithm.name).toBe(t.alg === 'rsa' ? 'RSASSA-PKCS1-v1_5' : 'ECDSA')
    })
  }

  it('writes a Unicode common name as UTF8String and dates from 2050 as GeneralizedTime', async () => {
    const m = await generateKeyPair({ commonName: 'Zürich Ünit', validityDays: 36_500, alg: 'ecdsa', keySize: 256 }, NOW)
    expect(m.certSubject).toBe('CN=Zürich Ünit')
    expect(m.certExpiry).toEqual(new Date(NOW.getTime() + 36_500 * 86_400_000))
    const parsed = openssl(['asn1parse', '-in', 'cert.pem'], { 'cert.pem': m.certificatePem }).stdout
    expect(parsed).toMatch(/UTF8STRING\s+:Zürich Ünit/)
    expect(parsed).toMatch(/UTCTIME\s+:260601120000Z/)
    expect(parsed).toMatch(/GENERALIZEDTIME\s+:21260508120000Z/)
    expect(new X509Certificate(m.certificatePem).validTo).toBe('May  8 12:00:00 2126 GMT')
  })
})

describe('keys and certificates made with openssl', () => {
  const pubkeyOf = (certificatePem: string): string =>
    openssl(['x509', '-in', 'cert.pem', '-pubkey', '-noout'], { 'cert.pem': certificatePem }).stdout
  const pubkeyOfKey = (keyPem: string): string => openssl(['pkey', '-in', 'key.pem', '-pubout'], { 'key.pem': keyPem }).stdout

  it('imports a PKCS#1 "RSA PRIVATE KEY" as the PKCS#8 that openssl pkey writes', async () => {
    const key = openssl(['genrsa', '-traditional', '-out', 'key.pem', '2048']).read('key.pem')
    expect(key).toMatch(/^-----BEGIN RSA PRIVATE KEY-----\n/)
    const cert = openssl(['req', '-x509', '-key', 'key.pem', '-out', 'cert.pem', '-subj', '/CN=pkcs1', '-days', '30'], { 'key.pem': key }).read('cert.pem')
    const m = await importKeyPair(cert, key)
    expect(m).toMatchObject({ keyType: 'rsa', keySize: 2048, jwsAlg: 'RS256', certSubject: 'CN=pkcs1' })
    expect(m.privateKeyPem).toBe(openssl(['pkey', '-in', 'key.pem'], { 'key.pem': key }).stdout)
    expect(m.fingerprintSha256).toBe(new X509Certificate(cert).fingerprint256.toLowerCase())
  })

  for (const [curve, size, jwsAlg] of [['prime256v1', 256, 'ES256'], ['secp384r1', 384, 'ES384'], ['secp521r1', 521, 'ES512']] as const) {
    it(`imports a SEC1 "EC PRIVATE KEY" on ${curve}, with and without its "EC PARAMETERS" block`, async () => {
      const withParams = openssl(['ecparam', '-name', curve, '-genkey', '-out', 'key.pem']).read('key.pem')
      expect(withParams).toMatch(/^-----BEGIN EC PARAMETERS-----\n[\s\S]+-----BEGIN EC PRIVATE KEY-----\n/)
      const keyOnly = withParams.slice(withParams.indexOf('-----BEGIN EC PRIVATE KEY-----'))
      const cert = openssl(['req', '-x509', '-key', 'key.pem', '-out', 'cert.pem', '-subj', `/CN=${curve}`, '-days', '30'], { 'key.pem': keyOnly }).read('cert.pem')
      for (const key of [withParams, keyOnly]) {
        const m = await importKeyPair(cert, key)
        expect(m).toMatchObject({ keyType: 'ecdsa', keySize: size, jwsAlg, certSubject: `CN=${curve}` })
        expect(m.privateKeyPem).toMatch(/^-----BEGIN PRIVATE KEY-----\n/)
        expect(pubkeyOfKey(m.privateKeyPem ?? '')).toBe(pubkeyOf(cert))
      }
    })
  }

  it('rejects an EC key with explicit curve parameters under an RSA certificate (key_data)', async () => {
    const { cert } = opensslPair(['-newkey', 'rsa:2048'])
    const named = openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'key.pem']).read('key.pem')
    const explicit = openssl(['ec', '-in', 'key.pem', '-param_enc', 'explicit'], { 'key.pem': named }).stdout
    expect(explicit).toMatch(/^-----BEGIN EC PRIVATE KEY-----\n/)
    const error = await importKeyPair(cert, explicit).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(KeyPairError)
    expect(error).toMatchObject({ field: 'key_data', message: 'EC private key does not name its curve.' })
  })

  it('reads subjects as RDNs in certificate order with RFC 4514 escaping, and v1 and post-2049 certificates', async () => {
    const { cert } = opensslPair(['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256'], '/C=DE/O=Ex\\, Inc/OU=a\\+b/CN=#über; <x> /emailAddress=a@b.c', ['-utf8'])
    expect((await importKeyPair(cert, '')).certSubject).toBe('C=DE, O=Ex\\, Inc, OU=a\\+b, CN=\\#über\\; \\<x\\>\\ , E=a@b.c')
    const multi = opensslPair(['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256'], '/CN=a+O=b/OU= lead', ['-multivalue-rdn', '-days', '20000'])
    const m = await importKeyPair(multi.cert, multi.key)
    expect(m.certSubject).toBe('CN=a+O=b, OU=\\ lead')
    expect(m.certExpiry).toEqual(new Date(new X509Certificate(multi.cert).validTo))
    expect(m.certExpiry.getUTCFullYear()).toBeGreaterThan(2049)
    const csr = openssl(['req', '-new', '-key', 'key.pem', '-out', 'req.pem', '-subj', '/CN=v1'], { 'key.pem': multi.key }).read('req.pem')
    const v1 = openssl(['x509', '-req', '-in', 'req.pem', '-signkey', 'key.pem', '-out', 'cert.pem', '-days', '5'], { 'key.pem': multi.key, 'req.pem': csr }).read('cert.pem')
    expect(certificateText(v1)).toContain('Version: 1 (0x0)')
    expect(await importKeyPair(v1, multi.key)).toMatchObject({ certSubject: 'CN=v1', keyType: 'ecdsa', keySize: 256 })
  })
})
