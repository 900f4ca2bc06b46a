import { describe, expect, it } from 'vitest'
import {
  DEFAULT_PBKDF2_ITERATIONS,
  hashPassword,
  verifyPassword,
  verifyPasswordDummy,
} from '../../src/crypto/password.ts'

// Computed independently with Python's hashlib.pbkdf2_hmac, exactly as Django's PBKDF2PasswordHasher does.
const DJANGO_HASH = 'pbkdf2_sha256$1000$seasalt$JgZryXe2Ga8ysg6XbzkLpTdyPQrHqsinbL9BnnhgX4A='

describe('hashPassword / verifyPassword', () => {
  it('round-trips with a low iteration count and rejects a wrong password', async () => {
    const stored = await hashPassword('correct horse', { iterations: 1000 })
    expect(stored).toMatch(/^pbkdf2_sha256\$1000\$[A-Za-z0-9+/]{22}==\$[A-Za-z0-9+/]{43}=$/)
    expect(await verifyPassword('correct horse', stored)).toBe(true)
    expect(await verifyPassword('correct horsE', stored)).toBe(false)
    expect(await verifyPassword('', stored)).toBe(false)
  })

  it('uses a fresh random salt per hash', async () => {
    const a = await hashPassword('pw', { iterations: 1000 })
    const b = await hashPassword('pw', { iterations: 1000 })
    expect(a).not.toBe(b)
  })

  it('produces and verifies Django hashes (salt text used as-is)', async () => {
    expect(await hashPassword('lètmein', { iterations: 1000, salt: 'seasalt' })).toBe(DJANGO_HASH)
    expect(await verifyPassword('lètmein', DJANGO_HASH)).toBe(true)
    expect(await verifyPassword('letmein', DJANGO_HASH)).toBe(false)
  })

  it('matches the RFC 7914 §11 PBKDF2-HMAC-SHA256 vector (P="passwd", S="salt", c=1)', async () => {
    expect(await verifyPassword('passwd', 'pbkdf2_sha256$1$salt$VawEblbjCJ/sFpHCJUS2BflBhSFt3gRl5oudV8INrLw=')).toBe(true)
  })

  it('honours the iteration count stored in the hash', async () => {
    const stored = await hashPassword('pw', { iterations: 1000 })
    const tampered = stored.replace('$1000$', '$1001$')
    expect(await verifyPassword('pw', tampered)).toBe(false)
  })

  it('defaults to 600000 iterations', async () => {
    const stored = await hashPassword('pw')
    expect(stored.split('$').slice(0, 2)).toEqual(['pbkdf2_sha256', '600000'])
    expect(DEFAULT_PBKDF2_ITERATIONS).toBe(600_000)
  })

  it('returns false for malformed or foreign hashes instead of throwing', async () => {
    for (const stored of [
      '',
      'garbage',
      'pbkdf2_sha256$abc$salt$hash',
      'pbkdf2_sha256$0$salt$hash',
      'pbkdf2_sha256$99999999999$salt$hash',
      'pbkdf2_sha1$1000$salt$hash',
      'argon2$argon2id$v=19$m=102400,t=2,p=8$c2FsdA$aGFzaA',
      'pbkdf2_sha256$1000$$hash',
    ]) {
      expect(await verifyPassword('pw', stored)).toBe(false)
    }
  })

  it('rejects bad parameters when hashing', async () => {
    await expect(hashPassword('pw', { iterations: 0 })).rejects.toThrow(RangeError)
    await expect(hashPassword('pw', { iterations: 1000, salt: 'a$b' })).rejects.toThrow(RangeError)
  })

  it('verifyPasswordDummy spends PBKDF2 work and always fails', async () => {
    expect(await verifyPasswordDummy('anything', 1000)).toBe(false)
  })
})
