import { describe, expect, it } from 'vitest'
import { KeyCache, keyCache } from '../../src/crypto/key-cache.ts'
import { generateKeyPair } from '../../src/crypto/keypair.ts'

const NOW = new Date('2026-06-01T12:00:00.000Z')

describe('KeyCache', () => {
  it('imports a signing key once per kid and algorithm', async () => {
    const m = await generateKeyPair({ commonName: 'c', validityDays: 1, alg: 'ecdsa', keySize: 256 }, NOW)
    const cache = new KeyCache()
    const [a, b] = await Promise.all([
      cache.getSigningKey(m.kid, m.privateKeyPem ?? '', 'ES256'),
      cache.getSigningKey(m.kid, m.privateKeyPem ?? '', 'ES256'),
    ])
    expect(a).toBe(b)
    expect(a.type).toBe('private')
    expect(a.extractable).toBe(false)
    expect(await cache.getSigningKey(m.kid, m.privateKeyPem ?? '', 'ES256')).toBe(a)
    expect(cache.imports).toBe(1)
  })

  it('imports RSA-OAEP-256 encryption keys from the certificate and rejects EC certificates', async () => {
    const rsa = await generateKeyPair({ commonName: 'r', validityDays: 1, alg: 'rsa', keySize: 2048 }, NOW)
    const ec = await generateKeyPair({ commonName: 'e', validityDays: 1, alg: 'ecdsa', keySize: 256 }, NOW)
    const cache = new KeyCache()
    const key = await cache.getEncryptionKey(rsa.kid, rsa.certificatePem)
    expect(key.algorithm).toMatchObject({ name: 'RSA-OAEP', hash: { name: 'SHA-256' } })
    expect(key.usages).toEqual(['encrypt'])
    await expect(cache.getEncryptionKey(ec.kid, ec.certificatePem)).rejects.toThrow(/not an RSA key/)
    // A failed import is not cached.
    await expect(cache.getEncryptionKey(ec.kid, ec.certificatePem)).rejects.toThrow(/not an RSA key/)
    expect(cache.imports).toBe(3)
    expect(cache.size).toBe(1)
  })

  it('caches HMAC keys by a digest of the secret', async () => {
    const cache = new KeyCache()
    const a = await cache.getHmacKey('client-secret')
    expect(await cache.getHmacKey('client-secret')).toBe(a)
    expect(await cache.getHmacKey('other-secret')).not.toBe(a)
    expect(a.algorithm).toMatchObject({ name: 'HMAC', hash: { name: 'SHA-256' } })
    expect(cache.imports).toBe(2)
  })

  it('evicts the least recently used entry when full, and clear() empties it', async () => {
    const cache = new KeyCache(2)
    const one = await cache.getHmacKey('one')
    await cache.getHmacKey('two')
    expect(await cache.getHmacKey('one')).toBe(one) // "one" is now the most recent
    await cache.getHmacKey('three') // evicts "two"
    expect(cache.size).toBe(2)
    expect(await cache.getHmacKey('one')).toBe(one)
    expect(cache.imports).toBe(3)
    await cache.getHmacKey('two')
    expect(cache.imports).toBe(4)
    cache.clear()
    expect(cache.size).toBe(0)
    expect(await cache.getHmacKey('one')).not.toBe(one)
  })

  it('exports a shared per-isolate instance with 256 entries', () => {
    expect(keyCache).toBeInstanceOf(KeyCache)
    expect(keyCache.maxEntries).toBe(256)
  })
})
