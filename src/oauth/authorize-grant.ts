import { sha256Hex } from '../crypto/hash.ts'
import { randomId, randomUUID } from '../crypto/random.ts'
import type { Db } from '../db/client.ts'
import { issueAuthorizationWith, type ConsentClause } from '../db/codes.ts'
import type { PushedUse } from '../db/pushed-requests.ts'
import type { ActiveSession } from '../db/sessions.ts'
import { issueFrontChannelTokens, type FrontChannelTokens } from '../tokens/front-channel.ts'
import type { IssueContext } from '../tokens/issue.ts'
import { IMPLICIT_CONSENT } from './authorize-flow.ts'
import type { AuthorizeRequest, TrustedBundle } from './authorize-request.ts'

/** How consent takes part in issuing: checked, just given (remembered unless the flow never asks), or not at all. */
export type ConsentMode = 'required' | 'given' | 'none'

export interface AuthorizationOptions {
  bundle: TrustedBundle
  request: AuthorizeRequest
  session: ActiveSession
  consent: ConsentMode
  clientIp: string | null
  /** RFC 9126: the pushed request this authorization comes from, consumed as it is issued (else continued). */
  pushed?: PushedUse | null
}

/**
 * RFC 6749 §4.1.2 / §4.2.2, OIDC Core §3.2.2.5 / §3.3.2.5: issue what the response type returns for the session's
 * user. The code, the access token (session bound, in the code's grant family, so a replayed code revokes it too),
 * the consent and the `authorize_application` event are written in one statement. The response values in
 * authentik's order (access_token, id_token, code, token_type, expires_in), or null when a required consent is
 * missing (nothing written then).
 */
export async function issueAuthorization(db: Db, ctx: IssueContext, options: AuthorizationOptions):
  Promise<Array<[string, string]> | null> {
  const { bundle, request, session } = options
  const { provider, application } = bundle
  const { returns } = request
  const code = returns.code ? randomId(48) : null
  const tokens = returns.idToken || returns.accessToken
    ? await issueFrontChannelTokens(ctx, {
      bundle, user: session.user, scopes: request.scopes, authTime: session.loginTime, amr: session.amr,
      sid: session.sessionKeyHash, resources: request.resources ?? null,
    }, { nonce: request.nonce, code, idToken: returns.idToken, accessToken: returns.accessToken })
    : null

  const subject = { userId: session.user.id, applicationId: application.id, scopes: request.scopes }
  const consent: ConsentClause = options.consent === 'required' ? { kind: 'required', subject }
    : options.consent === 'given' && provider.authorizationFlow !== IMPLICIT_CONSENT
      ? { kind: 'grant', subject, expires: null } : { kind: 'none' }
  const issued = await issueAuthorizationWith(db, {
    grant: {
      providerId: provider.id, userId: session.user.id, grantId: randomUUID(), scope: request.scopes.join(' '),
      authTime: session.loginTime, sessionId: session.id,
    },
    code: code === null ? null : {
      codeHash: await sha256Hex(code),
      redirectUri: request.redirectUri,
      nonce: request.nonce,
      codeChallenge: request.codeChallenge,
      codeChallengeMethod: request.codeChallengeMethod,
      expires: new Date(ctx.now.getTime() + provider.accessCodeValidityMs),
      resources: request.resources,
    },
    access: tokens?.access ?? null,
    pushed: options.pushed ?? null,
  }, {
    action: 'authorize_application',
    user: { pk: session.user.id, username: session.user.username },
    clientId: provider.clientId,
    context: {
      authorized_application: { pk: application.id, name: application.name, slug: application.slug },
      scopes: request.scopes.join(' '),
    },
    ...(options.clientIp !== null && { clientIp: options.clientIp }),
  }, consent, ctx.now)
  if (!issued) return null
  return responseValues(code, tokens)
}

/** authentik's order of an authorization response's values: access_token, id_token, code, token_type, expires_in. */
export function responseValues(code: string | null, tokens: FrontChannelTokens | null): Array<[string, string]> {
  const values: Array<[string, string]> = []
  if (tokens?.access) values.push(['access_token', tokens.access.jwt])
  if (tokens?.idToken) values.push(['id_token', tokens.idToken])
  if (code !== null) values.push(['code', code])
  if (tokens) values.push(['token_type', 'Bearer'], ['expires_in', String(tokens.expiresIn)])
  return values
}
