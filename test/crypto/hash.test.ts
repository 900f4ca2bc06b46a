import { describe, expect, it } from 'vitest'
import { base64url } from 'jose'
import {
  constantTimeEqual,
  constantTimeEqualBytes,
  digest,
  HmacKey,
  leftHalfHash,
  sha256Base64url,
  sha256Hex,
} from '../../src/crypto/hash.ts'

describe('sha256', () => {
  it('hashes to hex (FIPS 180-4 "abc" vector)', async () => {
    expect(await sha256Hex('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad')
  })

  it('hashes text and bytes to base64url without padding (RFC 7636 appendix B)', async () => {
    const verifier = 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk'
    expect(await sha256Base64url(verifier)).toBe('E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM')
    expect(await sha256Base64url(new TextEncoder().encode(verifier))).toBe('E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM')
  })
})

describe('digest', () => {
  it('equals WebCrypto\'s digest for each hash, on empty and longer input', async () => {
    for (const name of ['SHA-256', 'SHA-384', 'SHA-512'] as const) {
      for (const bytes of [new Uint8Array(0), crypto.getRandomValues(new Uint8Array(1000))]) {
        const expected = new Uint8Array(await crypto.subtle.digest(name, bytes))
        expect(await digest(name, bytes)).toEqual(expected)
      }
    }
  })
})

describe('HmacKey', () => {
  it('equals WebCrypto\'s HMAC-SHA-512 (RFC 4231 test case 2), and again on the same key', async () => {
    const key = new HmacKey(new TextEncoder().encode('Jefe'))
    const data = new TextEncoder().encode('what do ya want for nothing?')
    const expected = '164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea2505549758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737'
    for (let i = 0; i < 2; i++) expect(Buffer.from(await key.sign(data)).toString('hex')).toBe(expected)
    const raw = crypto.getRandomValues(new Uint8Array(64))
    const webKey = await crypto.subtle.importKey('raw', raw, { name: 'HMAC', hash: 'SHA-512' }, false, ['sign'])
    expect(await new HmacKey(raw).sign(data)).toEqual(new Uint8Array(await crypto.subtle.sign('HMAC', webKey, data)))
  })
})

describe('constantTimeEqual', () => {
  it('is true only for identical strings', () => {
    expect(constantTimeEqual('secret', 'secret')).toBe(true)
    expect(constantTimeEqual('', '')).toBe(true)
    expect(constantTimeEqual('secret', 'secreT')).toBe(false)
    expect(constantTimeEqual('secret', 'secret ')).toBe(false)
    expect(constantTimeEqual('secret', '')).toBe(false)
    expect(constantTimeEqual('', 'x')).toBe(false)
    expect(constantTimeEqual('é', 'e\u0301')).toBe(false)
  })

  it('does not treat a zero-padded prefix as equal', () => {
    expect(constantTimeEqualBytes(new Uint8Array([1, 2]), new Uint8Array([1, 2, 0]))).toBe(false)
    expect(constantTimeEqualBytes(new Uint8Array([1, 2, 0]), new Uint8Array([1, 2, 0]))).toBe(true)
  })
})

describe('leftHalfHash (OIDC Core at_hash / c_hash)', () => {
  it('matches the OIDC Core appendix A.3 at_hash example', async () => {
    expect(await leftHalfHash('jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y', 'RS256')).toBe('77QmUPtjPfzWtF2AnpK9RQ')
  })

  it('uses SHA-384 / SHA-512 for ES384 / ES512 and keeps half of the digest', async () => {
    expect(await leftHalfHash('abc', 'HS256')).toBe(await leftHalfHash('abc', 'ES256'))
    expect(await leftHalfHash('abc', 'ES384')).toHaveLength(32)
    expect(await leftHalfHash('abc', 'ES512')).toHaveLength(43)
    const sha512 = new Uint8Array(await crypto.subtle.digest('SHA-512', new TextEncoder().encode('abc')))
    const expected = base64url.encode(sha512.subarray(0, 32))
    expect(await leftHalfHash('abc', 'ES512')).toBe(expected)
  })
})
