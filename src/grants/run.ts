import { authenticatedClient } from '../oauth/client-request.ts'
import type { ClientCredentials } from '../oauth/client-auth.ts'
import { checkTokenProof, refusingProofReplay } from '../oauth/dpop-policy.ts'
import { OAuthError } from '../oauth/errors.ts'
import type { Grant, GrantContext, GrantResult } from './types.ts'

/**
 * The token endpoint's shared steps before a grant's own (node-oidc-provider's token action): its parameters,
 * then in one statement the client, its failure counts and the grant's artefact, then client authentication by
 * the grant's rule and the provider's `grant_types`, then the provider's DPoP rules (RFC 9449 §5, §8), then the
 * grant, whose write records the proof's `jti` (a replay is `invalid_dpop_proof`).
 */
export async function runGrant<P, T>(
  grant: Grant<P, T>, ctx: GrantContext, form: ReadonlyMap<string, string>, client: ClientCredentials,
  repeated: ReadonlyMap<string, readonly string[]> = new Map(),
): Promise<GrantResult> {
  // A repeatable parameter (RFC 8707 `resource`) reaches the schema as the list of its values.
  const parsed = grant.parameters.safeParse({ ...Object.fromEntries(form), ...Object.fromEntries(repeated) })
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    throw new OAuthError('invalid_request', `${issue?.path.join('.') || 'request'}: ${issue?.message ?? 'invalid'}`)
  }
  const params = parsed.data
  const { bundle, artefact } = await authenticatedClient(ctx, client, {
    secret: grant.secret, allows: grant.allowedBy, ...(grant.confidentialOnly && { confidentialOnly: true }),
    ...(grant.artefact && { artefact: await grant.artefact(ctx, params, client) }),
  })
  await checkTokenProof(ctx, bundle.provider)
  return refusingProofReplay(() => grant.handle(ctx, { params, client, bundle, artefact }))
}
