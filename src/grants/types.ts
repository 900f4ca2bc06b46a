import type * as z from 'zod'
import type { ArtefactQuery } from '../db/client-load.ts'
import type { ProviderBundle } from '../db/providers.ts'
import type { GrantType } from '../db/schema.ts'
import type { ClientCredentials, SecretRule } from '../oauth/client-auth.ts'
import type { ClientContext } from '../oauth/client-request.ts'
import type { IssuedTokens } from '../tokens/issue.ts'

/** What a grant reads besides its request: the database, the clock, the keys (see `ClientContext`). */
export type GrantContext = ClientContext

/** A token request as a grant's handler sees it: already parsed, its client already authenticated. */
export interface GrantRequest<P, T> {
  params: P
  client: ClientCredentials
  bundle: ProviderBundle
  /** What `Grant.artefact` found in the first statement; null when nothing matched. */
  artefact: T | null
}

/** What a successful grant answers with: the tokens and the scope they were issued for. */
export interface GrantResult {
  tokens: IssuedTokens
  scope: string
}

/**
 * One grant of the token endpoint, describing itself (node-oidc-provider's grant modules): its wire
 * `grant_type`, the provider `grant_types` entry that allows it, the parameters it reads, who checks the client's
 * secret, what its first statement reads, and its own rules (`handle`), which start from an authenticated client.
 */
export interface Grant<P = unknown, T = unknown> {
  /** RFC 6749 §4 / RFC 8628 §3.4 `grant_type`. */
  grantType: string
  /** The provider's `grant_types` value that enables it. */
  allowedBy: GrantType
  /** The form parameters it reads (each at most once but `resource`, a list; empty ones omitted); others ignored. */
  parameters: z.ZodType<P>
  secret: SecretRule
  /** RFC 6749 §4.4: only confidential clients may use it (a public one is `unauthorized_client`). */
  confidentialOnly?: boolean
  /** The artefact to read with the client in statement 1 (a code, a refresh token...), from the request alone. */
  artefact?(ctx: GrantContext, params: P, client: ClientCredentials): Promise<ArtefactQuery<T>>
  handle(ctx: GrantContext, request: GrantRequest<P, T>): Promise<GrantResult>
}

/** Type a grant module's export, inferring its parameter and artefact types. */
export function defineGrant<P, T>(grant: Grant<P, T>): Grant<P, T> {
  return grant
}
