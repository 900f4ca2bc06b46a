import { describe, expect, it } from 'vitest'
import type { RedirectURI } from '../../src/db/schema.ts'
import {
  compileRedirectPattern, isForbiddenScheme, matchRedirectUri, originMatchesRedirectUri, RedirectURISchema,
} from '../../src/oauth/redirect-uri.ts'

const strict = (url: string, type: RedirectURI['redirect_uri_type'] = 'authorization'): RedirectURI =>
  ({ matching_mode: 'strict', url, redirect_uri_type: type })
const regex = (url: string, type: RedirectURI['redirect_uri_type'] = 'authorization'): RedirectURI =>
  ({ matching_mode: 'regex', url, redirect_uri_type: type })

describe('RedirectURISchema', () => {
  it('defaults to strict matching of an authorization URI', () => {
    expect(RedirectURISchema.parse({ url: 'http://localhost' }))
      .toEqual({ matching_mode: 'strict', url: 'http://localhost', redirect_uri_type: 'authorization' })
  })

  it('rejects unknown modes and types', () => {
    expect(RedirectURISchema.safeParse({ url: 'x', matching_mode: 'prefix' }).success).toBe(false)
    expect(RedirectURISchema.safeParse({ url: 'x', redirect_uri_type: 'other' }).success).toBe(false)
    expect(RedirectURISchema.safeParse({ matching_mode: 'strict' }).success).toBe(false)
  })
})

describe('compileRedirectPattern', () => {
  it('matches the whole string, like re.fullmatch', () => {
    const re = compileRedirectPattern('http://localhost/cb')!
    expect(re.test('http://localhost/cb')).toBe(true)
    expect(re.test('http://localhost/cb/extra')).toBe(false)
    expect(re.test('xhttp://localhost/cb')).toBe(false)
  })

  it('keeps alternations inside the full match', () => {
    const re = compileRedirectPattern('http://a|http://b')!
    expect(re.test('http://a')).toBe(true)
    expect(re.test('http://b')).toBe(true)
    expect(re.test('http://a.evil')).toBe(false)
    expect(re.test('evil.http://b')).toBe(false)
  })

  it('returns null for patterns that do not compile', () => {
    expect(compileRedirectPattern('**')).toBeNull()
    expect(compileRedirectPattern('+')).toBeNull()
    expect(compileRedirectPattern('(')).toBeNull()
  })

  it('rejects an unbalanced ")" that would otherwise escape the full match', () => {
    expect(compileRedirectPattern('http://a)|(.*')).toBeNull()
  })
})

describe('matchRedirectUri', () => {
  it('does not try a regex entry on a URI longer than 2048 characters', () => {
    // (a+)+$ backtracks exponentially on a near-miss; the length cap keeps the client from choosing the cost.
    const entries = [regex('https://app\\.example/(a+)+')]
    const long = `https://app.example/${'a'.repeat(3000)}`
    expect(matchRedirectUri(entries, long, 'authorization')).toBeNull()
    expect(matchRedirectUri(entries, 'https://app.example/aaa', 'authorization')).toEqual(entries[0])
    expect(matchRedirectUri([strict(long)], long, 'authorization')).not.toBeNull()
  })

  it('compares strict entries by exact string', () => {
    const entries = [strict('http://localhost')]
    expect(matchRedirectUri(entries, 'http://localhost', 'authorization')).toEqual(entries[0])
    expect(matchRedirectUri(entries, 'http://local.invalid', 'authorization')).toBeNull()
    expect(matchRedirectUri(entries, 'http://localhost/', 'authorization')).toBeNull()
    expect(matchRedirectUri(entries, 'HTTP://localhost', 'authorization')).toBeNull()
  })

  it('fully matches regex entries', () => {
    expect(matchRedirectUri([regex('.+')], 'http://foo.bar.baz', 'authorization')).not.toBeNull()
    expect(matchRedirectUri([regex('http://local.invalid?')], 'http://localhost', 'authorization')).toBeNull()
  })

  it('treats an invalid regex as no match without throwing', () => {
    expect(matchRedirectUri([regex('+')], 'http://localhost', 'authorization')).toBeNull()
    expect(matchRedirectUri([regex('+'), strict('http://localhost')], 'http://localhost', 'authorization'))
      .toEqual(strict('http://localhost'))
  })

  it('only considers entries of the requested type', () => {
    const entries = [strict('http://localhost/logout', 'logout'), strict('http://localhost/cb')]
    expect(matchRedirectUri(entries, 'http://localhost/logout', 'authorization')).toBeNull()
    expect(matchRedirectUri(entries, 'http://localhost/logout', 'logout')).toEqual(entries[0])
    expect(matchRedirectUri(entries, 'http://localhost/cb', 'logout')).toBeNull()
  })
})

describe('isForbiddenScheme', () => {
  it('flags javascript:, data: and vbscript: in any case and with surrounding space', () => {
    expect(isForbiddenScheme('javascript:alert(1)')).toBe(true)
    expect(isForbiddenScheme('  JavaScript:alert(1)')).toBe(true)
    expect(isForbiddenScheme('data:localhost')).toBe(true)
    expect(isForbiddenScheme('VBScript:x')).toBe(true)
    expect(isForbiddenScheme('java\tscript:alert(1)')).toBe(true)
  })

  it('lets ordinary and custom schemes through', () => {
    expect(isForbiddenScheme('http://localhost')).toBe(false)
    expect(isForbiddenScheme('foo://localhost')).toBe(false)
    expect(isForbiddenScheme('com.example.app:/cb')).toBe(false)
    expect(isForbiddenScheme('/relative/data:x')).toBe(false)
  })
})

describe('originMatchesRedirectUri', () => {
  it('allows the scheme, host and port of a strict entry', () => {
    const entries = [strict('http://local.invalid/callback?x=1')]
    expect(originMatchesRedirectUri('http://local.invalid', entries)).toBe(true)
    expect(originMatchesRedirectUri('https://local.invalid', entries)).toBe(false)
    expect(originMatchesRedirectUri('http://local.invalid:8080', entries)).toBe(false)
    expect(originMatchesRedirectUri('http://other.invalid', entries)).toBe(false)
  })

  it('compares ports, with default ports normalised', () => {
    expect(originMatchesRedirectUri('http://localhost:9000', [strict('http://localhost:9000/cb')])).toBe(true)
    expect(originMatchesRedirectUri('https://example.com', [strict('https://example.com:443/cb')])).toBe(true)
    expect(originMatchesRedirectUri('http://localhost', [strict('http://localhost:9000/cb')])).toBe(false)
  })

  it('fully matches regex entries against the bare origin and skips invalid ones', () => {
    const entries = [regex('+'), regex('https://[a-z]+\\.example\\.com')]
    expect(originMatchesRedirectUri('https://app.example.com', entries)).toBe(true)
    expect(originMatchesRedirectUri('https://app.example.com.evil', entries)).toBe(false)
    expect(originMatchesRedirectUri('https://app.example.com', [regex('+')])).toBe(false)
  })

  it('never matches a null or malformed origin', () => {
    expect(originMatchesRedirectUri('null', [strict('http://localhost')])).toBe(false)
    expect(originMatchesRedirectUri('', [regex('.*')])).toBe(false)
  })
})
