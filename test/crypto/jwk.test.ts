import { X509Certificate } from 'node:crypto'
import { base64url, calculateJwkThumbprint, importJWK, importX509, exportJWK } from 'jose'
import { describe, expect, it } from 'vitest'
import { padCoordinate, publicJwk } from '../../src/crypto/jwk.ts'
import { generateKeyPair, type KeyMaterial } from '../../src/crypto/keypair.ts'

const NOW = new Date('2026-06-01T12:00:00.000Z')

function derOf(pem: string): Uint8Array<ArrayBuffer> {
  const body = pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, '')
  return Uint8Array.from(atob(body), (c) => c.charCodeAt(0))
}

async function digest(alg: string, der: Uint8Array<ArrayBuffer>): Promise<string> {
  return base64url.encode(new Uint8Array(await crypto.subtle.digest(alg, der)))
}

describe('publicJwk', () => {
  it('renders an RSA signing key like authentik (kid, kty, n, e, use, alg, x5c, x5t, x5t#S256)', async () => {
    const m = await generateKeyPair({ commonName: 'rsa', validityDays: 30, alg: 'rsa', keySize: 2048 }, NOW)
    const jwk = await publicJwk(m, 'sig')
    expect(Object.keys(jwk).sort()).toEqual(['alg', 'e', 'kid', 'kty', 'n', 'use', 'x5c', 'x5t', 'x5t#S256'])
    expect(jwk).toMatchObject({ kid: m.kid, kty: 'RSA', e: 'AQAB', use: 'sig', alg: 'RS256' })
    expect(base64url.decode(jwk.n ?? '')).toHaveLength(256)
    const der = derOf(m.certificatePem)
    expect(jwk.x5c).toEqual([btoa(String.fromCharCode(...der))])
    expect(jwk.x5c?.[0]).toMatch(/^[A-Za-z0-9+/]+=*$/)
    expect(new X509Certificate(Buffer.from(jwk.x5c?.[0] ?? '', 'base64')).subject).toBe('CN=rsa')
    expect(jwk.x5t).toBe(await digest('SHA-1', der))
    expect(jwk['x5t#S256']).toBe(await digest('SHA-256', der))
    // The published key is the certificate's key.
    const fromCert = await exportJWK(await importX509(m.certificatePem, 'RS256', { extractable: true }))
    expect(await calculateJwkThumbprint(jwk)).toBe(await calculateJwkThumbprint(fromCert))
  })

  it('renders an RSA encryption key with RSA-OAEP-256 / A256CBC-HS512', async () => {
    const m = await generateKeyPair({ commonName: 'enc', validityDays: 30, alg: 'rsa', keySize: 2048 }, NOW)
    const jwk = await publicJwk(m, 'enc')
    expect(jwk).toMatchObject({ kid: m.kid, kty: 'RSA', use: 'enc', alg: 'RSA-OAEP-256', enc: 'A256CBC-HS512' })
    await expect(importJWK(jwk, 'RSA-OAEP-256')).resolves.toBeDefined()
  })

  const curves = [
    { keySize: 256, crv: 'P-256', alg: 'ES256', bytes: 32 },
    { keySize: 384, crv: 'P-384', alg: 'ES384', bytes: 48 },
    { keySize: 521, crv: 'P-521', alg: 'ES512', bytes: 66 },
  ] as const
  for (const c of curves) {
    it(`renders a ${c.crv} key with ${c.bytes}-byte coordinates`, async () => {
      const m = await generateKeyPair({ commonName: c.crv, validityDays: 30, alg: 'ecdsa', keySize: c.keySize }, NOW)
      const jwk = await publicJwk(m, 'sig')
      expect(Object.keys(jwk).sort()).toEqual(['alg', 'crv', 'kid', 'kty', 'use', 'x', 'x5c', 'x5t', 'x5t#S256', 'y'])
      expect(jwk).toMatchObject({ kid: m.kid, kty: 'EC', crv: c.crv, use: 'sig', alg: c.alg })
      expect(base64url.decode(jwk.x ?? '')).toHaveLength(c.bytes)
      expect(base64url.decode(jwk.y ?? '')).toHaveLength(c.bytes)
    })
  }

  it('keeps the leading zero byte of a short EC coordinate', async () => {
    let found: { material: KeyMaterial; coordinate: 'x' | 'y' } | null = null
    // About 1 key in 128 has a coordinate starting with 0x00; 4000 tries fail with probability ~e^-31.
    for (let i = 0; i < 4000 && !found; i++) {
      const material = await generateKeyPair({ commonName: 'short', validityDays: 1, alg: 'ecdsa', keySize: 256 }, NOW)
      const key = await importX509(material.certificatePem, 'ES256', { extractable: true })
      const raw = new Uint8Array(await crypto.subtle.exportKey('raw', key))
      if (raw[1] === 0) found = { material, coordinate: 'x' }
      else if (raw[33] === 0) found = { material, coordinate: 'y' }
    }
    expect(found).not.toBeNull()
    const { material, coordinate } = found as NonNullable<typeof found>
    const jwk = await publicJwk(material, 'sig')
    const bytes = base64url.decode(jwk[coordinate] ?? '')
    expect(bytes).toHaveLength(32)
    expect(bytes[0]).toBe(0)
    await expect(importJWK(jwk, 'ES256')).resolves.toBeDefined()
  })

  it('refuses to publish an EC key for encryption', async () => {
    const m = await generateKeyPair({ commonName: 'ec', validityDays: 30, alg: 'ecdsa', keySize: 256 }, NOW)
    await expect(publicJwk(m, 'enc')).rejects.toThrow(/RSA/)
  })
})

describe('padCoordinate', () => {
  it('left-pads a short coordinate to the curve size and leaves full ones alone', () => {
    const short = base64url.encode(new Uint8Array(31).fill(7))
    const padded = base64url.decode(padCoordinate(short, 32))
    expect(padded).toHaveLength(32)
    expect(padded[0]).toBe(0)
    expect(padded[1]).toBe(7)
    const full = base64url.encode(new Uint8Array(66).fill(1))
    expect(padCoordinate(full, 66)).toBe(full)
  })
})
