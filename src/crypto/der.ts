/**
 * The few pieces of X.690 DER that certificates and private keys need: a reader that returns views of its
 * input (so a certificate's SPKI or TBS bytes are exactly the bytes it was given) and a writer of definite-length
 * elements. Only single-octet tags (numbers < 31) exist in RFC 5280 and RFC 5958 structures.
 */
import { utf8 } from './encoding.ts'

type Bytes = Uint8Array<ArrayBuffer>

/** One element: its identifier octet (class, constructed bit, number), its contents and its whole encoding. */
export interface Der {
  tag: number
  contents: Bytes
  raw: Bytes
}

export const TAG = {
  BOOLEAN: 0x01, INTEGER: 0x02, BIT_STRING: 0x03, OCTET_STRING: 0x04, NULL: 0x05, OID: 0x06,
  UTF8_STRING: 0x0c, PRINTABLE_STRING: 0x13, TELETEX_STRING: 0x14, IA5_STRING: 0x16, UTC_TIME: 0x17,
  GENERALIZED_TIME: 0x18, UNIVERSAL_STRING: 0x1c, BMP_STRING: 0x1e, SEQUENCE: 0x30, SET: 0x31,
} as const

/** X.690 §8.1.2.2: context-specific tag `[n]`, constructed (EXPLICIT, or IMPLICIT of a constructed type) or not. */
export const context = (n: number, constructed = true): number => (constructed ? 0xa0 : 0x80) | n

/** Malformed or unexpected DER. */
export class DerError extends Error {
  override readonly name = 'DerError'
}

function readElement(bytes: Bytes, start: number, end: number): Der {
  const tag = bytes[start]
  let length = bytes[start + 1]
  if (tag === undefined || length === undefined || start + 2 > end) throw new DerError('truncated element')
  if ((tag & 0x1f) === 0x1f) throw new DerError('multi-octet tags are not supported')
  let pos = start + 2
  if (length & 0x80) {
    // X.690 §8.1.3.5 long form; 0x80 would be BER's indefinite length, which DER forbids (§10.1).
    const count = length & 0x7f
    if (count === 0 || count > 4 || pos + count > end) throw new DerError('bad length')
    length = 0
    for (let i = 0; i < count; i++) length = length * 256 + (bytes[pos++] as number)
  }
  if (pos + length > end) throw new DerError('element runs past its container')
  return { tag, contents: bytes.subarray(pos, pos + length), raw: bytes.subarray(start, pos + length) }
}

/** The one element that `bytes` holds, nothing after it. */
export function decode(bytes: Bytes): Der {
  const element = readElement(bytes, 0, bytes.length)
  if (element.raw.length !== bytes.length) throw new DerError('bytes after the element')
  return element
}

/** Checks an element's tag (`what` names it in the error). */
export function expectTag(element: Der | undefined, tag: number, what = 'element'): Der {
  if (!element || element.tag !== tag) throw new DerError(`expected ${what}`)
  return element
}

/** The elements inside a SEQUENCE, SET or explicitly tagged element of tag `tag`. */
export function children(element: Der | undefined, tag: number = TAG.SEQUENCE): Der[] {
  const { contents } = expectTag(element, tag)
  const items: Der[] = []
  for (let pos = 0; pos < contents.length; ) {
    const item = readElement(contents, pos, contents.length)
    items.push(item)
    pos += item.raw.length
  }
  return items
}

/** X.690 §8.19: an OBJECT IDENTIFIER as dotted text. */
export function oidText(element: Der | undefined): string {
  const { contents } = expectTag(element, TAG.OID, 'OBJECT IDENTIFIER')
  const arcs: number[] = []
  let value = 0
  for (const byte of contents) {
    value = value * 128 + (byte & 0x7f)
    if (byte & 0x80) continue
    if (arcs.length === 0) arcs.push(value < 80 ? Math.floor(value / 40) : 2, value < 80 ? value % 40 : value - 80)
    else arcs.push(value)
    value = 0
  }
  if (contents.length === 0 || (contents.at(-1) as number) & 0x80) throw new DerError('bad OBJECT IDENTIFIER')
  return arcs.join('.')
}

/** X.690 §8.3: a non-negative INTEGER's magnitude, without leading zero octets. */
export function unsignedInteger(element: Der | undefined): Bytes {
  const { contents } = expectTag(element, TAG.INTEGER, 'INTEGER')
  if (contents.length === 0 || (contents[0] as number) & 0x80) throw new DerError('expected a non-negative INTEGER')
  let i = 0
  while (i < contents.length - 1 && contents[i] === 0) i++
  return contents.subarray(i)
}

