import { sql, type SQL } from 'drizzle-orm'
import type { Db } from './client.ts'
import { eventInsertSql, type NewEvent } from './events.ts'
import {
  also, GRANT_COLUMNS, insertAccess, insertRefresh, issued, type NewAccessToken, type NewRefreshToken,
} from './grant-store.ts'
import { proofJtiParts } from './proof-jti.ts'
import { accessTokens, refreshTokens } from './schema.ts'

/** The rotated token presented again, and the successor it was rotated into. */
export interface Superseded { tokenId: string; successorId: string }

/**
 * The retry window: revoke the successor of a rotated refresh token, unless it was used (rotated, revoked) in the
 * meantime, with the access tokens issued from it; store a new successor and access token in its place, point
 * the rotated token at the new successor and record `event`, in one statement (with `extra`, the rate-limit
 * give-back). False when the successor was no longer unused (another retry, or its own rotation, came first);
 * then nothing but `extra` was written.
 */
export async function supersedeSuccessor(
  db: Db, ids: Superseded, now: Date, access: NewAccessToken, refresh: NewRefreshToken, event: NewEvent,
  extra: SQL | null = null,
): Promise<boolean> {
  const r = refreshTokens
  const source = sql.raw('superseded')
  // A DPoP proof's jti is recorded here too, and gates the writes (src/db/proof-jti.ts).
  const proof = proofJtiParts(access.proofJti, now)
  return issued(db, sql`with ${proof.cte}superseded as (
      update ${r} set revoked = true
      where ${r.id} = ${ids.successorId}::uuid and not ${r.revoked} and ${r.rotated} is null and ${proof.gate}
      returning ${GRANT_COLUMNS}, created),
    access as (${insertAccess(source, access, now)}),
    refresh as (${insertRefresh(source, refresh, now)}),
    relinked as (update ${r} set successor_id = (select id from refresh)
      where ${r.id} = ${ids.tokenId}::uuid and exists (select 1 from refresh)),
    gone as (delete from ${accessTokens} a using superseded s
      where a.grant_id = s.grant_id and a.provider_id = s.provider_id and a.created >= s.created),
    retried as (${eventInsertSql(event, now, sql`from superseded`)})${also(extra)}
    select exists (select 1 from access) as issued, ${proof.fresh} as fresh`)
}
