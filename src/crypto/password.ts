import { base64Encode, utf8 } from './encoding.ts'
import { constantTimeEqual } from './hash.ts'

/** OWASP 2023 recommendation for PBKDF2-HMAC-SHA256; workerd caps PBKDF2 at 100000, so callers choose. */
export const DEFAULT_PBKDF2_ITERATIONS = 600_000
// Refuse absurd stored counts so a crafted hash cannot pin a CPU.
const MAX_ITERATIONS = 10_000_000
const ALGORITHM = 'pbkdf2_sha256'
const HASH_BYTES = 32
const DUMMY_SALT = 'edge-oidc-dummy-salt'

/** Options of {@link hashPassword}; the iteration count comes from config (workerd caps it). */
export interface HashPasswordOptions {
  iterations?: number
  /** Salt text as stored (must not contain `$`); defaults to base64 of 16 random bytes. */
  salt?: string
}

/**
 * RFC 8018 §5.2 PBKDF2-HMAC-SHA256 in Django's format `pbkdf2_sha256$<iter>$<salt>$<b64 hash>`.
 * As in Django, the salt text's UTF-8 bytes are the PBKDF2 salt, so Django/authentik hashes verify.
 */
export async function hashPassword(password: string, options: HashPasswordOptions = {}): Promise<string> {
  const iterations = options.iterations ?? DEFAULT_PBKDF2_ITERATIONS
  if (!Number.isSafeInteger(iterations) || iterations < 1 || iterations > MAX_ITERATIONS) {
    throw new RangeError(`iterations must be an integer between 1 and ${MAX_ITERATIONS}`)
  }
  const salt = options.salt ?? base64Encode(crypto.getRandomValues(new Uint8Array(16)))
  if (salt.length === 0 || salt.includes('$')) throw new RangeError('salt must be non-empty and must not contain "$"')
  const hash = await pbkdf2(password, salt, iterations)
  return `${ALGORITHM}$${iterations}$${salt}$${hash}`
}

/** Checks a password against a stored `pbkdf2_sha256$…` hash, honouring its iteration count. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parts = stored.split('$')
  if (parts.length !== 4) return false
  const [algorithm, iterationsText = '', salt = '', expected = ''] = parts
  if (algorithm !== ALGORITHM || !/^[1-9][0-9]{0,7}$/.test(iterationsText) || salt === '') return false
  const iterations = Number(iterationsText)
  if (iterations > MAX_ITERATIONS) return false
  return constantTimeEqual(await pbkdf2(password, salt, iterations), expected)
}

/** Spends the same PBKDF2 work as {@link verifyPassword} for unknown users; always false. */
export async function verifyPasswordDummy(
  password: string,
  iterations: number = DEFAULT_PBKDF2_ITERATIONS,
): Promise<false> {
  await pbkdf2(password, DUMMY_SALT, iterations)
  return false
}

async function pbkdf2(password: string, salt: string, iterations: number): Promise<string> {
  const key = await crypto.subtle.importKey('raw', utf8(password), 'PBKDF2', false, ['deriveBits'])
  const bits = await crypto.subtle.deriveBits(
    { name: 'PBKDF2', hash: 'SHA-256', salt: utf8(salt), iterations },
    key,
    HASH_BYTES * 8,
  )
  return base64Encode(bits)
}
