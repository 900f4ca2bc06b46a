import { sql, type SQL } from 'drizzle-orm'
import type { Db } from './client.ts'
import type { ArtefactQuery } from './client-load.ts'
import {
  accessTokens, appTokens, keyPairs, oauthSources, providerFederationProviders, providerFederationSources, providers,
  users,
} from './schema.ts'
import { claimUserJson, type ClaimUser } from './user-claims.ts'

/**
 * A generated account (authentik's client_credentials service account, or a JWT source's user) by its username,
 * which statement 1 derives from the provider's name: the user when it exists, else a pk reserved for it (the
 * tokens are signed with the hashed pk before statement 2 creates the row).
 */
export interface GeneratedAccount {
  username: string
  user: ClaimUser | null
  /** The existing user's pk, or the reserved one; null when no pk was reserved. */
  id: number | null
}

/** The user a username (and app password) names, and the identifier of the matching live app password. */
export interface PasswordOwner {
  user: ClaimUser
  tokenIdentifier: string | null
}

/** An OAuth source trusted for client assertions (`jwt_federation_sources`). */
export interface AssertionSource {
  id: string
  slug: string
  name: string
  jwks: { keys?: unknown[] }
  jwksUrl: string
}

/** A live access token of a federated provider (`jwt_federation_providers`) presented as an assertion. */
export interface FederatedToken {
  provider: { id: number; name: string; clientSecretSealed: string; encrypted: boolean }
  signingKey: { kid: string; certificateData: string; keyType: 'rsa' | 'ecdsa'; keySize: number } | null
  /** The key the provider's last rotation replaced, while tokens it signed are valid (README "Key rotation"). */
  previousSigningKey: FederatedToken['signingKey']
  user: ClaimUser | null
  /** RFC 9449 §6: the DPoP key the token is bound to (null: a bearer token). */
  jkt: string | null
  /** RFC 8707: the resources it was issued for (null: the default audience, its client). */
  audience: string[] | null
}

/** Everything a client_credentials or password request may need, read with its client in statement 1. */
export interface CredentialsArtefact {
  serviceAccount?: GeneratedAccount | null
  owner?: PasswordOwner | null
  sources?: AssertionSource[]
  federated?: FederatedToken | null
  jwtAccount?: GeneratedAccount | null
}

/** Which parts statement 1 reads: only those the request's form makes possible. */
export interface CredentialsPlan {
  /** The provider secret's service account; `reserve`: reserve a pk when it does not exist yet. */
  serviceAccount?: { reserve: boolean }
  /** `username` and the SHA-256 of the app password offered with it. */
  owner?: { username: string; keyHash: string }
  /** A client assertion: the SHA-256 of its text and its (unverified) `sub`. */
  assertion?: { tokenHash: string; sub: string | null }
}

const live = (alias: string, now: Date): SQL =>
  sql`(not ${sql.raw(alias)}.expiring or ${sql.raw(alias)}.expires > ${now.toISOString()}::timestamptz)`

// Reserving a pk costs a sequence value only when the account does not exist (COALESCE evaluates lazily).
const nextUserId = sql`nextval(pg_get_serial_sequence('users', 'id'))`

function account(username: SQL, reserve: SQL): SQL {
  return sql`(select json_build_object('username', n.username, 'user', ${claimUserJson(sql`a.id`)},
      'id', coalesce(a.id, case when ${reserve} then ${nextUserId} end))
    from (select ${username} as username) n left join ${users} a on a.username = n.username)`
}

function owner(plan: NonNullable<CredentialsPlan['owner']>, now: Date): SQL {
  return sql`(select json_build_object('user', ${claimUserJson(sql`o.id`)}, 'tokenIdentifier',
      (select k.identifier from ${appTokens} k where k.user_id = o.id and k.intent = 'app_password'
        and k.key_hash = ${plan.keyHash}::text and ${live('k', now)} limit 1))
    from ${users} o where o.username = ${plan.username}::text)`
}

const sourcesJson = sql`coalesce((select json_agg(json_build_object('id', s.id, 'slug', s.slug, 'name', s.name,
    'jwks', s.oidc_jwks, 'jwksUrl', s.oidc_jwks_url) order by s.name)
  from ${providerFederationSources} l join ${oauthSources} s on s.id = l.source_id
  where l.provider_id = self.id and s.enabled), '[]'::json)`

function federated(tokenHash: string, now: Date): SQL {
  return sql`(select json_build_object(
      'provider', json_build_object('id', fp.id, 'name', fp.name, 'clientSecretSealed', fp.client_secret_sealed,
        'encrypted', fp.encryption_key_id is not null),
      'signingKey', (select json_build_object('kid', k.kid, 'certificateData', k.certificate_data,
        'keyType', k.key_type, 'keySize', k.key_size) from ${keyPairs} k where k.id = fp.signing_key_id),
      'previousSigningKey', (select json_build_object('kid', k.kid, 'certificateData', k.certificate_data,
        'keyType', k.key_type, 'keySize', k.key_size) from ${keyPairs} k where k.id = fp.previous_signing_key_id
        and fp.previous_signing_key_expires > ${now.toISOString()}::timestamptz),
      'user', ${claimUserJson(sql`t.user_id`)}, 'jkt', t.jkt, 'audience', t.audience)
    from ${accessTokens} t
    join ${providerFederationProviders} f on f.federated_provider_id = t.provider_id and f.provider_id = self.id
    join ${providers} fp on fp.id = t.provider_id
    where t.token_hash = ${tokenHash}::text and not t.revoked and ${live('t', now)} limit 1)`
}

/**
 * authentik §4.4/§4.5: the parts of `plan`, as one JSON subquery of the client's provider (`self`). Every column
 * is written with its own alias: drizzle rewrites the columns of an `extras` subquery's select list.
 */
export function credentialsArtefact(db: Db, plan: CredentialsPlan, now: Date): ArtefactQuery<CredentialsArtefact> {
  const parts: SQL[] = []
  if (plan.serviceAccount) {
    const username = sql`'ak-' || left(self.name, 128) || '-client_credentials'`
    parts.push(sql`'serviceAccount', ${account(username, plan.serviceAccount.reserve ? sql`true` : sql`false`)}`)
  }
  if (plan.owner) parts.push(sql`'owner', ${owner(plan.owner, now)}`)
  if (plan.assertion) {
    const { tokenHash, sub } = plan.assertion
    parts.push(sql`'sources', ${sourcesJson}`, sql`'federated', ${federated(tokenHash, now)}`)
    if (sub !== null) {
      // authentik `__create_user_from_jwt`: `<provider name>-<sub>`, at most 150 characters.
      const reserve = sql`exists (select 1 from ${providerFederationSources} l where l.provider_id = self.id)`
      parts.push(sql`'jwtAccount', ${account(sql`left(self.name || '-' || ${sub}::text, 150)`, reserve)}`)
    }
  }
  if (parts.length === 0) parts.push(sql`'none', null`)
  return {
    query: (providerId) => db.select({ grant: sql`json_build_object(${sql.join(parts, sql`, `)})` })
      .from(sql`${providers} self`).where(sql`self.id = ${providerId}`),
    decode: (json) => json as CredentialsArtefact,
  }
}
