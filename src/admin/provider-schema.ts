import * as z from 'zod'
import type { ProviderRecord, ProviderRow } from '../db/provider-store.ts'
import { ACCESS_TOKEN_FORMATS, GRANT_TYPES } from '../db/schema.ts'
import { durationProblem } from '../oauth/duration.ts'
import { IMPLICIT_CONSENT } from '../oauth/authorize-flow.ts'
import { RedirectURISchema, registeredRedirectUriError } from '../oauth/redirect-uri.ts'

/** Python's name for the type of a JSON value, as DRF words its type errors. */
export function pyType(value: unknown): string {
  if (value === null) return 'NoneType'
  if (Array.isArray(value)) return 'list'
  if (typeof value === 'number') return Number.isInteger(value) ? 'int' : 'float'
  return ({ string: 'str', boolean: 'bool', object: 'dict' } as Record<string, string>)[typeof value] ?? typeof value
}

type Issue = { input?: unknown }
const typed = (expected: string) => (iss: Issue) => (iss.input === null ? 'This field may not be null.' : expected)
export const maxLength = (n: number) => `Ensure this field has no more than ${n} characters.`

/**
 * The longest unique name (providers, applications, groups, scope mappings, sources, key pairs), as authentik's
 * `CharField(max_length=255)`s: a longer one would not fit the unique index's entry (about 2.7 kB).
 */
export const MAX_NAME_LENGTH = 255

export const str = () => z.string({ error: typed('Not a valid string.') })
export const nonBlank = () => str().trim().min(1, 'This field may not be blank.')
/** A unique name: not blank, at most {@link MAX_NAME_LENGTH} characters. */
export const uniqueName = () => nonBlank().max(MAX_NAME_LENGTH, maxLength(MAX_NAME_LENGTH))
export const bool = () => z.boolean({ error: typed('Must be a valid boolean.') })
export const list = <T extends z.ZodType>(item: T) =>
  z.array(item, { error: (iss: Issue) => `Expected a list of items but got type "${pyType(iss.input)}".` })
const pkType = (iss: Issue) => `Incorrect type. Expected pk value, received ${pyType(iss.input)}.`
/**
 * A reference by uuid or integer pk; whether it exists is checked against the database. `custom` issues, because
 * the admin framework words `invalid_type` issues as "required" (zod 4 leaves the input out of its issues).
 */
export const uuidRef = () => z.custom<string>((v) => typeof v === 'string', { error: pkType }).meta({ type: 'string' })
export const intRef = () => z.custom<number>((v) => Number.isSafeInteger(v), { error: pkType }).meta({ type: 'integer' })
/** A nullable text reference (flows): blank means none. */
const optionalRef = () => str().nullable().transform((v) => (v === '' ? null : v))

const duration = () => str().superRefine((value, ctx) => {
  const problem = durationProblem(value)
  if (problem) ctx.addIssue({ code: 'custom', message: problem })
})

/** RFC 8707 §2: a resource indicator is an absolute URI without a fragment. */
export function isResourceIndicator(v: string): boolean {
  if (!URL.canParse(v)) return false
  const u = new URL(v)
  return u.hash === '' && !v.includes('#') && /^[a-z][a-z0-9+.-]*:/i.test(v)
}

const url = (v: string) => {
  try {
    const u = new URL(v)
    return (u.protocol === 'http:' || u.protocol === 'https:') && u.hostname !== ''
  } catch {
    return false
  }
}

/** The flows of authentik's default blueprints (src/demo.ts uses them); there are no others here. */
export const AUTHORIZATION_FLOWS: readonly string[] = [IMPLICIT_CONSENT, 'default-provider-authorization-explicit-consent']
export const INVALIDATION_FLOWS: readonly string[] = ['default-provider-invalidation-flow', 'default-invalidation-flow']

/** DRF's `SlugRelatedField` message for a slug that names no object. */
const noSuchSlug = (slug: unknown) => `Object with slug=${String(slug)} does not exist.`
const flow = (known: readonly string[]) => (v: string | null) => v === null || known.includes(v)

/** `RedirectURISchema` with DRF's wording for a bad choice. */
const RedirectURIInput = z.object({
  matching_mode: z.enum(['strict', 'regex']).default('strict'),
  url: str(),
  redirect_uri_type: z.enum(['authorization', 'logout']).default('authorization'),
})

