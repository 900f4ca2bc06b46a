import { sql, type SQL } from 'drizzle-orm'
import { fromJsonRow } from './json-row.ts'
import type { ProviderBundle } from './providers.ts'
import { applications, keyPairs, providers, providerScopeMappings, scopeMappings } from './schema.ts'

/**
 * A provider bundle read in raw SQL, for statements that also write (a query builder or relational query cannot
 * hold a data-modifying CTE): the statement names the client's provider row `provider` (a CTE), and these select
 * list entries read its application, keys and scope mappings as JSON, which {@link bundleOfRow} decodes.
 */
export interface BundleRow {
  provider: Record<string, unknown> | null
  application: Record<string, unknown> | null
  signing_key: Record<string, unknown> | null
  encryption_key: Record<string, unknown> | null
  scope_mappings: Array<Record<string, unknown>> | null
}

/** The CTE `provider`: the provider whose client id is `clientId`. */
export const providerCte = (clientId: string): SQL =>
  sql`provider as (select * from ${providers} where client_id = ${clientId}::text)`

/** The select list entries of {@link BundleRow}. */
export const bundleColumns: SQL = sql`(select row_to_json(provider) from provider) as provider,
  (select row_to_json(a) from ${applications} a, provider where a.provider_id = provider.id) as application,
  (select row_to_json(k) from ${keyPairs} k, provider where k.id = provider.signing_key_id) as signing_key,
  (select row_to_json(k) from ${keyPairs} k, provider where k.id = provider.encryption_key_id) as encryption_key,
  (select coalesce(json_agg(row_to_json(m)), '[]'::json) from ${scopeMappings} m
    join ${providerScopeMappings} pm on pm.scope_mapping_id = m.id join provider on provider.id = pm.provider_id)
    as scope_mappings`

/** The bundle of a {@link BundleRow}, in `loadProviderByClientId`'s shape; null when no provider matched. */
export function bundleOfRow(row: BundleRow | undefined): ProviderBundle | null {
  if (!row?.provider) return null
  return {
    provider: fromJsonRow(providers, row.provider),
    application: row.application && fromJsonRow(applications, row.application),
    signingKey: row.signing_key && fromJsonRow(keyPairs, row.signing_key),
    encryptionKey: row.encryption_key && fromJsonRow(keyPairs, row.encryption_key),
    scopeMappings: (row.scope_mappings ?? []).map((m) => fromJsonRow(scopeMappings, m))
      .sort((a, b) => a.scopeName.localeCompare(b.scopeName) || a.name.localeCompare(b.name)),
  }
}

/**
 * The bundle of the provider whose pk is `id` (an SQL expression) as one JSON value in {@link BundleRow}'s shape,
 * for a statement that reads another provider than its client's (the provider of a token a federated caller
 * introspects); {@link bundleOfRow} decodes it.
 */
export function bundleJson(id: SQL): SQL {
  return sql`(select json_build_object('provider', row_to_json(bp),
      'application', (select row_to_json(a) from ${applications} a where a.provider_id = bp.id),
      'signing_key', (select row_to_json(k) from ${keyPairs} k where k.id = bp.signing_key_id),
      'encryption_key', (select row_to_json(k) from ${keyPairs} k where k.id = bp.encryption_key_id),
      'scope_mappings', (select coalesce(json_agg(row_to_json(m)), '[]'::json) from ${scopeMappings} m
        join ${providerScopeMappings} pm on pm.scope_mapping_id = m.id where pm.provider_id = bp.id))
    from ${providers} bp where bp.id = ${id})`
}
