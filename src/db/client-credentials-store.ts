import { sql, type SQL } from 'drizzle-orm'
import { rowsOf, type Db } from './client.ts'
import { executeKept } from './kept-statements.ts'
import { eventValues, type NewEvent } from './events.ts'
import { also, insertAccess, type NewAccessToken } from './grant-store.ts'
import { assertProofFresh, proofJtiParts } from './proof-jti.ts'
import { events, seenJtis, users } from './schema.ts'

/** The user a client_credentials / password grant issues for: an existing one, or a generated account to upsert. */
export type GrantAccount =
  /** An existing user, which must still be active. */
  | { kind: 'existing'; id: number }
  /**
   * authentik's `update_or_create` by username: created with `id` (reserved in statement 1) or updated; `email`
   * replaces the stored one only when given; `attributes` are merged in, `createdAttributes` only on creation.
   */
  | { kind: 'generated'; id: number; uuid: string; username: string; name: string; email: string | null; path: string
    attributes: Record<string, unknown>; createdAttributes: Record<string, unknown> }

/** A one-time assertion id (RFC 7523 §3 item 7) and when its assertion expires. */
export interface SeenJti { key: string; expires: Date }

export interface ServiceGrant {
  providerId: number
  grantId: string
  scope: string
  authTime: Date
  account: GrantAccount
  access: NewAccessToken
  event: NewEvent
  jti: SeenJti | null
}

/** What statement 2 did: `issued`, or why not (a replayed `jti`, or the account's pk is not the one signed). */
export interface ServiceGrantResult {
  issued: boolean
  /** False when `jti` was seen before inside its lifetime. */
  fresh: boolean
  /** The account's pk as stored; differs from the signed one when a concurrent request created it first. */
  userId: number | null
  uuid: string | null
}

const at = (date: Date): SQL => sql`${date.toISOString()}::timestamptz`
const jsonb = (value: unknown): SQL => sql`${JSON.stringify(value)}::jsonb`

function accountCte(account: GrantAccount, gate: SQL, now: Date): SQL {
  if (account.kind === 'existing') {
    return sql`account as (select id, uuid from ${users} where id = ${account.id}::int and is_active and ${gate})`
  }
  const a = account
  return sql`account as (insert into ${users} (id, uuid, username, name, email, type, path, attributes, last_login,
      created)
    select ${a.id}::int, ${a.uuid}::uuid, ${a.username}::text, ${a.name}::text, ${a.email ?? ''}::text,
      'service_account', ${a.path}::text, ${jsonb({ ...a.createdAttributes, ...a.attributes })}, ${at(now)}, ${at(now)}
    where ${gate}
    on conflict (username) do update set name = excluded.name, type = excluded.type, path = excluded.path,
      last_login = excluded.last_login, attributes = ${users}.attributes || ${jsonb(a.attributes)}
      ${a.email === null ? sql`` : sql`, email = excluded.email`}
    returning id, uuid)`
}

/**
 * RFC 6749 §4.4.3 (authentik `create_client_credentials_response`): in one statement, record the assertion's `jti`
 * (a conflict with a live record is a replay, and then nothing else is written), create or update the account,
 * store the access token and the `login` event. The token is stored only if the account's pk is the one it was
 * signed for; when a concurrent request created the account first, the caller signs again for `userId` (a third
 * statement, only on that lost race).
 */
export async function issueServiceGrant(db: Db, grant: ServiceGrant, now: Date, extra: SQL | null = null):
  Promise<ServiceGrantResult> {
  const ctes: SQL[] = []
  // RFC 9449 §11.1: a replayed DPoP proof writes no account and no token.
  const proof = proofJtiParts(grant.access.proofJti, now)
  let gate = proof.gate
  if (grant.jti) {
    const j = seenJtis
    ctes.push(sql`jti as (insert into ${j} (key, created, expires, expiring)
      values (${grant.jti.key}::text, ${at(now)}, ${at(grant.jti.expires)}, true)
      on conflict (key) do update set created = excluded.created, expires = excluded.expires
        where ${j}.expiring and ${j}.expires <= ${at(now)}
      returning 1)`)
    gate = sql`${gate} and exists (select 1 from jti)`
  }
  ctes.push(accountCte(grant.account, gate, now))
  ctes.push(sql`grant_row as (select ${grant.providerId}::int as provider_id, id as user_id,
      ${grant.grantId}::uuid as grant_id, ${grant.scope}::text as scope, ${at(grant.authTime)} as auth_time,
      null::uuid as session_id
    from account where id = ${grant.account.id}::int)`)
  ctes.push(sql`access as (${insertAccess(sql.raw('grant_row'), grant.access, now)})`)
  const e = eventValues(grant.event, now)
  ctes.push(sql`event as (insert into ${events} (action, "user", client_id, context, client_ip, created, expires)
    select ${e.action}::text, ${jsonb(e.user)}, ${e.clientId ?? null}::text, ${jsonb(e.context)},
      ${e.clientIp ?? null}::text, ${at(now)}, ${e.expires ? at(e.expires) : sql`null`} from access)`)
  const fresh = grant.jti ? sql`exists (select 1 from jti)` : sql`true`
  const [row] = rowsOf<ServiceGrantResult & { proofFresh: boolean | null }>(await executeKept(db, sql`with ${proof.cte}${
    sql.join(ctes, sql`, `)}${also(extra)}
    select exists (select 1 from access) as issued, ${fresh} as fresh, (select id from account) as "userId",
      (select uuid from account) as uuid, ${proof.fresh} as "proofFresh"`))
  assertProofFresh(row?.proofFresh)
  return { issued: row?.issued === true, fresh: row?.fresh === true, userId: row?.userId ?? null,
    uuid: row?.uuid ?? null }
}

/** A pk for a generated account that statement 1 did not reserve one for (see `credentialsArtefact`). */
export async function reserveUserId(db: Db): Promise<number> {
  const [row] = rowsOf<{ id: number | string }>(
    await db.execute(sql`select nextval(pg_get_serial_sequence('users', 'id')) as id`))
  return Number(row!.id)
}
