import { sql, type SQL } from 'drizzle-orm'
import type { Db } from './client.ts'
import type { StatementRead } from './client-statement.ts'
import { textArray } from './consents.ts'
import type { AttemptWindow } from './failure-counters.ts'
import { deviceTokens, instant as at, loginAttempts, providerScopeMappings, scopeMappings } from './schema.ts'

/**
 * RFC 8628 §3.1-3.2 in the client's one statement (src/db/client-statement.ts): the address's requests counted
 * (authentik's throttle: every request, not only failures), and the device token stored when every check passed.
 */

/** A device authorization to store (RFC 8628 §3.2): only the SHA-256 of the device code, the user code as stored. */
export interface NewDeviceToken {
  deviceCodeHash: string
  userCode: string
  /** The requested scope names; only those the provider maps are kept. */
  scopes: readonly string[]
  now: Date
}

/** The read `requests` (alias `rq`): this request counted against the address's hourly key (`count`; none without an address). */
export function requestsRead(key: string | null, window: AttemptWindow): StatementRead {
  const query = key === null ? sql`select null::int as count`
    : sql`insert into ${loginAttempts} (key, window_start, count, expires, expiring)
      values (${key}::text, ${at(window.start)}, 1, ${at(window.end)}, true)
      on conflict (key, window_start) do update set count = ${loginAttempts.count} + 1 returning count`
  return { name: 'requests', alias: 'rq', query }
}

/** The requested scopes the provider maps, in the order asked, each once. */
function mappedScopes(scopes: readonly string[]): SQL {
  return sql`(select coalesce(string_agg(r.s, ' ' order by r.i), '') from (
      select u.s, min(u.i) as i from unnest(${textArray(scopes)}) with ordinality as u(s, i)
      where u.s in (select m.scope_name from ${providerScopeMappings} pm
        join ${scopeMappings} m on m.id = pm.scope_mapping_id where pm.provider_id = provider.id)
      group by u.s) r)`
}

/** The write `device`: the token stored, expiring after the provider's `access_code_validity` (unless its user code is taken). */
export function storeDeviceCte(token: NewDeviceToken, passed: SQL): SQL {
  return sql`device as (insert into ${deviceTokens} (device_code_hash, user_code, provider_id, scope, expires, created)
      select ${token.deviceCodeHash}::text, ${token.userCode}::text, provider.id, ${mappedScopes(token.scopes)},
        ${at(token.now)} + provider.access_code_validity_ms * interval '1 millisecond', ${at(token.now)}
      from provider where ${passed}
      on conflict do nothing
      returning id, scope, expires)`
}

/** What the statement answers: the stored token (null: its user code was taken). */
export const deviceTokenColumn: SQL = sql`(select row_to_json(device) from device) as token`

/** When the statement could not store the token (its user code was taken): store it with another (one statement). */
export async function storeDeviceToken(db: Db, values: {
  deviceCodeHash: string; userCode: string; providerId: number; scope: string; expires: Date; now: Date
}): Promise<boolean> {
  const rows = await db.insert(deviceTokens).values({
    deviceCodeHash: values.deviceCodeHash, userCode: values.userCode, providerId: values.providerId,
    scope: values.scope, expires: values.expires, created: values.now,
  }).onConflictDoNothing().returning({ id: deviceTokens.id })
  return rows.length === 1
}
