import { sql } from 'drizzle-orm'
import { boolean, check, index, integer, jsonb, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core'
import { authenticatedSessions, users } from './core.ts'
import { expiringColumns, expiringIndex } from './expiring.ts'
import { applications, providers } from './providers.ts'

const at = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' })
const created = () => at('created').notNull().defaultNow()
const expiresSet = (t: { expires: unknown; expiring: unknown }, name: string) =>
  check(`${name}_expires_set`, sql`not ${t.expiring} or ${t.expires} is not null`)

/** authentik `BaseGrantModel`. `grant_id` ties every artefact of one authorization together (its family). */
function grantColumns() {
  return {
    providerId: integer('provider_id').notNull().references(() => providers.id, { onDelete: 'cascade' }),
    userId: integer('user_id').notNull().references(() => users.id, { onDelete: 'cascade' }),
    grantId: uuid('grant_id').notNull(),
    revoked: boolean('revoked').notNull().default(false),
    scope: text('scope').notNull().default(''),
    authTime: at('auth_time').notNull(),
    created: created(),
    ...expiringColumns(),
  }
}

/** authentik `UserConsent`, keyed by user, application and the consented scope set. */
export const consents = pgTable('consents', {
  id: uuid('id').primaryKey().defaultRandom(),
  userId: integer('user_id').notNull().references(() => users.id, { onDelete: 'cascade' }),
  applicationId: uuid('application_id').notNull().references(() => applications.id, { onDelete: 'cascade' }),
  permissions: text('permissions').notNull().default(''),
  created: created(),
  ...expiringColumns(),
}, (t) => [expiringIndex('consents', t), index('consents_user_app_idx').on(t.userId, t.applicationId),
  expiresSet(t, 'consents')])

/** authentik `AuthorizationCode`; only the SHA-256 of the code is kept, plus the redirect URI it was issued to. */
export const authorizationCodes = pgTable('authorization_codes', {
  id: uuid('id').primaryKey().defaultRandom(),
  codeHash: text('code_hash').notNull().unique(),
  ...grantColumns(),
  sessionId: uuid('session_id').references(() => authenticatedSessions.id, { onDelete: 'cascade' }),
  redirectUri: text('redirect_uri').notNull(),
  nonce: text('nonce'),
  codeChallenge: text('code_challenge'),
  codeChallengeMethod: text('code_challenge_method'),
  consumed: at('consumed'),
  /** RFC 8707 `resource`s asked for at authorize (null: none). */
  resources: jsonb('resources').$type<string[]>(),
  /** RFC 9449 §10 `dpop_jkt`: the key the code is bound to. */
  dpopJkt: text('dpop_jkt'),
}, (t) => [expiringIndex('authorization_codes', t), index('authorization_codes_grant_idx').on(t.grantId),
  expiresSet(t, 'authorization_codes')])

/**
 * authentik `AccessToken`: a JWT, kept as the SHA-256 of its `jti` (its own, never shared with the ID token), which
 * the token request chooses before its one statement; a presented token is found by the hash of the `jti` it
 * carries (src/oauth/presented-jti.ts). Only a holder of the token knows its `jti`, and the database never does.
 */
export const accessTokens = pgTable('access_tokens', {
  id: uuid('id').primaryKey().defaultRandom(),
  tokenHash: text('token_hash').notNull().unique(),
  ...grantColumns(),
  sessionId: uuid('session_id').references(() => authenticatedSessions.id, { onDelete: 'cascade' }),
  /**
   * What the token's ID token claims are made of beyond its user and provider (src/tokens/grant-facts.ts:
   * `iat`, `exp`, `auth_time`, `acr`, `amr`, `nonce`, `sid`), written by the statement that issues it; the claims
   * themselves are built from them when the token is signed and again when it is read (userinfo, introspection).
   */
  idToken: jsonb('id_token').$type<Record<string, unknown>>().notNull(),
  /** RFC 9449 `cnf.jkt`: the JWK thumbprint the token is bound to (null: a bearer token). */
  jkt: text('jkt'),
  /** RFC 8707: the audiences (resources) the token was issued for (null: authentik's, the client). */
  audience: jsonb('audience').$type<string[]>(),
}, (t) => [expiringIndex('access_tokens', t), index('access_tokens_grant_idx').on(t.grantId),
  index('access_tokens_session_idx').on(t.sessionId), index('access_tokens_user_idx').on(t.userId),
  expiresSet(t, 'access_tokens')])

/** authentik `RefreshToken`: opaque, only its SHA-256 kept; it outlives its browser session (set null). */
export const refreshTokens = pgTable('refresh_tokens', {
  id: uuid('id').primaryKey().defaultRandom(),
  tokenHash: text('token_hash').notNull().unique(),
  ...grantColumns(),
  sessionId: uuid('session_id').references(() => authenticatedSessions.id, { onDelete: 'set null' }),
  /** The grant's facts, as on access tokens; `nonce` is the authorization's, which a refreshed ID token drops. */
  idToken: jsonb('id_token').$type<Record<string, unknown>>().notNull(),
  /** RFC 9449 §5: a public client's refresh token is bound to its DPoP key. */
  jkt: text('jkt'),
  /** RFC 8707: the resources granted, which a refresh may narrow but not widen. */
  resources: jsonb('resources').$type<string[]>(),
  /** The retry window: when this token was rotated and the token that replaced it. */
  rotated: at('rotated'),
  successorId: uuid('successor_id'),
}, (t) => [expiringIndex('refresh_tokens', t), index('refresh_tokens_grant_idx').on(t.grantId),
  index('refresh_tokens_user_idx').on(t.userId), expiresSet(t, 'refresh_tokens')])

/** Where a device authorization stands (RFC 8628 §3.5): waiting for the user, approved, or refused. */
export type DeviceTokenStatus = 'pending' | 'approved' | 'denied'

/**
 * authentik `DeviceToken` (RFC 8628); the device code is kept as a hash, the user code as shown (upper case,
 * unique). `grant_id` is the family of the tokens issued from it; `last_polled` and `interval` drive `slow_down`.
 */
export const deviceTokens = pgTable('device_tokens', {
  id: uuid('id').primaryKey().defaultRandom(),
  deviceCodeHash: text('device_code_hash').notNull().unique(),
  userCode: text('user_code').notNull(),
  providerId: integer('provider_id').notNull().references(() => providers.id, { onDelete: 'cascade' }),
  userId: integer('user_id').references(() => users.id, { onDelete: 'cascade' }),
  sessionId: uuid('session_id').references(() => authenticatedSessions.id, { onDelete: 'set null' }),
  grantId: uuid('grant_id').notNull().defaultRandom(),
  status: text('status').$type<DeviceTokenStatus>().notNull().default('pending'),
  /** The approving session's login time. */
  authTime: at('auth_time'),
  lastPolled: at('last_polled'),
  /** Seconds a client must wait between polls (RFC 8628 §3.2 `interval`). */
  interval: integer('interval').notNull().default(5),
  scope: text('scope').notNull().default(''),
  created: created(),
  ...expiringColumns(),
}, (t) => [expiringIndex('device_tokens', t), uniqueIndex('device_tokens_user_code_key').on(t.userCode),
  expiresSet(t, 'device_tokens')])

/**
 * One-time identifiers seen inside their lifetime (a JWT client assertion's `jti`, RFC 7523 §3 item 7): a second
 * insert of the same key is a replay. `key` names its issuer, e.g. `assertion:<source>:<jti>`.
 */
export const seenJtis = pgTable('seen_jtis', {
  key: text('key').primaryKey(),
  created: created(),
  ...expiringColumns(),
}, (t) => [expiringIndex('seen_jtis', t), expiresSet(t, 'seen_jtis')])

/**
 * RFC 9126 pushed authorization requests: the parameters a client pushed, found by the SHA-256 of its
 * `request_uri`'s random part, deleted on use (single use) or when it expires.
 */
export const pushedAuthorizationRequests = pgTable('pushed_authorization_requests', {
  id: uuid('id').primaryKey().defaultRandom(),
  requestUriHash: text('request_uri_hash').notNull().unique(),
  providerId: integer('provider_id').notNull().references(() => providers.id, { onDelete: 'cascade' }),
  parameters: jsonb('parameters').$type<Record<string, string | string[]>>().notNull(),
  created: created(),
  ...expiringColumns(),
}, (t) => [expiringIndex('pushed_authorization_requests', t), expiresSet(t, 'pushed_authorization_requests')])
