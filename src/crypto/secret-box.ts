import { base64urlDecode, base64urlEncode, fromUtf8, hex, utf8 } from './encoding.ts'
import { HmacKey, sha256Hex } from './hash.ts'

/** Values derived from SECRET_KEY: an at-rest AEAD and a stable installation id. */
export interface Secrets {
  /** Encrypts a secret for storage: `v1.<base64url(iv || ciphertext)>`. */
  seal(plaintext: string): Promise<string>
  /** Decrypts a sealed value; throws when it was tampered with or sealed under another key. */
  open(sealed: string): Promise<string>
  /** UUID-shaped id derived from SECRET_KEY (stable for the same secret). */
  readonly installId: string
  /** The HMAC-SHA-256 key of the DPoP server nonces (src/crypto/dpop-nonce.ts). */
  readonly dpopNonceKey: CryptoKey
  /**
   * HMAC-SHA-512 of `text` under a key derived from SECRET_KEY, separated by `purpose` (a fixed name without a
   * newline): values only this installation can compute, e.g. the mark of its access tokens (`uid`).
   */
  mac(purpose: string, text: string): Promise<Uint8Array<ArrayBuffer>>
}

const VERSION = 'v1'
const IV_BYTES = 12
const TAG_BYTES = 16
// RFC 5869 §3.1: a fixed, application-specific salt; `info` separates the derived outputs.
const HKDF_SALT = utf8('edge-oidc/hkdf/v1')
const INFO_AT_REST = utf8('edge-oidc/at-rest-key/aes-256-gcm/v1')
const INFO_INSTALL_ID = utf8('edge-oidc/install-id/v1')
const INFO_DPOP_NONCE = utf8('edge-oidc/dpop-nonce/hmac-sha-256/v1')
const INFO_MAC = utf8('edge-oidc/mac/hmac-sha-512/v1')
const CACHE_LIMIT = 8

// Per-isolate cache keyed by a digest of the secret, so the Map never holds SECRET_KEY itself.
const cache = new Map<string, Promise<Secrets>>()
// The last answer, for the same string: every request asks with the configuration's SECRET_KEY, which the
// configuration holds anyway, and a digest per request is work for nothing.
let last: { secretKey: string; secrets: Promise<Secrets> } | undefined

/** RFC 5869 HKDF-SHA-256 from SECRET_KEY → AES-256-GCM (NIST SP 800-38D) sealing, install id, DPoP nonce key. */
export async function deriveSecrets(secretKey: string): Promise<Secrets> {
  if (secretKey.length === 0) throw new Error('SECRET_KEY must not be empty')
  if (last?.secretKey === secretKey) return last.secrets
  const secrets = derived(secretKey)
  last = { secretKey, secrets }
  secrets.catch(() => {
    if (last?.secrets === secrets) last = undefined
  })
  return secrets
}

async function derived(secretKey: string): Promise<Secrets> {
  const cacheKey = await sha256Hex(secretKey)
  let secrets = cache.get(cacheKey)
  if (!secrets) {
    if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value as string)
    secrets = derive(secretKey)
    cache.set(cacheKey, secrets)
    secrets.catch(() => cache.delete(cacheKey))
  }
  return secrets
}

async function derive(secretKey: string): Promise<Secrets> {
  const ikm = await crypto.subtle.importKey('raw', utf8(secretKey), 'HKDF', false, [
    'deriveKey',
    'deriveBits',
  ])
  const hkdf = (info: Uint8Array<ArrayBuffer>): HkdfParams => ({
    name: 'HKDF',
    hash: 'SHA-256',
    salt: HKDF_SALT,
    info,
  })
  const key = await crypto.subtle.deriveKey(
    hkdf(INFO_AT_REST),
    ikm,
    { name: 'AES-GCM', length: 256 },
    false,
    ['encrypt', 'decrypt'],
  )
  const idBits = new Uint8Array(await crypto.subtle.deriveBits(hkdf(INFO_INSTALL_ID), ikm, 128))
  const dpopNonceKey = await crypto.subtle.deriveKey(hkdf(INFO_DPOP_NONCE), ikm,
    { name: 'HMAC', hash: 'SHA-256', length: 256 }, false, ['sign'])
  const macKey = new HmacKey(new Uint8Array(await crypto.subtle.deriveBits(hkdf(INFO_MAC), ikm, 512)))
  const opened = new Map<string, string>()
  return {
    seal: (plaintext) => seal(key, plaintext),
    open: (sealed) => openRemembered(key, opened, sealed),
    installId: toUUID(idBits),
    dpopNonceKey,
    mac: (purpose, text) => macKey.sign(utf8(`${purpose}\n${text}`)),
  }
}

// The version prefix is bound as additional data so it cannot be swapped without detection.
const AAD = utf8(VERSION)

async function seal(key: CryptoKey, plaintext: string): Promise<string> {
  const iv = crypto.getRandomValues(new Uint8Array(IV_BYTES))
  const ciphertext = await crypto.subtle.encrypt({ name: 'AES-GCM', iv, additionalData: AAD }, key, utf8(plaintext))
  const out = new Uint8Array(IV_BYTES + ciphertext.byteLength)
  out.set(iv)
  out.set(new Uint8Array(ciphertext), IV_BYTES)
  return `${VERSION}.${base64urlEncode(out)}`
}

/**
 * The sealed values opened lately, by their sealed text, per SECRET_KEY: every token request of a confidential
 * client opens its provider's client secret, and a decryption is a WebCrypto job (on Node a thread-pool job and
 * a promise). The plaintexts of the recently used secrets stay in the isolate's memory, as the HMAC keys made of
 * them do (src/crypto/key-cache.ts); the requests that present them carry them anyway. Only a successful opening
 * is remembered: a tampered value throws every time.
 */
const OPENED_LIMIT = 256

async function openRemembered(key: CryptoKey, opened: Map<string, string>, sealed: string): Promise<string> {
  const known = opened.get(sealed)
  if (known !== undefined) return known
  const plaintext = await open(key, sealed)
  if (opened.size >= OPENED_LIMIT) opened.clear()
  opened.set(sealed, plaintext)
  return plaintext
}

async function open(key: CryptoKey, sealed: string): Promise<string> {
  const prefix = `${VERSION}.`
  if (!sealed.startsWith(prefix)) throw new Error('secret-box: not a sealed value (expected "v1.<base64url>")')
  let bytes: Uint8Array
  try {
    bytes = base64urlDecode(sealed.slice(prefix.length))
  } catch {
    throw new Error('secret-box: sealed value is not valid base64url')
  }
  if (bytes.length < IV_BYTES + TAG_BYTES) throw new Error('secret-box: sealed value is truncated')
  try {
    const plaintext = await crypto.subtle.decrypt(
      { name: 'AES-GCM', iv: bytes.slice(0, IV_BYTES), additionalData: AAD },
      key,
      bytes.slice(IV_BYTES),
    )
    return fromUtf8(new Uint8Array(plaintext))
  } catch {
    throw new Error('secret-box: cannot open sealed value (tampered with, or sealed under a different SECRET_KEY)')
  }
}

// RFC 9562 §5.8: a version-8 (custom) UUID, since the bits are derived rather than random.
function toUUID(bytes: Uint8Array): string {
  const b = Uint8Array.from(bytes)
  b[6] = ((b[6] as number) & 0x0f) | 0x80
  b[8] = ((b[8] as number) & 0x3f) | 0x80
  const h = hex(b)
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`
}
