import { sql, type SQL } from 'drizzle-orm'
import * as z from 'zod'
import { sha256Base64url, sha256Hex } from '../crypto/hash.ts'
import { codeChecks, codeColumns, codeRead, codeWrites, type CodeRedemption } from '../db/code-redemption.ts'
import { recordEvent } from '../db/events.ts'
import { storedToken } from '../db/token-rows.ts'
import type { ClaimUser } from '../db/user-claims.ts'
import { OAuthError } from '../oauth/errors.ts'
import { isPkceValue } from '../oauth/pkce.ts'
import { isForbiddenScheme, matchRedirectUri } from '../oauth/redirect-uri.ts'
import { resourceParameter, resourceRefused, resourceRequest } from '../oauth/resource.ts'
import { newGrantTokens, signStoredGrant, type NewGrantTokens } from '../tokens/issue.ts'
import { revokeOnReplay } from './replay.ts'
import { defineGrant } from './types.ts'

const invalidGrant = (why: string) => new OAuthError('invalid_grant', undefined, 400, why)

interface Prepared extends CodeRedemption, NewGrantTokens {
  codeSent: boolean
}

const REPLAYED = 'Authorization code was used again'

/** RFC 6749 §4.1.3 / authentik §4.2: exchange an authorization code, in one statement. */
export const authorizationCodeGrant = defineGrant({
  grantType: 'authorization_code',
  allowedBy: 'authorization_code',
  parameters: z.object({ code: z.string().optional(), redirect_uri: z.string().optional(),
    code_verifier: z.string().optional(), ...resourceParameter }),
  secret: 'required',
  async prepare(ctx, params): Promise<Prepared> {
    const verifier = params.code_verifier ?? null
    const verifierValid = verifier !== null && isPkceValue(verifier)
    return {
      ...await newGrantTokens(ctx.dpop),
      codeSent: params.code !== undefined, codeHash: await sha256Hex(params.code ?? ''),
      redirectUri: params.redirect_uri ?? '', verifier, verifierValid,
      s256: verifierValid ? await sha256Base64url(verifier) : null,
      resources: resourceRequest(params.resource), now: ctx.now,
    }
  },
  statement(_ctx, r) {
    const is = codeChecks(r)
    // Each an `invalid_grant` that counts against the address (a guess at codes), but the resources'.
    const check = (name: string, passes: SQL, why: string) =>
      ({ name, passes, counted: true, error: () => invalidGrant(why) })
    return {
      reads: [codeRead(r)],
      checks: [
        check('code_missing', sql`${r.codeSent}::boolean`, 'code missing'),
        check('code_unknown', is.found, 'unknown, expired or foreign code'),
        check('code_replayed', is.unconsumed, 'code replayed'),
        check('redirect_mismatch', is.redirect, 'redirect_uri differs from the authorization request'),
        check('pkce', is.pkce, 'PKCE: no verifier, a verifier without a challenge, or a wrong one'),
        check('user_inactive', is.active, 'inactive user'),
        { name: 'resource', passes: is.resources, error: resourceRefused },
      ],
      writes: (passed) => codeWrites(r, passed),
      columns: codeColumns,
    }
  },
  async precheck(ctx, { bundle }, r) {
    // authentik §4.2 step 2: the redirect URI must be one of the provider's (else `invalid_client` and a
    // configuration_error event) and no script URI. Its regex entries match as JavaScript does, so this check
    // follows the statement; a code it consumed then was issued to a URI that was registered at authorize and has
    // been removed since, and its tokens are not sent (harmless: nobody holds them).
    const { provider } = bundle
    if (!matchRedirectUri(provider.redirectUris, r.redirectUri, 'authorization')) {
      await recordEvent(ctx.db, {
        action: 'configuration_error', clientId: provider.clientId, ...(ctx.clientIp && { clientIp: ctx.clientIp }),
        context: { message: 'Invalid redirect uri', provider: { pk: provider.id, name: provider.name } },
      }, ctx.now)
      throw new OAuthError('invalid_client', undefined, 400, 'redirect_uri matches none of the provider')
    }
    if (isForbiddenScheme(r.redirectUri)) throw new OAuthError('invalid_request', undefined, 400, 'forbidden scheme')
  },
  async failed(ctx, failure) {
    if (failure.outcome === 'code_replayed') await revokeOnReplay(ctx, failure.answer, REPLAYED)
  },
  async answer(ctx, answer, r) {
    const { bundle, row } = answer
    const access = storedToken(row.access)
    if (!access) {
      // Another request consumed the code between this statement's read and its write: a replay all the same.
      await revokeOnReplay(ctx, answer, REPLAYED)
      throw invalidGrant('code redeemed concurrently')
    }
    const scopes = String(row.scope).split(' ').filter((s) => s !== '')
    const tokens = await signStoredGrant(ctx, {
      bundle, user: row.user as ClaimUser, scopes,
      access: { jti: r.accessJti, stored: access, audience: row.audience as string[] | null },
      refresh: storedToken(row.refresh) ? r.refreshValue : null,
    })
    return { tokens, scope: scopes.join(' ') }
  },
})
