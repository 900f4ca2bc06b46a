import {
  bigint, boolean, index, integer, jsonb, pgTable, primaryKey, serial, text, timestamp, uuid,
} from 'drizzle-orm/pg-core'
import { groups } from './core.ts'

const created = () => timestamp('created', { withTimezone: true, mode: 'date' }).notNull().defaultNow()

export type RedirectURI = {
  matching_mode: 'strict' | 'regex'
  url: string
  redirect_uri_type: 'authorization' | 'logout'
}

export const GRANT_TYPES = [
  'authorization_code', 'implicit', 'hybrid', 'refresh_token', 'client_credentials', 'password', 'device_code',
] as const
export type GrantType = (typeof GRANT_TYPES)[number]

export const ACCESS_TOKEN_FORMATS = ['authentik', 'rfc9068'] as const
export type AccessTokenFormat = (typeof ACCESS_TOKEN_FORMATS)[number]

/** A scope mapping's expression: claim name to a value source. Declarative, never evaluated as code. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue }
export type ClaimSource =
  | { path: string }
  | { value: JsonValue }
export type ScopeExpression = Record<string, ClaimSource>

/** authentik `CertificateKeyPair`; the private key is sealed with the key derived from `SECRET_KEY`. */
export const keyPairs = pgTable('key_pairs', {
  id: uuid('id').primaryKey().defaultRandom(),
  name: text('name').notNull().unique(),
  certificateData: text('certificate_data').notNull(),
  keyDataSealed: text('key_data_sealed'),
  kid: text('kid').notNull(),
  keyType: text('key_type').$type<'rsa' | 'ecdsa'>().notNull(),
  keySize: integer('key_size').notNull(),
  fingerprintSha256: text('fingerprint_sha256').notNull(),
  fingerprintSha1: text('fingerprint_sha1').notNull(),
  certSubject: text('cert_subject').notNull(),
  certExpiry: timestamp('cert_expiry', { withTimezone: true, mode: 'date' }).notNull(),
  managed: text('managed').unique(),
  created: created(),
})

/** authentik `ScopeMapping` (a `PropertyMapping`). */
export const scopeMappings = pgTable('scope_mappings', {
  id: uuid('id').primaryKey().defaultRandom(),
  name: text('name').notNull().unique(),
  managed: text('managed').unique(),
  scopeName: text('scope_name').notNull(),
  description: text('description').notNull().default(''),
  expression: jsonb('expression').$type<ScopeExpression>().notNull().default({}),
  created: created(),
})

/** authentik `OAuthSource`, reduced to what JWT client assertions need: its JWKS. */
export const oauthSources = pgTable('oauth_sources', {
  id: uuid('id').primaryKey().defaultRandom(),
  name: text('name').notNull().unique(),
  slug: text('slug').notNull().unique(),
  enabled: boolean('enabled').notNull().default(true),
  oidcJwks: jsonb('oidc_jwks').$type<{ keys?: unknown[] }>().notNull().default({}),
  oidcJwksUrl: text('oidc_jwks_url').notNull().default(''),
  created: created(),
})

