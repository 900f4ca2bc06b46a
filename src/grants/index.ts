import type { Db } from '../db/client.ts'
import type { ProviderBundle } from '../db/providers.ts'
import type { ClientCredentials } from '../oauth/client-auth.ts'
import type { IssueContext, IssuedTokens } from '../tokens/issue.ts'
import { exchangeAuthorizationCode } from './authorization-code.ts'
import { countingFailures } from './rate-limit.ts'
import { exchangeRefreshToken } from './refresh-token.ts'

/** The `grant_type` values of the token endpoint (RFC 6749 §4, RFC 8628 §3.4). */
export type GrantTypeValue =
  | 'authorization_code'
  | 'refresh_token'
  | 'client_credentials'
  | 'password'
  | 'urn:ietf:params:oauth:grant-type:device_code'

/** Everything a grant handler reads, so that it never sees the HTTP framework. */
export interface GrantContext extends IssueContext {
  db: Db
  clientIp: string | undefined
  /** Called as soon as the client's provider is known, so the answer (even an error) can carry its CORS headers. */
  onProvider(bundle: ProviderBundle): void
}

/** A token request: its form parameters (each at most once) and the client's credentials. */
export interface GrantRequest {
  params: ReadonlyMap<string, string>
  client: ClientCredentials
}

/** What a successful grant answers with: the tokens and the scope they were issued for. */
export interface GrantResult {
  tokens: IssuedTokens
  scope: string
}

export type GrantHandler = (ctx: GrantContext, request: GrantRequest) => Promise<GrantResult>

/**
 * The token endpoint's grants, by `grant_type`; any other value is `unsupported_grant_type`. Each handler reads its
 * provider, artefact and failure counts in one statement (`loadForClient`), then `authenticateClient` checks the
 * client and that the provider allows the grant (`unauthorized_client` per RFC 6749 §5.2, where authentik 2026.5
 * says `invalid_grant`).
 */
export const grantHandlers = {
  authorization_code: exchangeAuthorizationCode,
  refresh_token: exchangeRefreshToken,
} satisfies Partial<Record<GrantTypeValue, GrantHandler>>

/**
 * The handler of `grantType` with its failures counted against the brute-force limits (src/grants/rate-limit.ts),
 * or null (own keys only: `__proto__` or `toString` are not grants).
 */
export function grantHandler(grantType: string): GrantHandler | null {
  if (!Object.hasOwn(grantHandlers, grantType)) return null
  return countingFailures(grantHandlers[grantType as keyof typeof grantHandlers])
}
