import { sql, type SQL } from 'drizzle-orm'
import { rowsOf, type Db } from './client.ts'
import { textArray } from './consents.ts'
import {
  reservationColumns, reservationCtes, reservedOf, type AttemptReservation, type ReservationRow, type ReservedAttempts,
} from './attempt-reservation.ts'
import { bundleColumns, bundleOfRow, providerCte, type BundleRow } from './provider-row.ts'
import type { ProviderBundle } from './providers.ts'
import { bumpAttempts, type AttemptCounts, type AttemptWindow } from './rate-limits.ts'
import { applications, deviceTokens, instant as at, providerScopeMappings, scopeMappings } from './schema.ts'

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
  /** The attempt reserved against the brute-force limits (src/oauth/failure-limits.ts). */
  reserved: ReservedAttempts
  /** This address's requests in the window, this one included; null when the address is unknown. */
  requests: number | null
  /** The stored device token, when the statement could store it. */
  token: { id: string; scope: string; expires: Date } | null
}

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
 * RFC 8628 §3.1-3.2 in one statement: read the client's provider (with its application, keys and mappings),
 * reserve the attempt against the brute-force limits (src/db/attempt-reservation.ts), count this request against
 * `rateKey`, and store the device token when the provider has an application, allows `device_code`, the attempt
 * was reserved, the address is within `maxRequests`, and its code lifetime is a plain duration. The client's
 * secret is checked afterwards: on a wrong one {@link discardDeviceToken} removes the row.
 */
export async function beginDeviceAuthorization(db: Db, options: {
  clientId: string; token: NewDeviceToken; reservation: AttemptReservation; rateKey: string | null
  window: AttemptWindow; maxRequests: number; now: Date
}): Promise<DeviceAuthorizationResult> {
  const { token, now } = options
  const bump = options.rateKey === null ? sql`select null::int as count where false`
    : bumpAttempts(db, [options.rateKey], options.window).getSQL()
  const expiry = codeExpiry(now)
  const [row] = rowsOf<BundleRow & ReservationRow & { requests: number | null;
    token: { id: string; scope: string; expires: string } | null }>(await db.execute(sql`with ${providerCte(options.clientId)},
    ${reservationCtes(options.reservation)},
    bumped as (${bump}),
    device as (insert into ${deviceTokens} (device_code_hash, user_code, provider_id, scope, expires, created)
      select ${token.deviceCodeHash}::text, ${token.userCode}::text, provider.id, ${mappedScopes(token.scopes)},
        ${expiry}, ${at(now)}
      from provider
      where exists (select 1 from ${applications} a where a.provider_id = provider.id)
        and provider.grant_types @> '["device_code"]'::jsonb
        and exists (select 1 from attempt_pair)
        and coalesce((select max(count) from bumped), 0) <= ${options.maxRequests}::int
        and ${expiry} is not null
      on conflict do nothing
      returning id, scope, expires)
    select ${bundleColumns}, ${reservationColumns},
      (select max(count) from bumped) as requests,
      (select row_to_json(device) from device) as token`))
  const requests = row?.requests === null || row?.requests === undefined ? null : Number(row.requests)
  const reserved = reservedOf(row)
  const bundle = bundleOfRow(row)
  const stored = bundle && row?.token ? { ...row.token, expires: new Date(row.token.expires) } : null
  return { bundle, reserved, requests, token: stored }
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
 * A client that failed authentication after its token was stored: delete the token and settle the attempt
 * (`settle`: the CTEs from `settleSql`), in one statement; the counts after it.
 */
export async function discardDeviceToken(db: Db, tokenId: string, settle: SQL): Promise<AttemptCounts> {
  const rows = rowsOf<{ key: string; count: number }>(await db.execute(sql`with
    gone as (delete from ${deviceTokens} where id = ${tokenId}::uuid), ${settle}`))
  return Object.fromEntries(rows.map((r) => [r.key, Number(r.count)]))
}
