import { sql } from 'drizzle-orm'
import type { StatementRead } from './client-statement.ts'
import {
  accessTokens, instant as at, keyPairs, oauthSources, providerFederationProviders, providerFederationSources,
  providers,
} from './schema.ts'
import { claimUserJson, type ClaimUser } from './user-claims.ts'

/** An OAuth source trusted for client assertions (`jwt_federation_sources`). */
export interface AssertionSource {
  id: string
  slug: string
  name: string
  jwks: { keys?: unknown[] }
  jwksUrl: string
}

type KeyJson = { kid: string; certificateData: string; keyType: 'rsa' | 'ecdsa'; keySize: number }

/** A live access token of a federated provider (`jwt_federation_providers`) presented as an assertion. */
export interface FederatedToken {
  provider: { id: number; name: string; clientSecretSealed: string; encrypted: boolean }
  signingKey: KeyJson | null
  /** The key the provider's last rotation replaced, while tokens it signed are valid (README "Key rotation"). */
  previousSigningKey: KeyJson | null
  user: ClaimUser | null
  /** RFC 9449 §6: the DPoP key the token is bound to (null: a bearer token). */
  jkt: string | null
  /** RFC 8707: the resources it was issued for (null: the default audience, its client). */
  audience: string[] | null
}

/** What may verify a client assertion for the statement's client: its sources, and the federated token presented. */
export interface AssertionTrust {
  sources: AssertionSource[]
  federated: FederatedToken | null
}

const keyJson = (id: string) => sql`(select json_build_object('kid', k.kid, 'certificateData', k.certificate_data,
  'keyType', k.key_type, 'keySize', k.key_size) from ${keyPairs} k where k.id = ${sql.raw(id)})`

/**
 * The read `trust` (alias `tr`): the client's enabled federation sources with their keys, and the live, unrevoked
 * access token of a provider it federates whose `jti` hashes to `tokenHash` (src/oauth/presented-jti.ts), with
 * that provider's keys and the token's user, binding and audience.
 */
export function assertionTrustRead(tokenHash: string, now: Date): StatementRead {
  return { name: 'trust', alias: 'tr', query: sql`select coalesce((select json_agg(json_build_object('id', s.id,
        'slug', s.slug, 'name', s.name, 'jwks', s.oidc_jwks, 'jwksUrl', s.oidc_jwks_url) order by s.name)
      from ${providerFederationSources} l join ${oauthSources} s on s.id = l.source_id
      where l.provider_id = (select id from provider) and s.enabled), '[]'::json) as sources,
    (select json_build_object(
        'provider', json_build_object('id', fp.id, 'name', fp.name, 'clientSecretSealed', fp.client_secret_sealed,
          'encrypted', fp.encryption_key_id is not null),
        'signingKey', ${keyJson('fp.signing_key_id')},
        'previousSigningKey', case when fp.previous_signing_key_expires > ${at(now)} then
          ${keyJson('fp.previous_signing_key_id')} end,
        'user', ${claimUserJson(sql`t.user_id`)}, 'jkt', t.jkt, 'audience', t.audience)
      from ${accessTokens} t
      join ${providerFederationProviders} f on f.federated_provider_id = t.provider_id
        and f.provider_id = (select id from provider)
      join ${providers} fp on fp.id = t.provider_id
      where t.token_hash = ${tokenHash}::text and not t.revoked and (not t.expiring or t.expires > ${at(now)})
      limit 1) as federated` }
}
