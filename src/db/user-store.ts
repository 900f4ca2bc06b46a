import { eq, inArray, sql, type SQL } from 'drizzle-orm'
import { rowsOf, type Db } from './client.ts'
import { queueLogouts, queuedIds } from './logout-outbox.ts'
import { groups, users } from './schema.ts'

export type UserRow = typeof users.$inferSelect
export type NewUser = typeof users.$inferInsert
export type GroupRow = typeof groups.$inferSelect
export type NewGroup = typeof groups.$inferInsert

// Membership lists travel as one JSON parameter, so a list of any length is one bound value.
const jsonList = (ids: readonly (string | number)[]): SQL => sql`jsonb_array_elements_text(${JSON.stringify(ids)}::jsonb)`

/** The CTE parts that make the memberships of user `u` exactly `groupIds` (disjoint rows, so one statement is safe). */
function syncGroupsOfUser(groupIds: readonly string[]): SQL {
  return sql`, gm_del as (delete from group_memberships where user_id in (select id from u)
      and group_id::text not in (select value from ${jsonList(groupIds)}))
    , gm_ins as (insert into group_memberships (group_id, user_id)
      select g.value::uuid, u.id from u cross join ${jsonList(groupIds)} g on conflict do nothing)`
}

/** The CTE parts that make the members of group `g` exactly `userIds`. */
function syncUsersOfGroup(userIds: readonly number[]): SQL {
  return sql`, gm_del as (delete from group_memberships where group_id in (select id from g)
      and user_id::text not in (select value from ${jsonList(userIds)}))
    , gm_ins as (insert into group_memberships (group_id, user_id)
      select g.id, m.value::int from g cross join ${jsonList(userIds)} m on conflict do nothing)`
}

/**
 * authentik §7.3: a deactivated user loses every access, refresh and device token and every browser session, in
 * the same statement that deactivates it; the sessions' back-channel logout calls are queued there too.
 */
const revokeTokensOfUser = (now: Date) => sql`, at_del as (delete from access_tokens where user_id in (select id from u))
  , rt_del as (delete from refresh_tokens where user_id in (select id from u))
  , dt_del as (delete from device_tokens where user_id in (select id from u))
  , ended as (delete from authenticated_sessions where user_id in (select id from u)
      returning id, user_id, session_key_hash, origin)
  ${queueLogouts('ended', now)}`

async function firstId<K extends string | number>(db: Db, query: SQL): Promise<K | null> {
  return rowsOf<{ id: K }>(await db.execute(query))[0]?.id ?? null
}

/**
 * Insert a user and its group memberships in one statement; its pk, or null when the username is taken.
 * A group that does not exist fails the whole statement with a foreign-key violation.
 */
export async function createUser(db: Db, values: NewUser, groupIds: readonly string[] = []): Promise<number | null> {
  const insert = db.insert(users).values(values).onConflictDoNothing({ target: users.username }).returning({ id: users.id })
  return firstId<number>(db, sql`with u as (${insert.getSQL()})
    ${groupIds.length ? syncGroupsOfUser(groupIds) : sql``} select id from u`)
}

export interface UserChanges {
  values: Partial<NewUser>
  /** When set, the user's memberships become exactly these groups. */
  groupIds?: readonly string[] | undefined
  /** When the change happens (a deactivation queues logout notifications at this time). */
  now: Date
}

/**
 * Change a user, its memberships and (when deactivated) its tokens and sessions in one statement; null when there
 * is no such user, else the logout notifications it queued. Unique and foreign-key violations are thrown for the
 * caller to render.
 */
export async function updateUser(db: Db, userId: number, changes: UserChanges): Promise<{ notifications: string[] } | null> {
  const { values, groupIds } = changes
  const target = Object.keys(values).length
    ? db.update(users).set(values).where(eq(users.id, userId)).returning({ id: users.id }).getSQL()
    : sql`select ${users.id} from ${users} where ${users.id} = ${userId}`
  const deactivates = values.isActive === false
  const rows = rowsOf<{ id: number; notifications: string[] }>(await db.execute(sql`with u as (${target})
    ${groupIds ? syncGroupsOfUser(groupIds) : sql``}
    ${deactivates ? revokeTokensOfUser(changes.now) : sql``}
    select id, ${deactivates ? queuedIds : sql`'[]'::json as notifications`} from u`))
  const row = rows[0]
  return row ? { notifications: row.notifications } : null
}

/** Store a new password hash (Django's `pbkdf2_sha256$...`); the user's pk and username, or null when absent. */
export async function setPassword(
  db: Db, userId: number, hash: string, now: Date,
): Promise<{ pk: number; username: string } | null> {
  const [row] = await db.update(users).set({ passwordHash: hash, passwordChangeDate: now })
    .where(eq(users.id, userId)).returning({ pk: users.id, username: users.username })
  return row ?? null
}

/** Insert a group and its members in one statement; its pk, or null when the name is taken. */
export async function createGroup(db: Db, values: NewGroup, userIds: readonly number[] = []): Promise<string | null> {
  const insert = db.insert(groups).values(values).onConflictDoNothing({ target: groups.name }).returning({ id: groups.id })
  return firstId<string>(db, sql`with g as (${insert.getSQL()})
    ${userIds.length ? syncUsersOfGroup(userIds) : sql``} select id from g`)
}

/** Change a group and (when `userIds` is set) make its members exactly those users, in one statement. */
export async function updateGroup(
  db: Db, groupId: string, values: Partial<NewGroup>, userIds?: readonly number[],
): Promise<boolean> {
  const target = Object.keys(values).length
    ? db.update(groups).set(values).where(eq(groups.id, groupId)).returning({ id: groups.id }).getSQL()
    : sql`select ${groups.id} from ${groups} where ${groups.id} = ${groupId}`
  const id = await firstId<string>(db, sql`with g as (${target})
    ${userIds ? syncUsersOfGroup(userIds) : sql``} select id from g`)
  return id !== null
}

/** The first of `ids` that names no group, to say which one a foreign-key violation was about. */
export async function missingGroup(db: Db, ids: readonly string[]): Promise<string | undefined> {
  const found = new Set((await db.select({ id: groups.id }).from(groups).where(inArray(groups.id, [...ids]))).map((r) => r.id))
  return ids.find((id) => !found.has(id))
}

/** The first of `ids` that names no user. */
export async function missingUser(db: Db, ids: readonly number[]): Promise<number | undefined> {
  const found = new Set((await db.select({ id: users.id }).from(users).where(inArray(users.id, [...ids]))).map((r) => r.id))
  return ids.find((id) => !found.has(id))
}
