import * as z from 'zod'
import { constantTimeEqual, sha256Hex } from '../crypto/hash.ts'
import { randomUUID } from '../crypto/random.ts'
import { credentialsArtefact, type CredentialsArtefact, type CredentialsPlan } from '../db/client-credentials-load.ts'
import { issueServiceGrant } from '../db/client-credentials-store.ts'
import type { ApplicationRow, ProviderBundle } from '../db/providers.ts'
import { JWT_BEARER, peekAssertion } from '../oauth/client-assertion.ts'
import { giveBack } from '../oauth/client-attempt.ts'
import type { ClientCredentials } from '../oauth/client-auth.ts'
import { requestedResources, resourceParameter } from '../oauth/resource.ts'
import { issueTokens } from '../tokens/issue.ts'
import { assertionSubject } from './assertion-subject.ts'
import {
  invalidGrant, legacyCredentials, ownerSubject, serviceAccountSubject, type ServiceSubject,
} from './service-subject.ts'
import { defineGrant, type GrantContext, type GrantResult } from './types.ts'

const Parameters = z.object({
  scope: z.string().optional(),
  username: z.string().optional(),
  password: z.string().optional(),
  client_assertion_type: z.string().optional(),
  client_assertion: z.string().optional(),
  client_secret: z.string().optional(),
  ...resourceParameter,
})
type Params = z.infer<typeof Parameters>

/** authentik §4.4's order decides what statement 1 reads: only what the form makes possible. */
async function plan(params: Params, client: ClientCredentials): Promise<CredentialsPlan> {
  if (params.client_assertion_type !== undefined) {
    const assertion = params.client_assertion ?? params.client_secret ?? ''
    const sub = peekAssertion(assertion)?.payload.sub
    const tokenHash = await sha256Hex(assertion)
    return { assertion: { tokenHash, sub: typeof sub === 'string' && sub !== '' ? sub : null } }
  }
  if (params.username !== undefined) {
    return { owner: { username: params.username, keyHash: await sha256Hex(params.password ?? '') } }
  }
  const legacy = legacyCredentials(client.clientSecret)
  // A secret that reads as `user:app_password` is most likely one: reserve no pk for the service account then.
  return { serviceAccount: { reserve: legacy === null },
    ...(legacy && { owner: { username: legacy.username, keyHash: await sha256Hex(legacy.password) } }) }
}

/** authentik `__post_init_client_credentials`, in its order: assertion, username, provider secret, legacy secret. */
async function subjectOf(
  ctx: GrantContext, grantType: string, params: Params, client: ClientCredentials, bundle: ProviderBundle,
  application: ApplicationRow, artefact: CredentialsArtefact,
): Promise<ServiceSubject> {
  if (params.client_assertion_type !== undefined) {
    // RFC 7523 §2.2 client authentication is a client_credentials matter here (authentik §4.5).
    if (grantType !== 'client_credentials') throw invalidGrant('client assertion with the password grant')
    if (params.client_assertion_type !== JWT_BEARER) throw invalidGrant('unknown client_assertion_type')
    return assertionSubject(ctx, params.client_assertion ?? params.client_secret, artefact, application)
  }
  if (params.username !== undefined) return ownerSubject(artefact)
  const secret = await ctx.secrets.open(bundle.provider.clientSecretSealed)
  if (constantTimeEqual(client.clientSecret, secret)) return serviceAccountSubject(ctx, artefact, application)
  if (!legacyCredentials(client.clientSecret)) throw invalidGrant('client secret is neither the provider\'s nor legacy')
  return ownerSubject(artefact)
}

/** authentik §4.1: the requested scopes the provider has mappings for, in the order asked, once each. */
function grantedScopes(bundle: ProviderBundle, scope: string | undefined): string[] {
  const known = new Set(bundle.scopeMappings.map((m) => m.scopeName))
  return [...new Set((scope ?? '').split(/\s+/))].filter((s) => known.has(s))
}

/** authentik `create_client_credentials_response`: sign, then store in statement 2 (see `issueServiceGrant`). */
async function issue(
  ctx: GrantContext, bundle: ProviderBundle, application: ApplicationRow, subject: ServiceSubject, scopes: string[],
  resources: string[] | null,
): Promise<GrantResult> {
  const { provider } = bundle
  const grantId = randomUUID()
  let user = subject.user
  for (let attempt = 0; attempt < 2; attempt++) {
    const tokens = await issueTokens(ctx, { bundle, user, scopes, authTime: ctx.now, amr: [], sid: null, resources },
      { nonce: null, refresh: null })
    const result = await issueServiceGrant(ctx.db, {
      providerId: provider.id, grantId, scope: scopes.join(' '), authTime: ctx.now,
      // The jti (and the DPoP proof's) was recorded by the first attempt.
      account: { ...subject.account, id: user.id },
      access: attempt === 0 ? tokens.access : { ...tokens.access, proofJti: null },
      jti: attempt === 0 ? subject.jti : null,
      event: {
        action: 'login', user: { pk: user.id, username: user.username }, clientId: provider.clientId,
        ...(ctx.clientIp && { clientIp: ctx.clientIp }),
        context: { auth_method: subject.method, ...(subject.methodArgs && { auth_method_args: subject.methodArgs }),
          application: { pk: application.id, name: application.name, slug: application.slug } },
      },
    }, ctx.now, giveBack(ctx))
    if (!result.fresh) throw invalidGrant('client assertion replayed')
    if (result.issued) return { tokens, scope: scopes.join(' ') }
    if (result.userId === null || subject.account.kind === 'existing') throw invalidGrant('user gone or inactive')
    // A concurrent first request created the account with its own pk: sign again for that one.
    user = { ...user, id: result.userId, uuid: result.uuid ?? user.uuid }
  }
  throw invalidGrant('generated account changed concurrently')
}

/** RFC 6749 §4.4 client_credentials and §4.3 password, handled alike (authentik §4.4/§4.5); two statements. */
function credentialsGrant<G extends 'client_credentials' | 'password'>(grantType: G) {
  return defineGrant({
    grantType,
    allowedBy: grantType,
    parameters: Parameters,
    // The client secret is one of the credentials this grant weighs: wrong ones are `invalid_grant`.
    secret: 'grant',
    // RFC 6749 §4.4 (client_credentials) is for confidential clients; §4.3 (password) lets a public client ask.
    confidentialOnly: grantType === 'client_credentials',
    artefact: async (ctx, params, client) => credentialsArtefact(ctx.db, await plan(params, client), ctx.now),
    async handle(ctx, { params, client, bundle, artefact }) {
      const application = bundle.application
      if (!application) throw invalidGrant('provider without application')
      const subject = await subjectOf(ctx, grantType, params, client, bundle, application, artefact ?? {})
      // The application's group restriction (`mayUse` in src/oauth/authorize-flow.ts).
      const groupId = application.groupId
      if (groupId !== null && !subject.user.groups.some((g) => g.id === groupId)) throw invalidGrant('not in group')
      // RFC 8707 §2.2, once the credentials hold: no earlier grant to narrow, so the provider's allowed_resources.
      const resources = requestedResources(params.resource, bundle.provider.allowedResources)
      return issue(ctx, bundle, application, subject, grantedScopes(bundle, params.scope), resources)
    },
  })
}

export const clientCredentialsGrant = credentialsGrant('client_credentials')
export const passwordGrant = credentialsGrant('password')