/** X.690 §8.6: the octets of a BIT STRING that has no unused bits (keys and signatures). */
export function bitStringOctets(element: Der | undefined): Bytes {
  const { contents } = expectTag(element, TAG.BIT_STRING, 'BIT STRING')
  if (contents[0] !== 0) throw new DerError('expected a BIT STRING of whole octets')
  return contents.subarray(1)
}

const TIME = /^(\d{2}|\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})?(\.\d{1,9})?Z$/

/** RFC 5280 §4.1.2.5: UTCTime (YY ≥ 50 is 19YY) or GeneralizedTime (fractions allowed), in UTC. */
export function timeOf(element: Der | undefined): Date {
  const utc = element?.tag === TAG.UTC_TIME
  const { contents } = expectTag(element, utc ? TAG.UTC_TIME : TAG.GENERALIZED_TIME, 'Time')
  const match = TIME.exec(String.fromCharCode(...contents))
  if (!match || (match[1] as string).length !== (utc ? 2 : 4) || (utc && match[7])) throw new DerError('bad Time')
  const [year, month, day, hours, minutes, seconds] = match.slice(1, 7).map((part) => Number(part ?? 0)) as number[]
  const fullYear = utc ? (year as number) + ((year as number) >= 50 ? 1900 : 2000) : (year as number)
  const ms = match[7] ? Math.floor(Number(`0${match[7]}`) * 1000) : 0
  const date = new Date(Date.UTC(fullYear, (month as number) - 1, day, hours, minutes, seconds, ms))
  date.setUTCFullYear(fullYear) // Date.UTC maps years 0-99 to 1900-1999
  if (date.getUTCMonth() !== (month as number) - 1 || date.getUTCDate() !== day) throw new DerError('bad Time')
  return date
}

// ---- writer ----

function lengthOctets(length: number): number[] {
  if (length < 0x80) return [length]
  const octets: number[] = []
  for (let n = length; n > 0; n = Math.floor(n / 256)) octets.unshift(n & 0xff)
  return [0x80 | octets.length, ...octets]
}

/** X.690 §8.1: one definite-length element of `tag` whose contents are `parts`, concatenated. */
export function encode(tag: number, ...parts: ArrayLike<number>[]): Bytes {
  const length = parts.reduce((sum, part) => sum + part.length, 0)
  const header = [tag, ...lengthOctets(length)]
  const out = new Uint8Array(header.length + length)
  out.set(header)
  let pos = header.length
  for (const part of parts) {
    out.set(part, pos)
    pos += part.length
  }
  return out
}

export const sequence = (...parts: Uint8Array[]): Bytes => encode(TAG.SEQUENCE, ...parts)
export const set = (...parts: Uint8Array[]): Bytes => encode(TAG.SET, ...parts)
export const octetString = (octets: Uint8Array): Bytes => encode(TAG.OCTET_STRING, octets)
export const bitString = (octets: Uint8Array, unusedBits = 0): Bytes => encode(TAG.BIT_STRING, [unusedBits], octets)
export const nullValue = (): Bytes => encode(TAG.NULL)
export const boolean = (value: boolean): Bytes => encode(TAG.BOOLEAN, [value ? 0xff : 0])
export const text = (tag: number, value: string): Bytes => encode(tag, utf8(value))

/** X.690 §8.3: a non-negative INTEGER from its big-endian magnitude (minimal, with a 0 octet if the top bit is set). */
export function integer(magnitude: Uint8Array): Bytes {
  let i = 0
  while (i < magnitude.length - 1 && magnitude[i] === 0) i++
  const octets = magnitude.subarray(i)
  return (octets[0] ?? 0) & 0x80 || octets.length === 0 ? encode(TAG.INTEGER, [0], octets) : encode(TAG.INTEGER, octets)
}

/** X.690 §8.19: an OBJECT IDENTIFIER from dotted text. */
export function oid(dotted: string): Bytes {
  const [first = 0, second = 0, ...rest] = dotted.split('.').map(Number)
  const octets: number[] = []
  for (const arc of [first * 40 + second, ...rest]) {
    const group = [arc & 0x7f]
    for (let n = Math.floor(arc / 128); n > 0; n = Math.floor(n / 128)) group.unshift(0x80 | (n & 0x7f))
    octets.push(...group)
  }
  return encode(TAG.OID, octets)
}

/** RFC 5280 §4.1.2.5: UTCTime for 1950-2049, GeneralizedTime otherwise; whole seconds, `Z`. */
export function time(date: Date): Bytes {
  const digits = date.toISOString().slice(0, 19).replace(/\D/g, '')
  const year = date.getUTCFullYear()
  return year >= 1950 && year < 2050
    ? text(TAG.UTC_TIME, `${digits.slice(2)}Z`)
    : text(TAG.GENERALIZED_TIME, `${digits}Z`)
}
