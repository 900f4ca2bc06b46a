import { describe, expect, it } from 'vitest'
import { OAuthError } from '../../src/oauth/errors.ts'
import { audienceClaim, grantedAudience, isResourceIndicator, requestedResources } from '../../src/oauth/resource.ts'

const A = 'https://a.example/'
const B = 'urn:example:b'
const C = 'https://c.example/api?tenant=1'

const targetError = (fn: () => unknown) => {
  try {
    fn()
  } catch (err) {
    return err instanceof OAuthError ? { code: err.code, status: err.status } : err
  }
  return null
}

describe('RFC 8707 §2 resource indicators', () => {
  it.each([A, B, C, 'http://localhost:9000/x'])('takes %s as an absolute URI without a fragment', (v) => {
    expect(isResourceIndicator(v)).toBe(true)
  })

  it.each(['/api', 'api.example', '', `${A}#`, `${A}#f`, 'https://a.example/ x', '1http://a'])('refuses %j', (v) => {
    expect(isResourceIndicator(v)).toBe(false)
  })

  it('answers null for no resource, drops duplicates and empty values, keeps the order', () => {
    expect(requestedResources(undefined, [A])).toBeNull()
    expect(requestedResources(['', ''], [A])).toBeNull()
    expect(requestedResources([B, A, B, ''], [A, B])).toEqual([B, A])
  })

  it('refuses with invalid_target (400) a resource that is not allowed, however it is spelled', () => {
    expect(targetError(() => requestedResources(['https://A.example/'], [A]))).toEqual({ code: 'invalid_target', status: 400 })
    expect(targetError(() => requestedResources([`${A}#x`], [`${A}#x`]))).toEqual({ code: 'invalid_target', status: 400 })
  })

  it('narrows a grant to a subset, defaults to all of it, and never widens it (§2.2)', () => {
    expect(grantedAudience(undefined, [A, B], [A, B, C])).toEqual([A, B])
    expect(grantedAudience([B], [A, B], [A, B, C])).toEqual([B])
    expect(targetError(() => grantedAudience([C], [A, B], [A, B, C]))).toEqual({ code: 'invalid_target', status: 400 })
    expect(grantedAudience(undefined, null, [A])).toBeNull()
    expect(grantedAudience(undefined, [], [A])).toBeNull()
  })

  it('grants nothing later for a grant that named no resource: it is no wildcard (§2.2)', () => {
    expect(targetError(() => grantedAudience([C], null, [A, B, C]))).toEqual({ code: 'invalid_target', status: 400 })
    expect(targetError(() => grantedAudience([A, B], [], [A, B]))).toEqual({ code: 'invalid_target', status: 400 })
  })

  it('drops a granted resource the provider no longer allows', () => {
    expect(grantedAudience(undefined, [A, B], [B])).toEqual([B])
    expect(targetError(() => grantedAudience([A], [A, B], [B]))).toEqual({ code: 'invalid_target', status: 400 })
    expect(targetError(() => grantedAudience(undefined, [A], []))).toEqual({ code: 'invalid_target', status: 400 })
  })

  it('writes one audience as a string and several as an array (RFC 7519 §4.1.3)', () => {
    expect(audienceClaim([A])).toBe(A)
    expect(audienceClaim([A, B])).toEqual([A, B])
  })
})
