import { base64urlDecode, fromUtf8 } from '../crypto/encoding.ts'
import { sha256Hex } from '../crypto/hash.ts'

/** The `jti` a compact JWS carries in its claims, or a JWE in its protected header (RFC 7519 §5.3); null if none. */
function jtiOf(token: string): string | null {
  const parts = token.split('.')
  if (parts.length !== 3 && parts.length !== 5) return null
  try {
    const json = JSON.parse(fromUtf8(base64urlDecode(parts[parts.length === 3 ? 1 : 0]!))) as unknown
    const jti = (json as { jti?: unknown } | null)?.jti
    return typeof jti === 'string' && jti !== '' ? jti : null
  } catch {
    return null
  }
}

/**
 * The hash a presented token is looked up by. An access token is stored as the SHA-256 of its `jti` (its own,
 * chosen before the statement that stored it, src/db/token-rows.ts), which only a holder of the token knows, so
 * the lookup is as strong as one by the token's own hash; anything else (a refresh token) by its own SHA-256.
 */
export async function presentedTokenHash(token: string): Promise<string> {
  return sha256Hex(jtiOf(token) ?? token)
}
