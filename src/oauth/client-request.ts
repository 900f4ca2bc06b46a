import type { JWK } from 'jose'
import type { TtlCache } from '../cache.ts'
import type { ArtefactQuery } from '../db/client-load.ts'
import { loadClient } from '../db/client-load.ts'
import type { Db } from '../db/client.ts'
import type { ProviderBundle } from '../db/providers.ts'
import type { DPoPNonces } from '../crypto/dpop-nonce.ts'
import type { IssueContext } from '../tokens/issue.ts'
import { authenticateClient, type ClientCredentials, type SecretRule } from './client-auth.ts'
import type { GrantType } from '../db/schema.ts'
import type { ClientAttempt } from './client-attempt.ts'
import { loadForClient } from './failure-limits.ts'

/**
 * Everything a client-authenticated endpoint (token, introspection, revocation, device authorization) reads
 * besides its parameters, so that its protocol code never sees the HTTP framework.
 */
export interface ClientContext extends IssueContext {
  db: Db
  clientIp: string | undefined
  /** Outbound HTTP (JWKS URLs of assertion sources) and the per-isolate cache of what it fetched. */
  fetch: typeof fetch
  remoteJwks: TtlCache<string, JWK[]>
  /** Called as soon as the client's provider is known, so the answer (even an error) can carry its CORS headers. */
  onProvider(bundle: ProviderBundle): void
  /** The attempt this request holds against the brute-force limits (src/oauth/client-attempt.ts). */
  attempt: ClientAttempt
  /** Runs `task` after the answer on a database handle of its own (`waitUntil` on Workers), logging a failure. */
  afterResponse(task: (db: Db) => Promise<void>): void
  /** RFC 9449 §8: the server nonces, at an endpoint that takes DPoP proofs (`dpop` of `IssueContext`). */
  dpopNonces?: DPoPNonces
}

/** How an endpoint authenticates its client, and what else its first statement reads. */
export interface ClientRequirements<T> {
  /** authentik §4.1's per-endpoint rule (see `SecretRule`). */
  secret: SecretRule
  /** The provider `grant_types` entry the request needs (`unauthorized_client` otherwise). */
  allows?: GrantType
  /** Only a confidential client may make the request (`unauthorized_client` otherwise). */
  confidentialOnly?: boolean
  /** The artefact the request presents, read in the same statement as the client. */
  artefact?: ArtefactQuery<T>
}

/** An authenticated client and the artefact its request presented (null: none found). */
export interface AuthenticatedClient<T> {
  bundle: ProviderBundle
  artefact: T | null
}

/**
 * The shared opening of every client-authenticated request, in one statement: the client's provider, the
 * artefact and an attempt reserved against the limits (a client or address at its limit is refused before
 * anything is checked),
 * then client authentication and the grant-type check (`authenticateClient`).
 */
export async function authenticatedClient<T>(
  ctx: ClientContext, credentials: ClientCredentials, requirements: ClientRequirements<T>,
): Promise<AuthenticatedClient<T>> {
  const loaded = await loadForClient(ctx, credentials,
    (reservation) => loadClient(ctx.db, credentials.clientId, reservation, requirements.artefact))
  const bundle = await authenticateClient(loaded?.bundle ?? null, credentials, requirements, ctx.secrets)
  return { bundle, artefact: loaded?.grant ?? null }
}
