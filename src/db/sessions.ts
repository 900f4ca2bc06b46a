import { sql } from 'drizzle-orm'
import { rowsOf, type Db } from './client.ts'
import { queueLogouts, queuedIds } from './logout-outbox.ts'
import { authenticatedSessions, isLive } from './schema.ts'
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
          and ${isLive(authenticatedSessions, now)} returning id, user_id, session_key_hash)
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
 * `login()` flushes the old session when the user changes). Its id and the queued notifications.
 */
export async function createSession(db: Db, values: {
  sessionKeyHash: string; userId: number; loginTime: Date; amr: string[]; lastIp: string | null
  lastUserAgent: string; expires: Date; replaces?: string | null
}): Promise<{ id: string; notifications: string[] }> {
  const { replaces, ...row } = values
  const insert = db.insert(authenticatedSessions).values({ ...row, created: values.loginTime })
    .returning({ id: authenticatedSessions.id }).getSQL()
  const rows = rowsOf<{ id: string; notifications: string[] }>(await db.execute(sql`with ended as (
      delete from ${authenticatedSessions} where ${authenticatedSessions.sessionKeyHash} = ${replaces ?? null}
        and ${authenticatedSessions.userId} <> ${values.userId} and ${isLive(authenticatedSessions, values.loginTime)}
      returning id, user_id, session_key_hash)
    ${queueLogouts('ended', values.loginTime)}
    , created as (${insert})
    select id, ${queuedIds} from created`))
  const created = rows[0]
  if (!created) throw new Error('insert returned no row')
  return created
}

/** The live session whose cookie hashes to `sessionKeyHash`, with its active user; one statement. */
export async function findSession(db: Db, sessionKeyHash: string, now: Date): Promise<ActiveSession | null> {
  const rows = rowsOf<{ id: string; login_time: string | Date; amr: string[]; user: ClaimUser | null }>(
    await db.execute(sql`select ${authenticatedSessions.id} as id, ${authenticatedSessions.loginTime} as login_time,
        ${authenticatedSessions.amr} as amr, ${claimUserJson(sql`${authenticatedSessions.userId}`)} as user
      from ${authenticatedSessions}
      where ${authenticatedSessions.sessionKeyHash} = ${sessionKeyHash} and ${isLive(authenticatedSessions, now)}`))
  const row = rows[0]
  if (!row?.user || !row.user.isActive) return null
  return { id: row.id, sessionKeyHash, loginTime: new Date(row.login_time), amr: row.amr, user: row.user }
}
