import { describe, expect, it } from 'vitest'
import { deriveSecrets } from '../../src/crypto/secret-box.ts'
import { accessTokenClaims, accessTokenUid, isMarkedAccessToken } from '../../src/tokens/access-token.ts'

const KEY = 'test-secret-key-0123456789abcdefghijklmnopqrstuvwxyz'

describe('the access token\'s uid', () => {
  it('is 40 characters of [A-Za-z0-9] as authentik\'s, the same for a jti under one key, another under another key',
    async () => {
      const secrets = await deriveSecrets(KEY)
      const uid = await accessTokenUid(secrets, 'jti-1')
      expect(uid).toMatch(/^[A-Za-z0-9]{40}$/)
      expect(await accessTokenUid(secrets, 'jti-1')).toBe(uid)
      expect(await accessTokenUid(secrets, 'jti-2')).not.toBe(uid)
      expect(await accessTokenUid(await deriveSecrets(`${KEY}-other`), 'jti-1')).not.toBe(uid)
    })

  it('marks the access token: its claims are told from the ID token\'s, whatever else they share', async () => {
    const secrets = await deriveSecrets(KEY)
    const idToken = { iss: 'https://id.example/', sub: 'alice', aud: 'client', jti: 'same-jti', azp: 'client' }
    const access = accessTokenClaims(idToken, 'client', ['openid'], await accessTokenUid(secrets, 'same-jti'))
    expect(await isMarkedAccessToken(secrets, access)).toBe(true)
    expect(await isMarkedAccessToken(secrets, idToken)).toBe(false)
    expect(await isMarkedAccessToken(secrets, { ...idToken, uid: 'u'.repeat(40) })).toBe(false)
    expect(await isMarkedAccessToken(secrets, { ...access, jti: 'other-jti' })).toBe(false)
    expect(await isMarkedAccessToken(await deriveSecrets(`${KEY}-other`), access)).toBe(false)
  })
})
