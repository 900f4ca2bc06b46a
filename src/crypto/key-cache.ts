import { importPKCS8 } from 'jose'
import { keyAlgorithm, parseCertificate } from './certificate.ts'
import type { AsymmetricJWSAlg } from './certificate.ts'
import { utf8 } from './encoding.ts'
import { sha256Hex } from './hash.ts'

/**
 * Per-isolate, bounded cache of imported CryptoKeys (importing PKCS#8 costs far more than a
 * signature). Keyed by `kid:purpose:alg`; HMAC keys by a SHA-256 of the secret, never the secret.
 */
export class KeyCache {
  /** How many keys were actually imported (cache misses), for tests. */
  imports = 0
  readonly #entries = new Map<string, Promise<CryptoKey>>()

  constructor(readonly maxEntries = 256) {}

  get size(): number {
    return this.#entries.size
  }

  /**
   * RFC 7518 §3.3/§3.4 private signing key from PKCS#8 PEM (non-extractable). The PEM may be a function: it is
   * then asked for (e.g. unsealed) only on a miss.
   */
  getSigningKey(kid: string, pkcs8Pem: string | (() => Promise<string>), alg: AsymmetricJWSAlg): Promise<CryptoKey> {
    return this.#get(`${kid}:sig:${alg}`, async () =>
      importPKCS8(typeof pkcs8Pem === 'string' ? pkcs8Pem : await pkcs8Pem(), alg))
  }

  /** RFC 7518 §4.3 RSA-OAEP-256 public key from the certificate; EC keys are rejected. */
  getEncryptionKey(kid: string, certificatePem: string): Promise<CryptoKey> {
    return this.#get(`${kid}:enc:RSA-OAEP-256`, async () => {
      const cert = parseCertificate(certificatePem)
      if (keyAlgorithm(cert).name !== 'RSASSA-PKCS1-v1_5') {
        throw new TypeError(`encryption key ${kid} is not an RSA key (only RSA keys can encrypt tokens)`)
      }
      return crypto.subtle.importKey('spki', cert.spki, { name: 'RSA-OAEP', hash: 'SHA-256' }, true, ['encrypt'])
    })
  }

  /** RFC 7518 §3.2 HS256 key: the secret's UTF-8 bytes (authentik signs with the client secret). */
  async getHmacKey(secret: string): Promise<CryptoKey> {
    const id = await sha256Hex(secret)
    return this.#get(`${id}:hmac:HS256`, () =>
      crypto.subtle.importKey('raw', utf8(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign', 'verify']),
    )
  }

  /** Drops every cached key (e.g. after a key pair is replaced). */
  clear(): void {
    this.#entries.clear()
  }

  #get(id: string, load: () => Promise<CryptoKey>): Promise<CryptoKey> {
    const hit = this.#entries.get(id)
    if (hit) {
      // Re-insert so the Map's insertion order doubles as least-recently-used order.
      this.#entries.delete(id)
      this.#entries.set(id, hit)
      return hit
    }
    if (this.#entries.size >= this.maxEntries) {
      const oldest = this.#entries.keys().next()
      if (!oldest.done) this.#entries.delete(oldest.value)
    }
    this.imports++
    const pending = load()
    this.#entries.set(id, pending)
    // A failed import must not be remembered: the next call retries.
    pending.catch(() => {
      if (this.#entries.get(id) === pending) this.#entries.delete(id)
    })
    return pending
  }
}

/** The per-isolate cache shared by the Node and Workers entry points. */
export const keyCache = new KeyCache()
