import { sql } from 'drizzle-orm'
import { proofJtiParts } from '../db/proof-jti.ts'
import type { ClientCredentials } from '../oauth/client-auth.ts'
import { CheckFailed, clientStatement, type RequestCheck } from '../oauth/client-request.ts'
import { OAuthError } from '../oauth/errors.ts'
import type { Grant, GrantContext, GrantResult } from './types.ts'

/**
 * The checks every grant makes after the client's and before its own (node-oidc-provider's token action): the
 * provider allows the grant (RFC 6749 §5.2 `unauthorized_client`, where authentik answers `invalid_grant`), and a
 * public client none that is for confidential ones; then the provider's DPoP rules (RFC 9449 §5, §8).
 */
async function sharedChecks<P, S>(grant: Grant<P, S>, ctx: GrantContext): Promise<RequestCheck[]> {
  const proof = ctx.dpop ?? null
  const nonceOk = proof !== null && proof.nonce !== null && ctx.dpopNonces !== undefined
    && await ctx.dpopNonces.accepts(proof.nonce, ctx.now)
  const checks: RequestCheck[] = [{
    name: 'grant_not_allowed', passes: sql`p.grant_types @> jsonb_build_array(${grant.allowedBy}::text)`,
    error: () => new OAuthError('unauthorized_client', 'The client is not authorized to use this grant type', 400,
      'grant_type_not_configured'),
  }]
  if (grant.confidentialOnly) {
    // RFC 6749 §4.4.2 (authentik lets a public client use it with its provider's secret, which the admin API shows).
    checks.push({ name: 'public_client', passes: sql`p.client_type = 'confidential'`,
      error: () => new OAuthError('unauthorized_client', 'A public client cannot use this grant type', 400, 'public client') })
  }
  checks.push({
    name: 'dpop_required', passes: sql`(not p.dpop_bound_access_tokens or ${proof !== null}::boolean)`,
    error: () => new OAuthError('invalid_dpop_proof', 'DPoP proof JWT not provided', 400, 'provider requires DPoP'),
  }, {
    name: 'dpop_nonce', passes: sql`(not p.dpop_require_nonce or ${nonceOk}::boolean)`,
    error: () => new OAuthError('use_dpop_nonce', 'Authorization server requires nonce in DPoP proof', 400,
      proof?.nonce ? 'unknown or expired nonce' : 'no nonce'),
  })
  return checks
}

/**
 * A token request (RFC 6749 §3.2) in three steps: its parameters and what the grant computes from them alone;
 * the one statement (the client, the shared checks and the grant's, the brute-force counters, the writes, the
 * DPoP proof's `jti`); then the grant's answer, signed. A failed check answers its error, after what the grant
 * leaves to do on it (`failed`); a replayed proof is `invalid_dpop_proof` (RFC 9449 §11.1) and writes nothing.
 */
export async function runGrant<P, S>(
  grant: Grant<P, S>, ctx: GrantContext, form: ReadonlyMap<string, string>, client: ClientCredentials,
  repeated: ReadonlyMap<string, readonly string[]> = new Map(),
): Promise<GrantResult> {
  // A repeatable parameter (RFC 8707 `resource`) reaches the schema as the list of its values.
  const parsed = grant.parameters.safeParse({ ...Object.fromEntries(form), ...Object.fromEntries(repeated) })
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    throw new OAuthError('invalid_request', `${issue?.path.join('.') || 'request'}: ${issue?.message ?? 'invalid'}`)
  }
  const shared = await sharedChecks(grant, ctx)
  let prepared: S | null = await grant.prepare(ctx, parsed.data, client)
  for (;;) {
    const result: GrantResult | CheckFailed<Record<string, unknown>> =
      await runStatement(grant, ctx, client, shared, prepared)
    if (!(result instanceof CheckFailed)) return result
    const next: S | null = await grant.followUp?.(ctx, result, prepared) ?? null
    if (next === null) {
      await grant.failed?.(ctx, result, prepared)
      throw result.error
    }
    prepared = next
  }
}

/** One statement of `grant` and its answer; a failed check that the grant may follow up is returned. */
async function runStatement<P, S>(grant: Grant<P, S>, ctx: GrantContext, client: ClientCredentials,
  shared: RequestCheck[], prepared: S): Promise<GrantResult | CheckFailed<Record<string, unknown>>> {
  const own = grant.statement(ctx, prepared)
  try {
    const answer = await clientStatement<Record<string, unknown>>(ctx, client, {
      secret: grant.secret,
      reads: own.reads ?? [],
      checks: [...shared, ...own.checks ?? []],
      wrongSecret: own.wrongSecret ?? [],
      writes: (passed) => {
        // RFC 9449 §11.1: the proof's `jti` is recorded by this statement, and gates its writes.
        const proof = proofJtiParts(ctx.dpop?.jti, ctx.now, passed)
        return [...(proof.insert ? [proof.insert] : []), ...own.writes(sql`(${passed} and ${proof.gate})`)]
      },
      columns: [...own.columns, ctx.dpop ? sql`exists (select 1 from dpop_jti) as proof_fresh` : sql`null as proof_fresh`],
    })
    await grant.precheck?.(ctx, answer, prepared)
    if (answer.row.proof_fresh === false) {
      throw new OAuthError('invalid_dpop_proof', 'DPoP proof JWT replay detected', 400, 'jti seen before')
    }
    return await grant.answer(ctx, answer, prepared)
  } catch (err) {
    if (!(err instanceof CheckFailed)) throw err
    if (shared.some((c) => c.name === err.outcome)) throw err.error
    await grant.precheck?.(ctx, err.answer, prepared)
    if (grant.followUp) return err
    await grant.failed?.(ctx, err, prepared)
    throw err.error
  }
}