/** authentik `OAuth2ProviderSerializer` input; every field but `name` and `authorization_flow` is optional. */
export const ProviderInput = z.object({
  name: uniqueName(),
  authorization_flow: nonBlank().refine(flow(AUTHORIZATION_FLOWS), { error: (iss) => noSuchSlug(iss.input) }),
  authentication_flow: optionalRef().optional(),
  invalidation_flow: optionalRef().refine(flow(INVALIDATION_FLOWS), { error: (iss) => noSuchSlug(iss.input) })
    .optional(),
  property_mappings: list(uuidRef()).optional(),
  client_type: z.enum(['confidential', 'public']).optional(),
  client_id: nonBlank().max(255, maxLength(255)).optional(),
  client_secret: str().max(255, maxLength(255))
    // eslint-disable-next-line no-control-regex
    .refine((v) => /^[\x00-\x7f]*$/.test(v), 'Client secret must consist of only ASCII characters.').optional(),
  access_code_validity: duration().optional(),
  access_token_validity: duration().optional(),
  refresh_token_validity: duration().optional(),
  refresh_token_threshold: duration().optional(),
  include_claims_in_id_token: bool().optional(),
  signing_key: uuidRef().nullable().optional(),
  encryption_key: uuidRef().nullable().optional(),
  redirect_uris: list(RedirectURIInput).superRefine((entries, ctx) => {
    for (const entry of entries) {
      const message = registeredRedirectUriError(entry)
      if (message) ctx.addIssue({ code: 'custom', message })
    }
  }).optional(),
  logout_uri: str().refine((v) => v === '' || url(v), 'Enter a valid URL.').optional(),
  logout_method: z.enum(['backchannel', 'frontchannel']).optional(),
  sub_mode: z.enum(['hashed_user_id', 'user_id', 'user_uuid', 'user_username', 'user_email', 'user_upn']).optional(),
  issuer_mode: z.enum(['global', 'per_provider']).optional(),
  jwt_federation_sources: list(uuidRef()).optional(),
  jwt_federation_providers: list(intRef()).optional(),
  grant_types: list(z.enum(GRANT_TYPES)).refine((v) => new Set(v).size === v.length, 'Duplicate grant types are not allowed.')
    .optional(),
  // Past authentik (issue 10); see the README's sections on DPoP, PAR, resource indicators and key rotation.
  dpop_bound_access_tokens: bool().optional(),
  dpop_require_nonce: bool().optional(),
  require_pushed_authorization_requests: bool().optional(),
  access_token_format: z.enum(ACCESS_TOKEN_FORMATS).optional(),
  allowed_resources: list(str().refine(isResourceIndicator, 'Enter an absolute URI without a fragment.')).optional(),
  next_signing_key: uuidRef().nullable().optional(),
  signing_key_rotation: duration().nullable().transform((v) => (v === '' ? null : v)).optional(),
  refresh_token_reuse_interval: duration().optional(),
})
export type ProviderInputData = z.output<typeof ProviderInput>

/** authentik `ProviderSerializer`: what every provider shows, also as an application's `provider_obj`. */
export const ProviderBaseOutput = z.object({
  pk: z.int(),
  name: z.string(),
  authentication_flow: z.string().nullable(),
  authorization_flow: z.string(),
  invalidation_flow: z.string().nullable(),
  property_mappings: z.array(z.uuid()),
  component: z.string(),
  assigned_application_slug: z.string().nullable(),
  assigned_application_name: z.string().nullable(),
  verbose_name: z.string(),
  verbose_name_plural: z.string(),
  meta_model_name: z.string(),
})
export type ProviderBaseOut = z.output<typeof ProviderBaseOutput>

