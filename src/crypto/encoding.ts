import { base64url } from 'jose'

const encoder = new TextEncoder()
const decoder = new TextDecoder('utf-8', { fatal: true })
const lenient = new TextDecoder('utf-8')

/** WHATWG Encoding §8.1: UTF-8 bytes of a string. */
export function utf8(text: string): Uint8Array<ArrayBuffer> {
  return encoder.encode(text)
}

/** WHATWG Encoding §8.2: strict UTF-8 decode (throws on invalid sequences). */
export function fromUtf8(bytes: Uint8Array): string {
  return decoder.decode(bytes)
}

/**
 * {@link fromUtf8}, or null for bytes that are not UTF-8, without an exception for the common case: bytes that
 * decode without a replacement character are valid; only a text with one is decoded again strictly (it may be a
 * real U+FFFD). For input that is often not text, where a thrown error per call costs more than the decoding.
 */
export function fromUtf8OrNull(bytes: Uint8Array): string | null {
  const text = lenient.decode(bytes)
  if (!text.includes('\uFFFD')) return text
  try {
    return decoder.decode(bytes)
  } catch {
    return null
  }
}

/** RFC 4648 §5: base64url without padding. */
export function base64urlEncode(input: Uint8Array | ArrayBuffer | string): string {
  return base64url.encode(input instanceof ArrayBuffer ? new Uint8Array(input) : input)
}

/** RFC 4648 §5: decode base64url (padding optional); throws on invalid input. */
export function base64urlDecode(input: string): Uint8Array {
  return base64url.decode(input)
}

/** RFC 4648 §4: standard base64 with padding. */
export function base64Encode(input: Uint8Array | ArrayBuffer): string {
  const bytes = input instanceof ArrayBuffer ? new Uint8Array(input) : input
  let binary = ''
  // Chunked so String.fromCharCode never gets more arguments than the engine allows.
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000))
  }
  return btoa(binary)
}

/** RFC 4648 §4: decode standard base64; throws on invalid input. */
export function base64Decode(input: string): Uint8Array<ArrayBuffer> {
  const binary = atob(input)
  const bytes = new Uint8Array(binary.length)
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i)
  return bytes
}

const HEX_BYTES = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, '0'))

/**
 * Lowercase hex, optionally separated (`aa:bb:…` for certificate fingerprints). Every stored hash passes here,
 * several per request: a loop over a table of the 256 byte values, not a closure and a `padStart` per byte.
 */
export function hex(input: Uint8Array | ArrayBuffer, separator = ''): string {
  const bytes = input instanceof ArrayBuffer ? new Uint8Array(input) : input
  let out = ''
  for (let i = 0; i < bytes.length; i++) out += (i > 0 ? separator : '') + HEX_BYTES[bytes[i]!]!
  return out
}

/** RFC 7468 §2: PEM with 64-character lines and a trailing newline (as OpenSSL writes it). */
export function toPem(der: Uint8Array | ArrayBuffer, label: string): string {
  const body = base64Encode(der).replace(/.{64}/g, '$&\n').replace(/\n$/, '')
  return `-----BEGIN ${label}-----\n${body}\n-----END ${label}-----\n`
}

/** RFC 7468 §2: every PEM block of a text, in order, with its label and DER bytes. */
export function pemBlocks(text: string): Array<{ label: string; der: Uint8Array<ArrayBuffer> }> {
  const blocks: Array<{ label: string; der: Uint8Array<ArrayBuffer> }> = []
  const re = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g
  for (const match of text.matchAll(re)) {
    const [, label = '', body = ''] = match
    blocks.push({ label, der: base64Decode(body.replace(/\s+/g, '')) })
  }
  return blocks
}
