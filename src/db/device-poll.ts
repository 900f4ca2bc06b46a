import { and, eq, sql, type SQL } from 'drizzle-orm'
import { rowsOf, type Db } from './client.ts'
import type { ArtefactQuery } from './client-load.ts'
import { also, insertAccess, insertRefresh, type NewAccessToken, type NewRefreshToken } from './grant-store.ts'
import { assertProofFresh, proofJtiParts } from './proof-jti.ts'
import { authenticatedSessions, deviceTokens, instant as at, isLive, type DeviceTokenStatus } from './schema.ts'
import { claimUserJson, type ClaimUser } from './user-claims.ts'

/** A device token of the client, live or expired (RFC 8628 §3.5 tells the two apart until the purge). */
export interface DeviceGrant {
  id: string
  status: DeviceTokenStatus
  scope: string
  /** Past its lifetime: `expired_token`. */
  expired: boolean
  /** The approving session's login time, once approved. */
  authTime: Date | null
  user: ClaimUser | null
  /** The approving browser session, while it exists: its `amr` and `sid`. */
  session: { amr: string[]; sid: string } | null
}

/** RFC 8628 §3.4: the client's device token whose device code hashes to `codeHash`, expired or not. */
export function deviceArtefact(db: Db, codeHash: string, now: Date): ArtefactQuery<DeviceGrant> {
  const d = deviceTokens
  return {
    query: (providerId) => db.select({ grant: sql`json_build_object(
      'id', ${d.id}, 'status', ${d.status}, 'scope', ${d.scope}, 'expired', not ${isLive(d, now)},
      'authTime', ${d.authTime},
      'user', ${claimUserJson(sql`${d.userId}`)},
      'session', (select json_build_object('amr', s.amr, 'sid', s.session_key_hash)
        from ${authenticatedSessions} s where s.id = ${d.sessionId}))` })
      .from(d).where(and(eq(d.deviceCodeHash, codeHash), eq(d.providerId, providerId))),
    decode: (json) => {
      const found = json as Omit<DeviceGrant, 'authTime'> & { authTime: string | null }
      return { ...found, authTime: found.authTime === null ? null : new Date(found.authTime) }
    },
  }
}

/**
 * RFC 8628 §3.5: remember this poll, and answer whether it came sooner than the interval after the one before
 * (then the interval grows by 5 seconds for this and every later poll: `slow_down`). Decided on the row locked in
 * this statement, so that of two polls at once the second sees the first's time and slows down. `extra`: a CTE
 * of the caller's, in the same statement. False when the row is gone.
 */
export async function recordPoll(db: Db, tokenId: string, now: Date, extra: SQL | null = null): Promise<boolean> {
  const d = deviceTokens
  const [row] = rowsOf<{ early: boolean }>(await db.execute(sql`with ${extra ? sql`${extra}, ` : sql``}previous as (
      select ${d.id} as id, ${d.lastPolled} is not null
          and ${d.lastPolled} > ${at(now)} - ${d.interval} * interval '1 second' as early
        from ${d} where ${d.id} = ${tokenId}::uuid for update)
    update ${d} set last_polled = ${at(now)},
      interval = case when previous.early then ${d.interval} + 5 else ${d.interval} end
    from previous where ${d.id} = previous.id
    returning previous.early as early`))
  return row?.early === true
}

/**
 * RFC 8628 §3.5 single use: delete the live, approved device token and store the tokens issued for it (its
 * family, session and auth_time), in one statement. False when another request redeemed it first.
 */
export async function redeemDeviceCode(
  db: Db, tokenId: string, now: Date, access: NewAccessToken, refresh: NewRefreshToken | null, extra: SQL | null = null,
): Promise<boolean> {
  const d = deviceTokens
  const source = sql.raw('consumed')
  const proof = proofJtiParts(access.proofJti, now)
  const [row] = rowsOf<{ issued: boolean; fresh: boolean | null }>(await db.execute(sql`with ${proof.cte}consumed as (
      delete from ${d} where ${d.id} = ${tokenId}::uuid and ${d.status} = 'approved' and ${d.userId} is not null
        and ${d.authTime} is not null and ${isLive(d, now)} and ${proof.gate}
      returning provider_id, user_id, grant_id, scope, auth_time, session_id, null::jsonb as resources),
    access as (${insertAccess(source, access, now)})
    ${refresh ? sql`, refresh as (${insertRefresh(source, refresh, now)})` : sql``}${also(extra)}
    select exists (select 1 from access) as issued, ${proof.fresh} as fresh`))
  assertProofFresh(row?.fresh)
  return row?.issued === true
}