export const ProviderOutput = ProviderBaseOutput.extend({
  client_type: z.enum(['confidential', 'public']),
  client_id: z.string(),
  client_secret: z.string(),
  access_code_validity: z.string(),
  access_token_validity: z.string(),
  refresh_token_validity: z.string(),
  refresh_token_threshold: z.string(),
  include_claims_in_id_token: z.boolean(),
  signing_key: z.uuid().nullable(),
  encryption_key: z.uuid().nullable(),
  redirect_uris: z.array(RedirectURISchema),
  logout_uri: z.string(),
  logout_method: z.enum(['backchannel', 'frontchannel']),
  sub_mode: z.string(),
  issuer_mode: z.enum(['global', 'per_provider']),
  jwt_federation_sources: z.array(z.uuid()),
  jwt_federation_providers: z.array(z.int()),
  grant_types: z.array(z.enum(GRANT_TYPES)),
  dpop_bound_access_tokens: z.boolean(),
  dpop_require_nonce: z.boolean(),
  require_pushed_authorization_requests: z.boolean(),
  access_token_format: z.enum(ACCESS_TOKEN_FORMATS),
  allowed_resources: z.array(z.string()),
  next_signing_key: z.uuid().nullable(),
  /** Read only: when `next_signing_key` was set; it may sign from twice METADATA_CACHE_SECONDS after. */
  next_signing_key_published: z.iso.datetime({ offset: true }).nullable(),
  /** Read only: the key the last rotation replaced, published in JWKS until `previous_signing_key_expires`. */
  previous_signing_key: z.uuid().nullable(),
  previous_signing_key_expires: z.iso.datetime({ offset: true }).nullable(),
  signing_key_rotation: z.string().nullable(),
  signing_key_rotated: z.iso.datetime({ offset: true }).nullable(),
  refresh_token_reuse_interval: z.string(),
})
export type ProviderOut = z.output<typeof ProviderOutput>

/** The base provider object; `application` is the application it is assigned to. */
export function providerBaseToApi(
  p: ProviderRow, scopeMappingIds: string[], application: { slug: string; name: string } | null,
): ProviderBaseOut {
  return {
    pk: p.id, name: p.name, authentication_flow: p.authenticationFlow, authorization_flow: p.authorizationFlow,
    invalidation_flow: p.invalidationFlow, property_mappings: scopeMappingIds, component: 'ak-provider-oauth2-form',
    assigned_application_slug: application?.slug ?? null, assigned_application_name: application?.name ?? null,
    verbose_name: 'OAuth2/OpenID Provider', verbose_name_plural: 'OAuth2/OpenID Providers',
    meta_model_name: 'authentik_providers_oauth2.oauth2provider',
  }
}

/** The full provider object; the client secret is shown opened, as authentik does. */
export function providerToApi(r: ProviderRecord, clientSecret: string): ProviderOut {
  return {
    ...providerBaseToApi(r, r.scopeMappingIds, r.application),
    client_type: r.clientType, client_id: r.clientId, client_secret: clientSecret,
    access_code_validity: r.accessCodeValidity, access_token_validity: r.accessTokenValidity,
    refresh_token_validity: r.refreshTokenValidity, refresh_token_threshold: r.refreshTokenThreshold,
    include_claims_in_id_token: r.includeClaimsInIdToken, signing_key: r.signingKeyId, encryption_key: r.encryptionKeyId,
    redirect_uris: r.redirectUris.map((e) => ({
      matching_mode: e.matching_mode, url: e.url, redirect_uri_type: e.redirect_uri_type ?? 'authorization',
    })),
    logout_uri: r.logoutUri, logout_method: r.logoutMethod, sub_mode: r.subMode, issuer_mode: r.issuerMode,
    jwt_federation_sources: r.federationSourceIds, jwt_federation_providers: r.federationProviderIds,
    grant_types: r.grantTypes,
    dpop_bound_access_tokens: r.dpopBoundAccessTokens, dpop_require_nonce: r.dpopRequireNonce,
    require_pushed_authorization_requests: r.requirePushedAuthorizationRequests,
    access_token_format: r.accessTokenFormat, allowed_resources: r.allowedResources,
    next_signing_key: r.nextSigningKeyId,
    next_signing_key_published: r.nextSigningKeyPublished?.toISOString() ?? null, previous_signing_key: r.previousSigningKeyId,
    previous_signing_key_expires: r.previousSigningKeyExpires?.toISOString() ?? null,
    signing_key_rotation: r.signingKeyRotation, signing_key_rotated: r.signingKeyRotated?.toISOString() ?? null,
    refresh_token_reuse_interval: r.refreshTokenReuseInterval,
  }
}
