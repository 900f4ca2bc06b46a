import { describe, expect, it } from 'vitest'
import { base64Encode } from '../../src/crypto/encoding.ts'
import { legacyCredentials } from '../../src/grants/service-subject.ts'

// authentik's legacy client secret: base64 of `username:app_password`, decoded as Python's b64decode does.
const b64 = (text: string) => base64Encode(new TextEncoder().encode(text))

describe('legacyCredentials', () => {
  it('reads username and app password, the password keeping its colons, in UTF-8', () => {
    expect(legacyCredentials(b64('alice:pass:word'))).toEqual({ username: 'alice', password: 'pass:word' })
    expect(legacyCredentials(b64('jürgen:✓'))).toEqual({ username: 'jürgen', password: '✓' })
    expect(legacyCredentials(b64('a\uFFFD:b'))).toEqual({ username: 'a\uFFFD', password: 'b' })
    expect(legacyCredentials(b64(':'))).toEqual({ username: '', password: '' })
  })

  it('drops characters outside the alphabet first', () => {
    const spaced = b64('alice:secret').replace(/(.{4})/g, '$1 \n-')
    expect(legacyCredentials(spaced)).toEqual({ username: 'alice', password: 'secret' })
  })

  it('is null for a provider secret, bad padding, no colon, or bytes that are not UTF-8', () => {
    expect(legacyCredentials('A'.repeat(64) + 'b'.repeat(64))).toBeNull()
    expect(legacyCredentials(b64('alice:secret').replace(/=+$/, '').slice(0, -1))).toBeNull()
    expect(legacyCredentials(b64('no colon here'))).toBeNull()
    expect(legacyCredentials(base64Encode(new Uint8Array([0x61, 0x3a, 0xff, 0xfe])))).toBeNull()
    expect(legacyCredentials('')).toBeNull()
  })
})
