import type { GrantType } from '../db/schema.ts'
import { authorizationCodeGrant } from './authorization-code.ts'
import { clientCredentialsGrant, passwordGrant } from './client-credentials.ts'
import { deviceCodeGrant } from './device-code.ts'
import { refreshTokenGrant } from './refresh-token.ts'
import type { Grant } from './types.ts'

/**
 * The token endpoint's grants (RFC 6749 §4, RFC 8628 §3.4): adding one is a module and a line here. Any other
 * `grant_type` is `unsupported_grant_type`.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const GRANTS: ReadonlyArray<Grant<any, any>> = [
  authorizationCodeGrant,
  refreshTokenGrant,
  clientCredentialsGrant,
  passwordGrant,
  deviceCodeGrant,
]

const byGrantType = new Map(GRANTS.map((g) => [g.grantType, g]))

/** The grant of a wire `grant_type`, or null. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function grantFor(grantType: string): Grant<any, any> | null {
  return byGrantType.get(grantType) ?? null
}

/** What discovery advertises: each served grant's wire value with the provider `grant_types` entry enabling it. */
export const SERVED_GRANTS: ReadonlyArray<{ grantType: string; allowedBy: GrantType }> =
  GRANTS.map(({ grantType, allowedBy }) => ({ grantType, allowedBy }))
