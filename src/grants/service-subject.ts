import { base64Decode, fromUtf8OrNull } from '../crypto/encoding.ts'
import { OAuthError } from '../oauth/errors.ts'

/** authentik's `USER_ATTRIBUTE_GENERATED` / `USER_ATTRIBUTE_EXPIRES` (core/models.py). */
export const GENERATED = 'goauthentik.io/user/generated'
export const EXPIRES = 'goauthentik.io/user/expires'

export const invalidGrant = (why: string): OAuthError => new OAuthError('invalid_grant', undefined, 400, why)

/**
 * authentik's legacy client secret, base64 of `username:app_password` (Python's `b64decode`: characters outside
 * the alphabet are dropped, padding must be right, then UTF-8). Null when it is not that.
 */
export function legacyCredentials(secret: string): { username: string; password: string } | null {
  const data = secret.replace(/[^A-Za-z0-9+/=]/g, '')
  if (data.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(data)) return null
  // A provider's own secret is most often base64-shaped but no UTF-8: no exception is thrown for it.
  let bytes: Uint8Array
  try {
    bytes = base64Decode(data)
  } catch {
    return null
  }
  const text = bytes.includes(0x3a) ? fromUtf8OrNull(bytes) : null
  const colon = text?.indexOf(':') ?? -1
  return text === null || colon < 0 ? null : { username: text.slice(0, colon), password: text.slice(colon + 1) }
}
