import { describe, expect, it } from 'vitest'
import { displayUserCode, newUserCode, normaliseUserCode, USER_CODE_ALPHABET } from '../../src/oauth/user-code.ts'

describe('user codes (RFC 8628 §6.1)', () => {
  it('are 8 consonants without look-alikes, shown as two groups of four', () => {
    expect(USER_CODE_ALPHABET).toHaveLength(20)
    expect(USER_CODE_ALPHABET).not.toMatch(/[AEIOU0O1I]/)
    const codes = Array.from({ length: 200 }, newUserCode)
    for (const code of codes) expect(code).toMatch(/^[BCDFGHJKLMNPQRSTVWXZ]{8}$/)
    expect(new Set(codes).size).toBe(200)
    expect(new Set(codes.join(''))).toEqual(new Set(USER_CODE_ALPHABET))
    expect(displayUserCode('WDJBMJHT')).toBe('WDJB-MJHT')
  })

  it('are read case-insensitively, without hyphens or whitespace', () => {
    expect(normaliseUserCode(' wdjb-mjht ')).toBe('WDJBMJHT')
    expect(normaliseUserCode('wd jb\tmj-ht')).toBe('WDJBMJHT')
    expect(normaliseUserCode('x'.repeat(100))).toHaveLength(64)
  })
})
