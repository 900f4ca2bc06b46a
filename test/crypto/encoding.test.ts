import { describe, expect, it } from 'vitest'
import { fromUtf8OrNull, hex } from '../../src/crypto/encoding.ts'

describe('hex', () => {
  const every = Uint8Array.from({ length: 256 }, (_, b) => b)

  it('writes every byte value as two lowercase digits, as Node does', () => {
    expect(hex(every)).toBe(Buffer.from(every).toString('hex'))
    expect(hex(every.buffer)).toBe(Buffer.from(every).toString('hex'))
  })

  it('separates bytes only between them (certificate fingerprints)', () => {
    expect(hex(Uint8Array.of(0x00, 0x0f, 0xab), ':')).toBe('00:0f:ab')
    expect(hex(Uint8Array.of(0x7f), ':')).toBe('7f')
    expect(hex(new Uint8Array(0), ':')).toBe('')
  })
})

describe('fromUtf8OrNull', () => {
  it('decodes UTF-8, a real U+FFFD included, and answers null for bytes that are not UTF-8', () => {
    const enc = new TextEncoder()
    expect(fromUtf8OrNull(enc.encode('café: ✓'))).toBe('café: ✓')
    expect(fromUtf8OrNull(enc.encode('a\uFFFDb'))).toBe('a\uFFFDb')
    expect(fromUtf8OrNull(new Uint8Array([0x61, 0xff, 0x62]))).toBeNull()
    expect(fromUtf8OrNull(new Uint8Array([0xc3]))).toBeNull()
    expect(fromUtf8OrNull(new Uint8Array(0))).toBe('')
  })
})
