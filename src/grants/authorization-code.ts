import * as z from 'zod'
import { constantTimeEqual, sha256Base64url, sha256Hex } from '../crypto/hash.ts'
import { recordEvent, type NewEvent } from '../db/events.ts'
import { codeArtefact, redeemCode, revokeFamily, type CodeGrant } from '../db/grant-store.ts'
import type { ProviderBundle } from '../db/providers.ts'
import { giveBack } from '../oauth/client-attempt.ts'
import { OAuthError } from '../oauth/errors.ts'
import { isPkceValue } from '../oauth/pkce.ts'
import { isForbiddenScheme, matchRedirectUri } from '../oauth/redirect-uri.ts'
import { grantedAudience, resourceParameter } from '../oauth/resource.ts'
import { issueTokens } from '../tokens/issue.ts'
import { defineGrant, type GrantContext } from './types.ts'

const invalidGrant = (why: string) => new OAuthError('invalid_grant', undefined, 400, why)

/**
 * authentik §4.2 step 2: the redirect URI must be one of the provider's (else `invalid_client` and a
 * configuration_error event, as authentik answers) and not a script URI.
 */
async function checkRedirectUri(ctx: GrantContext, bundle: ProviderBundle, redirectUri: string): Promise<void> {
  const { provider } = bundle
  if (!matchRedirectUri(provider.redirectUris, redirectUri, 'authorization')) {
    await recordEvent(ctx.db, {
      action: 'configuration_error', clientId: provider.clientId, ...(ctx.clientIp && { clientIp: ctx.clientIp }),
      context: { message: 'Invalid redirect uri', provider: { pk: provider.id, name: provider.name } },
    }, ctx.now)
    throw new OAuthError('invalid_client', undefined, 400, 'redirect_uri matches none of the provider')
  }
  if (isForbiddenScheme(redirectUri)) throw new OAuthError('invalid_request', undefined, 400, 'forbidden scheme')
}

/**
 * RFC 7636 §4.6 (authentik §4.2 step 4): a challenge needs its verifier; a verifier without a challenge is a
 * downgrade. Safer than authentik: a public client's code must have a challenge (RFC 9700 §2.1.1).
 */
async function checkPkce(bundle: ProviderBundle, code: CodeGrant, verifier: string | undefined): Promise<void> {
  if (code.codeChallenge === null) {
    if (verifier !== undefined) throw invalidGrant('code_verifier without code_challenge')
    if (bundle.provider.clientType === 'public') throw invalidGrant('public client without PKCE')
    return
  }
  if (verifier === undefined) throw invalidGrant('code_challenge without code_verifier')
  if (!isPkceValue(verifier)) throw invalidGrant('code_verifier is not 43-128 unreserved characters (RFC 7636 §4.1)')
  const computed = code.codeChallengeMethod === 'S256' ? await sha256Base64url(verifier) : verifier
  if (!constantTimeEqual(computed, code.codeChallenge)) throw invalidGrant('code_verifier does not match')
}

function replayEvent(ctx: GrantContext, bundle: ProviderBundle, code: CodeGrant, message: string): NewEvent {
  const { provider } = bundle
  return {
    action: 'suspicious_request', clientId: provider.clientId, ...(ctx.clientIp && { clientIp: ctx.clientIp }),
    ...(code.user && { user: { pk: code.user.id, username: code.user.username } }),
    context: { message, provider: { pk: provider.id, name: provider.name }, grant_id: code.grantId },
  }
}

/** RFC 6749 §4.1.3 / authentik §4.2: exchange an authorization code; two statements on success. */
export const authorizationCodeGrant = defineGrant({
  grantType: 'authorization_code',
  allowedBy: 'authorization_code',
  parameters: z.object({ code: z.string().optional(), redirect_uri: z.string().optional(),
    code_verifier: z.string().optional(), ...resourceParameter }),
  secret: 'required',
  artefact: async (ctx, params) => codeArtefact(ctx.db, await sha256Hex(params.code ?? ''), ctx.now),
  async handle(ctx, { params, bundle, artefact: code }) {
    if (!params.code) throw invalidGrant('code missing')
    const redirectUri = params.redirect_uri ?? ''
    await checkRedirectUri(ctx, bundle, redirectUri)
    if (!code) throw invalidGrant('unknown, expired or foreign code')
    const family = { providerId: bundle.provider.id, grantId: code.grantId }
    if (code.consumed) {
      await revokeFamily(ctx.db, family, replayEvent(ctx, bundle, code, 'Authorization code was used again'), ctx.now)
      throw invalidGrant('code replayed')
    }
    // RFC 6749 §4.1.3: the exact redirect URI the code was issued to (authentik does not check this).
    if (redirectUri !== code.redirectUri) throw invalidGrant('redirect_uri differs from the authorization request')
    await checkPkce(bundle, code, params.code_verifier)
    if (!code.user?.isActive) throw invalidGrant('inactive user')
    // RFC 8707 §2.2: a subset of the code's resources; the refresh token keeps them all (copied from the code).
    const resources = grantedAudience(params.resource, code.resources, bundle.provider.allowedResources)

    const scopes = code.scope.split(' ').filter((s) => s !== '')
    const tokens = await issueTokens(ctx, {
      bundle, user: code.user, scopes, authTime: code.authTime,
      amr: code.session?.amr ?? [], sid: code.session?.sid ?? null, resources,
    }, { nonce: code.nonce, refresh: scopes.includes('offline_access') ? { nonce: code.nonce } : null })
    if (!(await redeemCode(ctx.db, code.id, ctx.now, tokens.access, tokens.refresh, giveBack(ctx)))) {
      // Another request redeemed it between our two statements: a replay all the same.
      await revokeFamily(ctx.db, family, replayEvent(ctx, bundle, code, 'Authorization code was used again'), ctx.now)
      throw invalidGrant('code redeemed concurrently')
    }
    return { tokens, scope: scopes.join(' ') }
  },
})
