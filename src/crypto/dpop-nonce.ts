import { base64urlEncode, utf8 } from './encoding.ts'
import { constantTimeEqual, sha256Hex } from './hash.ts'

/** RFC 9449 §8-9 server nonces, stateless: an HMAC of the time slot, so every isolate issues and accepts the same. */
export interface DPoPNonces {
  /** The nonce of the current slot. */
  issue(now: Date): Promise<string>
  /** True for the nonce of the current or the previous slot: a nonce lives between one and two slots. */
  accepts(nonce: string, now: Date): Promise<boolean>
}

/** How long one nonce is handed out (it is accepted for one more slot after that). */
export const NONCE_SLOT_MS = 5 * 60_000

// The salt of src/crypto/secret-box.ts (RFC 5869 §3.1); `info` keeps this key apart from the others.
const HKDF_SALT = utf8('edge-oidc/hkdf/v1')
const INFO_NONCE = utf8('edge-oidc/dpop-nonce/hmac-sha-256/v1')
const CACHE_LIMIT = 8

// Per-isolate, keyed by a digest of the secret (as secret-box does), never by SECRET_KEY itself.
const cache = new Map<string, Promise<CryptoKey>>()

async function deriveKey(secretKey: string): Promise<CryptoKey> {
  const ikm = await crypto.subtle.importKey('raw', utf8(secretKey), 'HKDF', false, ['deriveKey'])
  return crypto.subtle.deriveKey({ name: 'HKDF', hash: 'SHA-256', salt: HKDF_SALT, info: INFO_NONCE }, ikm,
    { name: 'HMAC', hash: 'SHA-256', length: 256 }, false, ['sign'])
}

/** The nonces of SECRET_KEY (RFC 5869 HKDF-SHA-256 to an HMAC-SHA-256 key; RFC 2104 over the slot number). */
export async function dpopNonces(secretKey: string): Promise<DPoPNonces> {
  const cacheKey = await sha256Hex(`dpop-nonce:${secretKey}`)
  let key = cache.get(cacheKey)
  if (!key) {
    if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value as string)
    key = deriveKey(secretKey)
    cache.set(cacheKey, key)
    key.catch(() => cache.delete(cacheKey))
  }
  const hmacKey = await key
  const nonceOf = async (slot: number) =>
    base64urlEncode(await crypto.subtle.sign('HMAC', hmacKey, utf8(`dpop-nonce/${slot}`)))
  const slotOf = (now: Date) => Math.floor(now.getTime() / NONCE_SLOT_MS)
  return {
    issue: (now) => nonceOf(slotOf(now)),
    async accepts(nonce, now) {
      const slot = slotOf(now)
      const [current, previous] = await Promise.all([nonceOf(slot), nonceOf(slot - 1)])
      // Both compared, so the time taken does not tell which slot matched.
      return [constantTimeEqual(nonce, current), constantTimeEqual(nonce, previous)].includes(true)
    },
  }
}
