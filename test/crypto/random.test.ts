import { describe, expect, it } from 'vitest'
import { randomDigits, randomId, randomUUID } from '../../src/crypto/random.ts'

describe('randomId', () => {
  it('returns exactly the requested number of alphanumerics (client_id 40, secrets 128)', () => {
    for (const length of [0, 1, 40, 128, 1000]) {
      const id = randomId(length)
      expect(id).toHaveLength(length)
      expect(id).toMatch(/^[A-Za-z0-9]*$/)
    }
  })

  it('uses the whole alphabet and does not repeat', () => {
    const sample = randomId(20_000)
    expect(new Set(sample).size).toBe(62)
    expect(randomId(128)).not.toBe(randomId(128))
  })

  it('is roughly uniform (no modulo bias towards the first characters)', () => {
    const sample = randomId(62 * 2000)
    const counts = new Map<string, number>()
    for (const c of sample) counts.set(c, (counts.get(c) ?? 0) + 1)
    // Expected 2000 each; with modulo bias over 256 the first 8 characters would get ~2300.
    for (const count of counts.values()) expect(count).toBeLessThan(2250)
    for (const count of counts.values()) expect(count).toBeGreaterThan(1750)
  })

  it('rejects negative and fractional lengths', () => {
    expect(() => randomId(-1)).toThrow(RangeError)
    expect(() => randomId(1.5)).toThrow(RangeError)
  })
})

describe('randomDigits and randomUUID', () => {
  it('returns n decimal digits', () => {
    const digits = randomDigits(5000)
    expect(digits).toMatch(/^[0-9]{5000}$/)
    expect(new Set(digits).size).toBe(10)
    expect(randomDigits(8)).toHaveLength(8)
  })

  it('returns version-4 UUIDs', () => {
    expect(randomUUID()).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
    expect(randomUUID()).not.toBe(randomUUID())
  })
})
