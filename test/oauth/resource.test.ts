import { describe, expect, it } from 'vitest'
import { OAuthError } from '../../src/oauth/errors.ts'
import { audienceClaim, isResourceIndicator, requestedResources, resourceRequest } from '../../src/oauth/resource.ts'

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

  it('reads a request\'s resources: repeats and empty ones dropped, the order kept, the syntax judged (§2)', () => {
    expect(resourceRequest(undefined)).toEqual({ asked: null, syntaxOk: true })
    expect(resourceRequest(['', ''])).toEqual({ asked: null, syntaxOk: true })
    expect(resourceRequest([B, A, B, ''])).toEqual({ asked: [B, A], syntaxOk: true })
    expect(resourceRequest([A, `${B}#x`])).toEqual({ asked: [A, `${B}#x`], syntaxOk: false })
    expect(resourceRequest(['relative/path']).syntaxOk).toBe(false)
  })

  it('writes one audience as a string and several as an array (RFC 7519 §4.1.3)', () => {
    expect(audienceClaim([A])).toBe(A)
    expect(audienceClaim([A, B])).toEqual([A, B])
  })
})
