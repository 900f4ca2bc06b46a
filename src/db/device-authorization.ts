import { sql, type SQL } from 'drizzle-orm'
import { rowsOf, type Db } from './client.ts'
import { textArray } from './consents.ts'
import { fromJsonRow } from './json-row.ts'
import type { ProviderBundle } from './providers.ts'
import {
  attemptCounts, bumpAttempts, countFailureSql, type AttemptCounts, type AttemptWindow, type DistinctAddresses,
} from './rate-limits.ts'
import {
  applications, deviceTokens, keyPairs, providers, providerScopeMappings, scopeMappings,
} from './schema.ts'

/** A device authorization to store (RFC 8628 §3.2): only the SHA-256 of the device code, the user code as stored. */
export interface NewDeviceToken {
  deviceCodeHash: string
  userCode: string
  /** The requested scope names; only those the provider maps are kept. */
  scopes: readonly string[]
}

/** What the one statement of a device authorization request found and did. */
export interface DeviceAuthorizationResult {
  /** The client's provider, null when no provider has its client id. */
  bundle: ProviderBundle | null
  /** The failure counts of the brute-force keys asked for (src/oauth/failure-limits.ts). */
  failures: AttemptCounts
  /** This address's requests in the window, this one included; null when the address is unknown. */
  requests: number | null
  /** The stored device token, when the statement could store it. */
  token: { id: string; scope: string; expires: Date } | null
}

const at = (date: Date): SQL => sql`${date.toISOString()}::timestamptz`

const UNIT = '(microseconds|milliseconds|seconds|minutes|hours|days|weeks)=[0-9]{1,6}(\\.[0-9]{1,6})?'
/** The plain duration strings SQL adds up by itself (others are left to `parseDuration` and a second statement). */
const PLAIN_DURATION = `^${UNIT}(;${UNIT}){0,6}$`

/** `now` + the provider's `access_code_validity` when it is a plain duration string, else null (truncated to ms). */
function codeExpiry(now: Date): SQL {
  const validity = sql.raw('provider.access_code_validity')
  return sql`case when ${validity} ~ ${PLAIN_DURATION} then ${at(now)} + trunc((select sum(m[2]::numeric * case m[1]
      when 'microseconds' then 0.001 when 'milliseconds' then 1 when 'seconds' then 1000 when 'minutes' then 60000
      when 'hours' then 3600000 when 'days' then 86400000 else 604800000 end)
    from regexp_matches(${validity}, '([a-z]+)=([0-9.]+)', 'g') as m)) * interval '1 millisecond' end`
}

/** The requested scopes the provider maps, in the order asked, each once. */
function mappedScopes(scopes: readonly string[]): SQL {
  return sql`(select coalesce(string_agg(r.s, ' ' order by r.i), '') from (
      select u.s, min(u.i) as i from unnest(${textArray(scopes)}) with ordinality as u(s, i)
      where u.s in (select m.scope_name from ${providerScopeMappings} pm
        join ${scopeMappings} m on m.id = pm.scope_mapping_id where pm.provider_id = provider.id)
      group by u.s) r)`
}

/**
 * RFC 8628 §3.1-3.2 in one statement: read the client's provider (with its application, keys and mappings) and
 * the failure counts, count this request against `rateKey`, and store the device token when the provider has an
 * application, allows `device_code` and the address is within `maxRequests`, and its code lifetime is a plain
 * duration. The client's secret is checked afterwards: on a wrong one {@link discardDeviceToken} removes the row.
 */
