import { decodeProtectedHeader, jwtVerify } from 'jose'
import { describe, expect, it } from 'vitest'
import { KeyCache } from '../../src/crypto/key-cache.ts'
import { encodeLogoutToken, logoutTokenClaims } from '../../src/tokens/logout-token.ts'

const NOW = new Date('2026-06-01T12:00:00.000Z')
const IAT = NOW.getTime() / 1000
const EVENTS = { 'http://schemas.openid.net/event/backchannel-logout': {} }
const base = { issuer: 'https://idp.test/application/o/app/', clientId: 'client-1', now: NOW }

describe('logout token (OIDC Back-Channel Logout 1.0 §2.4, authentik test_backchannel_logout.py)', () => {
  it('with only sid has no sub', () => {
    expect(logoutTokenClaims({ ...base, sid: 'the-sid' })).toEqual({ iss: base.issuer, aud: 'client-1', iat: IAT,
      exp: IAT + 120, jti: expect.stringMatching(/^[0-9a-f-]{36}$/), events: EVENTS, sid: 'the-sid' })
  })

  it('with only sub has no sid', () => {
    const claims = logoutTokenClaims({ ...base, sub: 'the-sub' })
    expect(claims).toMatchObject({ sub: 'the-sub', events: EVENTS })
    expect(claims).not.toHaveProperty('sid')
    expect(claims).not.toHaveProperty('nonce')
  })

  it('with both carries both, a fresh jti each time, and refuses neither', () => {
    const a = logoutTokenClaims({ ...base, sub: 's', sid: 'd' })
    expect(a).toMatchObject({ sub: 's', sid: 'd' })
    expect(logoutTokenClaims({ ...base, sub: 's', sid: 'd' }).jti).not.toBe(a.jti)
    expect(() => logoutTokenClaims(base)).toThrow(TypeError)
  })

  it('is signed with header typ logout+jwt (HS256 with the client secret when there is no key)', async () => {
    const token = await encodeLogoutToken({ clientSecret: 'secret-0123456789', signingKey: null, encryptionKey: null },
      { ...base, sid: 'd' }, new KeyCache())
    expect(decodeProtectedHeader(token)).toEqual({ alg: 'HS256', typ: 'logout+jwt' })
    const { payload } = await jwtVerify(token, new TextEncoder().encode('secret-0123456789'),
      { typ: 'logout+jwt', currentDate: NOW, audience: 'client-1', issuer: base.issuer })
    expect(payload).toEqual({ iss: base.issuer, aud: 'client-1', iat: IAT, exp: IAT + 120,
      jti: expect.stringMatching(/^[0-9a-f-]{36}$/), events: EVENTS, sid: 'd' })
  })
})
