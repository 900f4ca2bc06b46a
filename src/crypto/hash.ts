import type * as NodeCrypto from 'node:crypto'
import { base64urlEncode, hex, utf8 } from './encoding.ts'

type HashName = 'SHA-256' | 'SHA-384' | 'SHA-512'

/**
 * Node's own hashing, where the runtime has it: `process.getBuiltinModule` is Node's (20.16+), and a Worker
 * without `nodejs_compat` has no `process`. On Node each `crypto.subtle.digest` is a promise and a thread-pool
 * job, about 55 µs against 3 µs for `createHash` here, and a token request hashes several times; on Workers
 * WebCrypto's digest is native and synchronous underneath, and stays.
 */
const nodeCrypto = (globalThis as { process?: { getBuiltinModule?(id: string): unknown } }).process
  ?.getBuiltinModule?.('node:crypto') as typeof NodeCrypto | undefined

const NODE_NAME: Record<HashName, string> = { 'SHA-256': 'sha256', 'SHA-384': 'sha384', 'SHA-512': 'sha512' }

/** FIPS 180-4 `name` of `bytes`. */
export async function digest(name: HashName, bytes: Uint8Array<ArrayBuffer>): Promise<Uint8Array<ArrayBuffer>> {
  if (nodeCrypto) return new Uint8Array(nodeCrypto.createHash(NODE_NAME[name]).update(bytes).digest())
  return new Uint8Array(await crypto.subtle.digest(name, bytes))
}

/** FIPS 180-4 SHA-256 of the UTF-8 text, lowercase hex (storage form of compared-only secrets). */
export async function sha256Hex(text: string): Promise<string> {
  return hex(await digest('SHA-256', utf8(text)))
}

/** FIPS 180-4 SHA-256, base64url without padding (RFC 7636 §4.2 S256 challenge form). */
export async function sha256Base64url(input: Uint8Array<ArrayBuffer> | string): Promise<string> {
  const bytes = typeof input === 'string' ? utf8(input) : input
  return base64urlEncode(await digest('SHA-256', bytes))
}

/**
 * An RFC 2104 HMAC key under SHA-512, for many messages: Node's `createHmac` where the runtime has it (as
 * `digest`), else a WebCrypto key imported once.
 */
export class HmacKey {
  readonly #raw: Uint8Array<ArrayBuffer>
  #key: Promise<CryptoKey> | undefined

  constructor(raw: Uint8Array<ArrayBuffer>) {
    this.#raw = raw
  }

  async sign(data: Uint8Array<ArrayBuffer>): Promise<Uint8Array<ArrayBuffer>> {
    if (nodeCrypto) return new Uint8Array(nodeCrypto.createHmac('sha512', this.#raw).update(data).digest())
    this.#key ??= crypto.subtle.importKey('raw', this.#raw, { name: 'HMAC', hash: 'SHA-512' }, false, ['sign'])
    return new Uint8Array(await crypto.subtle.sign('HMAC', await this.#key, data))
  }
}

/**
 * Byte comparison whose running time depends only on the lengths, never on the position of the
 * first difference (authentik §4.1/§4.8 compare client credentials in constant time).
 */
export function constantTimeEqualBytes(a: Uint8Array, b: Uint8Array): boolean {
  const length = Math.max(a.length, b.length)
  // Pad both to the same length so the loop body never branches on out-of-range indexes.
  const x = new Uint8Array(length)
  const y = new Uint8Array(length)
  x.set(a)
  y.set(b)
  let diff = a.length ^ b.length
  for (let i = 0; i < length; i++) diff |= (x[i] as number) ^ (y[i] as number)
  return diff === 0
}

/** Constant-time string comparison (UTF-8 bytes), e.g. client secrets (authentik §4.1). */
export function constantTimeEqual(a: string, b: string): boolean {
  return constantTimeEqualBytes(utf8(a), utf8(b))
}

/** JWS algorithms whose hash determines at_hash / c_hash. */
export type HashedJWSAlg = 'RS256' | 'ES256' | 'HS256' | 'ES384' | 'ES512'

const HASH_FOR_ALG: Record<HashedJWSAlg, HashName> = {
  RS256: 'SHA-256',
  ES256: 'SHA-256',
  HS256: 'SHA-256',
  ES384: 'SHA-384',
  ES512: 'SHA-512',
}

/** OIDC Core §3.1.3.6 / §3.3.2.11: at_hash / c_hash = base64url(left half of hash(ASCII token)). */
export async function leftHalfHash(token: string, alg: HashedJWSAlg): Promise<string> {
  const hash = await digest(HASH_FOR_ALG[alg], utf8(token))
  return base64urlEncode(hash.subarray(0, hash.length / 2))
}