/** authentik `OAuth2Provider`; the client secret is sealed at rest because HS256 needs it back. */
export const providers = pgTable('oauth2_providers', {
  id: serial('id').primaryKey(),
  name: text('name').notNull().unique(),
  authorizationFlow: text('authorization_flow').notNull(),
  authenticationFlow: text('authentication_flow'),
  invalidationFlow: text('invalidation_flow'),
  clientType: text('client_type').$type<'confidential' | 'public'>().notNull().default('confidential'),
  clientId: text('client_id').notNull().unique(),
  clientSecretSealed: text('client_secret_sealed').notNull(),
  /**
   * The secret's keyed hash (HMAC under a key derived from SECRET_KEY, src/oauth/client-secret.ts), so that a token
   * request compares secrets inside its one statement; null for a secret stored before it, filled on its next use.
   */
  clientSecretHash: text('client_secret_hash'),
  redirectUris: jsonb('redirect_uris').$type<RedirectURI[]>().notNull().default([]),
  logoutUri: text('logout_uri').notNull().default(''),
  logoutMethod: text('logout_method').$type<'backchannel' | 'frontchannel'>().notNull().default('backchannel'),
  includeClaimsInIdToken: boolean('include_claims_in_id_token').notNull().default(true),
  accessCodeValidity: text('access_code_validity').notNull().default('minutes=1'),
  accessTokenValidity: text('access_token_validity').notNull().default('hours=1'),
  refreshTokenValidity: text('refresh_token_validity').notNull().default('days=30'),
  refreshTokenThreshold: text('refresh_token_threshold').notNull().default('seconds=0'),
  /**
   * The durations above as milliseconds (src/oauth/duration.ts `parseDuration`, written with them by
   * src/db/provider-store.ts), so that a token request's one statement computes expiries itself.
   */
  accessCodeValidityMs: bigint('access_code_validity_ms', { mode: 'number' }).notNull().default(60_000),
  accessTokenValidityMs: bigint('access_token_validity_ms', { mode: 'number' }).notNull().default(3_600_000),
  refreshTokenValidityMs: bigint('refresh_token_validity_ms', { mode: 'number' }).notNull().default(2_592_000_000),
  refreshTokenThresholdMs: bigint('refresh_token_threshold_ms', { mode: 'number' }).notNull().default(0),
  subMode: text('sub_mode').notNull().default('hashed_user_id'),
  issuerMode: text('issuer_mode').$type<'global' | 'per_provider'>().notNull().default('per_provider'),
  signingKeyId: uuid('signing_key_id').references(() => keyPairs.id, { onDelete: 'set null' }),
  encryptionKeyId: uuid('encryption_key_id').references(() => keyPairs.id, { onDelete: 'set null' }),
  grantTypes: jsonb('grant_types').$type<GrantType[]>().notNull(),
  // Past authentik (issue 10). DPoP (RFC 9449): require proofs at the token endpoint, and server nonces.
  dpopBoundAccessTokens: boolean('dpop_bound_access_tokens').notNull().default(false),
  dpopRequireNonce: boolean('dpop_require_nonce').notNull().default(false),
  /** RFC 9126 §5: authorization requests only by `request_uri` from the PAR endpoint. */
  requirePushedAuthorizationRequests: boolean('require_pushed_authorization_requests').notNull().default(false),
  /** `authentik` (its access token claims) or `rfc9068` (JWT access tokens for resource servers, `typ: at+jwt`). */
  accessTokenFormat: text('access_token_format').$type<AccessTokenFormat>().notNull().default('authentik'),
  /** RFC 8707: the resource indicators (absolute URIs) clients may ask access tokens for. */
  allowedResources: jsonb('allowed_resources').$type<string[]>().notNull().default([]),
  /** Key rotation: the key published ahead of use, and the one it replaced, kept in JWKS until `expires`. */
  nextSigningKeyId: uuid('next_signing_key_id').references(() => keyPairs.id, { onDelete: 'set null' }),
  /** When `next_signing_key_id` was last set: the lead time before it may sign counts from here. */
  nextSigningKeyPublished: timestamp('next_signing_key_published', { withTimezone: true, mode: 'date' }),
  previousSigningKeyId: uuid('previous_signing_key_id').references(() => keyPairs.id, { onDelete: 'set null' }),
  previousSigningKeyExpires: timestamp('previous_signing_key_expires', { withTimezone: true, mode: 'date' }),
  /** Automatic rotation period (a duration; null: off) and when the active key last became active. */
  signingKeyRotation: text('signing_key_rotation'),
  signingKeyRotated: timestamp('signing_key_rotated', { withTimezone: true, mode: 'date' }),
  /** The refresh retry window (Hydra's grace period): `seconds=0` is off. */
  refreshTokenReuseInterval: text('refresh_token_reuse_interval').notNull().default('seconds=0'),
  refreshTokenReuseIntervalMs: bigint('refresh_token_reuse_interval_ms', { mode: 'number' }).notNull().default(0),
  created: created(),
}, (t) => [index('oauth2_providers_signing_key_idx').on(t.signingKeyId),
  index('oauth2_providers_encryption_key_idx').on(t.encryptionKeyId),
  index('oauth2_providers_next_signing_key_idx').on(t.nextSigningKeyId),
  index('oauth2_providers_previous_signing_key_idx').on(t.previousSigningKeyId)])

export const providerScopeMappings = pgTable('oauth2_provider_scope_mappings', {
  providerId: integer('provider_id').notNull().references(() => providers.id, { onDelete: 'cascade' }),
  scopeMappingId: uuid('scope_mapping_id').notNull().references(() => scopeMappings.id, { onDelete: 'cascade' }),
}, (t) => [primaryKey({ columns: [t.providerId, t.scopeMappingId] }),
  index('oauth2_provider_scope_mappings_mapping_idx').on(t.scopeMappingId)])

/** `jwt_federation_sources`: OAuth sources whose JWKS may sign client assertions. */
export const providerFederationSources = pgTable('oauth2_provider_federation_sources', {
  providerId: integer('provider_id').notNull().references(() => providers.id, { onDelete: 'cascade' }),
  sourceId: uuid('source_id').notNull().references(() => oauthSources.id, { onDelete: 'cascade' }),
}, (t) => [primaryKey({ columns: [t.providerId, t.sourceId] })])

/** `jwt_federation_providers`: providers whose access tokens this provider accepts as assertions. */
export const providerFederationProviders = pgTable('oauth2_provider_federation_providers', {
  providerId: integer('provider_id').notNull().references(() => providers.id, { onDelete: 'cascade' }),
  federatedProviderId: integer('federated_provider_id').notNull()
    .references(() => providers.id, { onDelete: 'cascade' }),
}, (t) => [primaryKey({ columns: [t.providerId, t.federatedProviderId] }),
  index('oauth2_provider_federation_providers_fed_idx').on(t.federatedProviderId)])

/** authentik `Application`; `group` restricts it to the members of one group. */
export const applications = pgTable('applications', {
  id: uuid('id').primaryKey().defaultRandom(),
  name: text('name').notNull(),
  slug: text('slug').notNull().unique(),
  providerId: integer('provider_id').unique().references(() => providers.id, { onDelete: 'set null' }),
  groupId: uuid('group_id').references(() => groups.id, { onDelete: 'set null' }),
  metaLaunchUrl: text('meta_launch_url').notNull().default(''),
  metaDescription: text('meta_description').notNull().default(''),
  metaPublisher: text('meta_publisher').notNull().default(''),
  openInNewTab: boolean('open_in_new_tab').notNull().default(false),
  created: created(),
})
