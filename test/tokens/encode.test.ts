import {
  compactDecrypt,
  decodeProtectedHeader,
  importPKCS8,
  importX509,
  jwtVerify,
  type JWTPayload,
} from 'jose'
import { describe, expect, it } from 'vitest'
import { KeyCache } from '../../src/crypto/key-cache.ts'
import { generateKeyPair, type KeyMaterial } from '../../src/crypto/keypair.ts'
import { encode, signingAlg, type SigningContext } from '../../src/tokens/encode.ts'

const NOW = new Date('2026-06-01T12:00:00.000Z')
const IAT = Math.floor(NOW.getTime() / 1000)
const PAYLOAD: JWTPayload = { iss: 'https://id.example.com/application/o/app/', sub: 'user', aud: 'client', iat: IAT, exp: IAT + 300 }
const SECRET = 'client-secret-with-ünïcode'

function encryptTo(m: KeyMaterial): NonNullable<SigningContext['encryptionKey']> {
  return { kid: m.kid, certificatePem: m.certificatePem }
}

function signing(m: KeyMaterial): NonNullable<SigningContext['signingKey']> {
  return { kid: m.kid, jwsAlg: m.jwsAlg, privateKeyPem: m.privateKeyPem ?? '' }
}

const keys = {
  rsa: generateKeyPair({ commonName: 'rsa', validityDays: 30, alg: 'rsa', keySize: 2048 }, NOW),
  es256: generateKeyPair({ commonName: 'p256', validityDays: 30, alg: 'ecdsa', keySize: 256 }, NOW),
  es384: generateKeyPair({ commonName: 'p384', validityDays: 30, alg: 'ecdsa', keySize: 384 }, NOW),
  es512: generateKeyPair({ commonName: 'p521', validityDays: 30, alg: 'ecdsa', keySize: 521 }, NOW),
  enc: generateKeyPair({ commonName: 'enc', validityDays: 30, alg: 'rsa', keySize: 2048 }, NOW),
}

describe('encode', () => {
  it('signs HS256 with the client secret and no kid when the provider has no signing key', async () => {
    const ctx: SigningContext = { clientSecret: SECRET, signingKey: null, encryptionKey: null }
    expect(signingAlg(ctx)).toBe('HS256')
    const token = await encode(ctx, PAYLOAD, { keys: new KeyCache() })
    expect(decodeProtectedHeader(token)).toEqual({ alg: 'HS256', typ: 'JWT' })
    const { payload } = await jwtVerify(token, new TextEncoder().encode(SECRET), { currentDate: NOW, audience: 'client' })
    expect(payload).toEqual(PAYLOAD)
  })

  for (const [name, alg] of [['rsa', 'RS256'], ['es256', 'ES256'], ['es384', 'ES384'], ['es512', 'ES512']] as const) {
    it(`signs ${alg} with the provider's ${name} key and sets kid and typ`, async () => {
      const m = await keys[name]
      const ctx: SigningContext = { clientSecret: SECRET, signingKey: signing(m), encryptionKey: null }
      expect(signingAlg(ctx)).toBe(alg)
      const token = await encode(ctx, PAYLOAD, { keys: new KeyCache(), typ: 'logout+jwt' })
      expect(decodeProtectedHeader(token)).toEqual({ alg, kid: m.kid, typ: 'logout+jwt' })
      const publicKey = await importX509(m.certificatePem, alg)
      const { payload } = await jwtVerify(token, publicKey, { currentDate: NOW, typ: 'logout+jwt', algorithms: [alg] })
      expect(payload).toEqual(PAYLOAD)
    })
  }

  it('wraps the JWS in an RSA-OAEP-256 / A256CBC-HS512 JWE for the encryption key', async () => {
    const [sig, enc] = await Promise.all([keys.es256, keys.enc])
    const ctx: SigningContext = {
      clientSecret: SECRET,
      signingKey: signing(sig),
      encryptionKey: encryptTo(enc),
    }
    const token = await encode(ctx, PAYLOAD, { keys: new KeyCache() })
    expect(token.split('.')).toHaveLength(5)
    const decryptionKey = await importPKCS8(enc.privateKeyPem ?? '', 'RSA-OAEP-256')
    const { plaintext, protectedHeader } = await compactDecrypt(token, decryptionKey)
    expect(protectedHeader).toEqual({ alg: 'RSA-OAEP-256', enc: 'A256CBC-HS512', typ: 'JWE', kid: enc.kid })
    const inner = new TextDecoder().decode(plaintext)
    expect(decodeProtectedHeader(inner)).toEqual({ alg: 'ES256', kid: sig.kid, typ: 'JWT' })
    const { payload } = await jwtVerify(inner, await importX509(sig.certificatePem, 'ES256'), { currentDate: NOW })
    expect(payload).toEqual(PAYLOAD)
  })

  it('encrypts HS256 tokens too', async () => {
    const enc = await keys.enc
    const ctx: SigningContext = { clientSecret: SECRET, signingKey: null, encryptionKey: encryptTo(enc) }
    const token = await encode(ctx, PAYLOAD, { keys: new KeyCache() })
    const { plaintext } = await compactDecrypt(token, await importPKCS8(enc.privateKeyPem ?? '', 'RSA-OAEP-256'))
    const { payload } = await jwtVerify(new TextDecoder().decode(plaintext), new TextEncoder().encode(SECRET), { currentDate: NOW })
    expect(payload).toEqual(PAYLOAD)
  })

  it('refuses an EC encryption key', async () => {
    const ec = await keys.es256
    const ctx: SigningContext = { clientSecret: SECRET, signingKey: null, encryptionKey: encryptTo(ec) }
    await expect(encode(ctx, PAYLOAD, { keys: new KeyCache() })).rejects.toThrow(/not an RSA key/)
  })

  it('imports each key once across repeated encodes', async () => {
    const [sig, enc] = await Promise.all([keys.rsa, keys.enc])
    const cache = new KeyCache()
    const ctx: SigningContext = { clientSecret: SECRET, signingKey: signing(sig), encryptionKey: encryptTo(enc) }
    const hs: SigningContext = { clientSecret: SECRET, signingKey: null, encryptionKey: null }
    for (let i = 0; i < 5; i++) {
      await encode(ctx, { ...PAYLOAD, jti: String(i) }, { keys: cache })
      await encode(hs, PAYLOAD, { keys: cache })
    }
    expect(cache.imports).toBe(3)
  })
})
