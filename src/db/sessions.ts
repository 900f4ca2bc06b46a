import { sql, type SQL } from 'drizzle-orm'
import { rowsOf, type Db } from './client.ts'
import { executeKept } from './kept-statements.ts'
import { queueLogouts, queuedIds } from './logout-outbox.ts'
import type { Bound } from './prepared.ts'
import { authenticatedSessions, instant, isLive } from './schema.ts'
import { claimUserJson, type ClaimUser } from './user-claims.ts'

export type SessionRow = typeof authenticatedSessions.$inferSelect

/** What ending a session leaves to do: the queued back-channel logout calls (ids in the outbox). */
export interface EndedSession {
  id: string
  userId: number
  sessionKeyHash: string
  notifications: string[]
  /** Front-channel providers that issued the session tokens (OIDC Front-Channel Logout 1.0 §2), for the iframes. */
  frontchannel: FrontchannelProvider[]
}

/** What the signed-out page needs to build one front-channel iframe URL. */
export interface FrontchannelProvider {
  logoutUri: string
  issuerMode: 'global' | 'per_provider'
  slug: string | null
}

/** The front-channel providers of the sessions of CTE `ended`, as one JSON array column `frontchannel`. */
const frontchannelOf = sql`coalesce((select json_agg(json_build_object('logoutUri', p.logout_uri,
    'issuerMode', p.issuer_mode, 'slug', a.slug) order by p.id)
  from oauth2_providers p left join applications a on a.provider_id = p.id
  where p.logout_method = 'frontchannel' and p.logout_uri <> '' and (
    exists (select 1 from access_tokens t join ended s on t.session_id = s.id where t.provider_id = p.id)
    or exists (select 1 from refresh_tokens t join ended s on t.session_id = s.id where t.provider_id = p.id))),
  '[]'::json) as frontchannel`

/**
 * End one live browser session (authentik: deleting an `AuthenticatedSession`). The foreign keys do the
 * rest in the same statement: its authorization codes and access tokens cascade away, its refresh and
 * device tokens stay with `session_id` set to null (authentik §7.3); and the same statement queues the
 * back-channel logout calls of its providers (§7.2). Null when there was no live session with that id.
 */
export async function endSession(db: Db, id: string, now: Date): Promise<EndedSession | null> {
  const rows = rowsOf<{ id: string; user_id: number; session_key_hash: string; notifications: string[]
    frontchannel: FrontchannelProvider[] }>(
    await db.execute(sql`with ended as (
        delete from ${authenticatedSessions} where ${authenticatedSessions.id} = ${id}
          and ${isLive(authenticatedSessions, now)} returning id, user_id, session_key_hash, origin)
      ${queueLogouts('ended', now)}
      select id, user_id, session_key_hash, ${queuedIds}, ${frontchannelOf} from ended`))
  const row = rows[0]
  return row ? { id: row.id, userId: row.user_id, sessionKeyHash: row.session_key_hash,
    notifications: row.notifications, frontchannel: row.frontchannel } : null
}

/** A live browser session with its user, as sign-in, authorization and consent need it. */
export interface ActiveSession {
  id: string
  /** SHA-256 hex of the cookie value; also the OIDC `sid` (authentik: sha256 of the session key). */
  sessionKeyHash: string
  loginTime: Date
  amr: string[]
  user: ClaimUser
}

/**
 * Store a new session (only the hash of its cookie value). `replaces`: the hash of the cookie the browser still
 * sent; when it is another user's live session, the same statement ends it and queues its logout calls (Django's
 * `login()` flushes the old session when the user changes); `also`: CTEs to run first (the sign-in's limits), a
 * condition on the writes and CTEs to run with them, in the same statement. Its id and the queued notifications;
 * null when `when` did not hold (nothing written).
 */
export async function createSession(db: Db, values: {
  sessionKeyHash: string; userId: number; loginTime: Date; amr: string[]; lastIp: string | null
  lastUserAgent: string; expires: Date; replaces?: string | null; origin?: string | null
}, also?: { first?: SQL; when?: SQL; writes?: SQL }): Promise<{ id: string; notifications: string[] } | null> {
  const { replaces } = values
  const s = authenticatedSessions
  const when = also?.when ?? sql`true`
  const rows = rowsOf<{ id: string; notifications: string[] }>(await executeKept(db, sql`with
    ${also?.first ? sql`${also.first}, ` : sql``}ended as (
      delete from ${s} where ${s.sessionKeyHash} = ${replaces ?? null} and ${s.userId} <> ${values.userId}
        and ${isLive(s, values.loginTime)} and ${when}
      returning id, user_id, session_key_hash, origin)
    ${queueLogouts('ended', values.loginTime)}
    , created as (insert into ${s} (session_key_hash, user_id, login_time, amr, last_ip, last_user_agent, expires,
        origin, created)
      select ${values.sessionKeyHash}::text, ${values.userId}::int, ${instant(values.loginTime)},
        ${JSON.stringify(values.amr)}::jsonb, ${values.lastIp}::text, ${values.lastUserAgent}::text,
        ${instant(values.expires)}, ${values.origin ?? null}::text, ${instant(values.loginTime)}
      where ${when} returning id)
    ${also?.writes ? sql`, ${also.writes}` : sql``}
    select (select id from created) as id, ${queuedIds}`))
  const created = rows[0]
  return created?.id ? created : null
}

type SessionJson = { id: string; loginTime: string; amr: string[]; user: ClaimUser | null }

/**
 * The live session whose cookie hashes to `sessionKeyHash` as one JSON value (null when none), so that another
 * statement can read it too (authorize reads it with the client). Plain SQL text: it is safe inside drizzle's
 * relational `extras`, which rewrite column references.
 */
export function sessionJson(sessionKeyHash: Bound<string>, now: Bound<Date>): SQL<SessionJson | null> {
  return sql<SessionJson | null>`(select json_build_object('id', s.id, 'loginTime', s.login_time, 'amr', s.amr,
      'user', ${claimUserJson(sql`s.user_id`)})
    from authenticated_sessions s where s.session_key_hash = ${sessionKeyHash}
      and (not s.expiring or s.expires > ${instant(now)}))`
}

/** The `ActiveSession` of {@link sessionJson}'s value; null when there is none or its user is inactive. */
export function activeSession(json: SessionJson | null, sessionKeyHash: string): ActiveSession | null {
  if (!json?.user || !json.user.isActive) return null
  return { id: json.id, sessionKeyHash, loginTime: new Date(json.loginTime), amr: json.amr, user: json.user }
}

/** The live session whose cookie hashes to `sessionKeyHash`, with its active user; one statement. */
export async function findSession(db: Db, sessionKeyHash: string, now: Date): Promise<ActiveSession | null> {
  const [row] = rowsOf<{ session: SessionJson | null }>(
    await db.execute(sql`select ${sessionJson(sessionKeyHash, now)} as session`))
  return activeSession(row?.session ?? null, sessionKeyHash)
}