export async function beginDeviceAuthorization(db: Db, options: {
  clientId: string; token: NewDeviceToken; failureKeys: readonly string[]; rateKey: string | null
  window: AttemptWindow; maxRequests: number; now: Date
}): Promise<DeviceAuthorizationResult> {
  const { token, now } = options
  const bump = options.rateKey === null ? sql`select null::int as count where false`
    : bumpAttempts(db, [options.rateKey], options.window).getSQL()
  const expiry = codeExpiry(now)
  const [row] = rowsOf<{ provider: Record<string, unknown> | null; application: Record<string, unknown> | null;
    signing_key: Record<string, unknown> | null; encryption_key: Record<string, unknown> | null;
    scope_mappings: Array<Record<string, unknown>>; failures: AttemptCounts | null; requests: number | null;
    token: { id: string; scope: string; expires: string } | null }>(await db.execute(sql`with
    provider as (select * from ${providers} where client_id = ${options.clientId}::text),
    bumped as (${bump}),
    device as (insert into ${deviceTokens} (device_code_hash, user_code, provider_id, scope, expires, created)
      select ${token.deviceCodeHash}::text, ${token.userCode}::text, provider.id, ${mappedScopes(token.scopes)},
        ${expiry}, ${at(now)}
      from provider
      where exists (select 1 from ${applications} a where a.provider_id = provider.id)
        and provider.grant_types @> '["device_code"]'::jsonb
        and coalesce((select max(count) from bumped), 0) <= ${options.maxRequests}::int
        and ${expiry} is not null
      on conflict do nothing
      returning id, scope, expires)
    select (select row_to_json(provider) from provider) as provider,
      (select row_to_json(a) from ${applications} a, provider where a.provider_id = provider.id) as application,
      (select row_to_json(k) from ${keyPairs} k, provider where k.id = provider.signing_key_id) as signing_key,
      (select row_to_json(k) from ${keyPairs} k, provider where k.id = provider.encryption_key_id) as encryption_key,
      (select coalesce(json_agg(row_to_json(m)), '[]'::json) from ${scopeMappings} m
        join ${providerScopeMappings} pm on pm.scope_mapping_id = m.id join provider on provider.id = pm.provider_id)
        as scope_mappings,
      (${attemptCounts(db, options.failureKeys, now)}) as failures,
      (select max(count) from bumped) as requests,
      (select row_to_json(device) from device) as token`))
  const requests = row?.requests === null || row?.requests === undefined ? null : Number(row.requests)
  const failures = row?.failures ?? {}
  if (!row?.provider) return { bundle: null, failures, requests, token: null }
  const bundle: ProviderBundle = {
    provider: fromJsonRow(providers, row.provider),
    application: row.application && fromJsonRow(applications, row.application),
    signingKey: row.signing_key && fromJsonRow(keyPairs, row.signing_key),
    encryptionKey: row.encryption_key && fromJsonRow(keyPairs, row.encryption_key),
    scopeMappings: row.scope_mappings.map((m) => fromJsonRow(scopeMappings, m))
      .sort((a, b) => a.scopeName.localeCompare(b.scopeName) || a.name.localeCompare(b.name)),
  }
  const stored = row.token && { ...row.token, expires: new Date(row.token.expires) }
  return { bundle, failures, requests, token: stored }
}

/**
 * The second statement when the first could not store the token (a user code already taken, or a code lifetime
 * SQL does not add up by itself): store it with the values computed here. False when the user code is taken.
 */
export async function storeDeviceToken(db: Db, values: {
  deviceCodeHash: string; userCode: string; providerId: number; scope: string; expires: Date; now: Date
}): Promise<boolean> {
  const rows = await db.insert(deviceTokens).values({
    deviceCodeHash: values.deviceCodeHash, userCode: values.userCode, providerId: values.providerId,
    scope: values.scope, expires: values.expires, created: values.now,
  }).onConflictDoNothing().returning({ id: deviceTokens.id })
  return rows.length === 1
}

/**
 * A client that failed authentication after its token was stored: delete the token and count the failure against
 * `keys`, in one statement; the counts after it.
 */
export async function discardDeviceToken(
  db: Db, tokenId: string, keys: readonly string[], window: AttemptWindow, distinct?: DistinctAddresses,
): Promise<AttemptCounts> {
  const gone = sql`delete from ${deviceTokens} where id = ${tokenId}::uuid`
  if (keys.length === 0) {
    await db.execute(gone)
    return {}
  }
  const rows = rowsOf<{ key: string; count: number }>(await db.execute(sql`with gone as (${gone}),
    ${countFailureSql(db, keys, window, distinct)}`))
  return Object.fromEntries(rows.map((r) => [r.key, Number(r.count)]))
}
