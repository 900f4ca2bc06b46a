import { sql, type SQL } from 'drizzle-orm'
import type { StatementRead } from './client-statement.ts'
import {
  appTokens, applications, events, groupMemberships, groups, instant as at, providerScopeMappings,
  scopeMappings, seenJtis, users,
} from './schema.ts'
import type { ResourceRequest } from './resource-audience.ts'
import { insertAccess, NO_REFRESH, storedTokenColumns, type NewAccess } from './token-rows.ts'
import { claimUserJson } from './user-claims.ts'

/**
 * RFC 6749 §4.4 client_credentials and §4.3 password (authentik §4.4/§4.5) in one statement: whose the tokens are
 * (an existing user, found by the request's credentials, or a generated service account, created or updated by
 * the statement, authentik's `update_or_create`), the checks on it, and the access token and `login` event.
 */

const jsonb = (value: unknown): SQL => sql`${JSON.stringify(value)}::jsonb`

/** The read `app` (alias `a`): the client's application. */
export const applicationRead: StatementRead = { name: 'app', alias: 'a', query: sql`select a.id, a.name, a.slug,
    a.group_id from ${applications} a where a.provider_id = (select id from provider)` }

/**
 * The read `owner` (alias `o`): the user named `username` (exactly, as authentik's lookup) and the identifier of
 * a live app password of theirs whose SHA-256 is `keyHash`.
 */
export function ownerRead(username: string, keyHash: string, now: Date): StatementRead {
  return { name: 'owner', alias: 'o', query: sql`select ow.id, ow.is_active,
      (select k.identifier from ${appTokens} k where k.user_id = ow.id and k.intent = 'app_password'
        and k.key_hash = ${keyHash}::text and (not k.expiring or k.expires > ${at(now)}) limit 1) as token_identifier
    from ${users} ow where ow.username = ${username}::text` }
}

/** A generated service account, as authentik's `update_or_create` by username writes it (SQL text expressions). */
export interface GeneratedAccount {
  username: SQL
  name: SQL
  /** Replaces the stored email only when given. */
  email: SQL | null
  path: SQL
  /** Merged into the stored attributes. */
  attributes: Record<string, unknown>
  /** Only on creation (an SQL jsonb). */
  createdAttributes: SQL
}

/** The read `existing` (alias `x`): the generated account as it is before this request (none: null columns). */
export function existingAccountRead(account: GeneratedAccount): StatementRead {
  return { name: 'existing', alias: 'x', query: sql`select u.id, u.is_active,
      coalesce((select array_agg(m.group_id) from ${groupMemberships} m where m.user_id = u.id), '{}') as group_ids
    from ${users} u where u.username = (select ${account.username} from provider p left join app a on true)` }
}

/**
 * Who the tokens are for: a generated account (created or updated) when `when` holds, else an existing user (its
 * pk an SQL int, from a read) when `existingWhen` holds (both default to true; the statement decides between them
 * when the request's credentials may be either, e.g. a provider secret or a legacy app password).
 */
export interface CredentialsAccount {
  generated?: GeneratedAccount
  when?: SQL
  existing?: SQL
  existingWhen?: SQL
}

/** What the statement needs besides the account. */
export interface CredentialsIssue {
  account: CredentialsAccount
  grantId: string
  /** The requested scope names, deduplicated in their order (those the provider has mappings for are granted). */
  scopes: readonly string[]
  /** RFC 8707: the resources asked (their audience; null: the default audience). */
  resources: ResourceRequest
  access: Omit<NewAccess, 'audience'>
  /** authentik's `auth_method` and `auth_method_args` of the `login` event (SQL text and jsonb). */
  method: SQL
  methodArgs: SQL | null
  /** RFC 7523 §3 item 7: a client assertion's one-time id, recorded (a live record is a replay: nothing written). */
  jti: { key: string; expires: Date } | null
  clientIp: string | null
  now: Date
}

/** The granted scopes: the asked ones the provider has mappings for, in the order asked (authentik §4.1). */
function grantedScopes(scopes: readonly string[]): SQL {
  if (scopes.length === 0) return sql`''::text`
  return sql`array_to_string(array(select s from unnest(array[${sql.join(scopes.map((s) => sql`${s}::text`),
    sql`, `)}]) with ordinality as u(s, n) where s in (select m.scope_name from ${providerScopeMappings} pm
      join ${scopeMappings} m on m.id = pm.scope_mapping_id where pm.provider_id = (select id from provider))
    order by n), ' ')`
}

/** Whether the account (its groups: an SQL uuid[]) may use the application (its group binding). */
export const inGroup = (groupIds: SQL): SQL => sql`(a.group_id is null or a.group_id = any(${groupIds}))`

/** The group ids of an existing user (for `inGroup`). */
export const groupsOf = (userId: SQL): SQL =>
  sql`array(select m.group_id from ${groupMemberships} m where m.user_id = ${userId})`

/** The account's CTE `account` (`id`, and the `ClaimUser` JSON as `"user"`), gated on `when`. */
function accountCte(account: CredentialsAccount, when: SQL, now: Date): SQL {
  const parts: SQL[] = []
  const ctes: SQL[] = []
  const g = account.generated
  if (g) {
    // The upsert's own answer is the account as it now is: the statement's snapshot would not see a new row. A pk
    // comes from the sequence only when the account is new (COALESCE evaluates lazily): an upsert would take one
    // on every request otherwise, and int4 pks would run out.
    ctes.push(sql`upserted as (insert into ${users} (id, username, name, email, type, path, attributes, last_login,
        created)
      select coalesce(x.id, nextval(pg_get_serial_sequence('users', 'id'))::int), ${g.username}, ${g.name},
        coalesce(${g.email ?? sql`null::text`}, ''), 'service_account', ${g.path},
        ${g.createdAttributes} || ${jsonb(g.attributes)}, ${at(now)}, ${at(now)}
      from provider p left join app a on true left join existing x on true
      where ${when} and ${account.when ?? sql`true`}
      on conflict (username) do update set name = excluded.name, type = excluded.type, path = excluded.path,
        last_login = excluded.last_login, attributes = ${users}.attributes || ${jsonb(g.attributes)}
        ${g.email === null ? sql`` : sql`, email = excluded.email`}
      returning id, uuid, username, name, email, is_active, type, attributes)`)
    parts.push(sql`select id, json_build_object('id', id, 'uuid', uuid, 'username', username, 'name', name,
        'email', email, 'isActive', is_active, 'type', type, 'attributes', attributes,
        'groups', coalesce((select json_agg(json_build_object('id', gr.id, 'name', gr.name) order by gr.name)
          from ${groupMemberships} m join ${groups} gr on gr.id = m.group_id where m.user_id = upserted.id), '[]'::json))
        as "user"
      from upserted where is_active`)
  }
  if (account.existing) {
    parts.push(sql`select eu.id, ${claimUserJson(sql`eu.id`)} as "user" from ${users} eu
      where eu.id = (${account.existing}) and eu.is_active and ${when} and ${account.existingWhen ?? sql`true`}`)
  }
  ctes.push(sql`account as (${sql.join(parts, sql` union all `)})`)
  return sql.join(ctes, sql`, `)
}

/**
 * The writes, when `passed`: the assertion's `jti` (first: a replay writes nothing else), the account, the access
 * token (auth_time now, no session) and the `login` event. The generated account gets a fresh pk from the
 * sequence only when it is created.
 */
export function credentialsWrites(q: CredentialsIssue, passed: SQL): SQL[] {
  const ctes: SQL[] = []
  let gate = passed
  if (q.jti) {
    ctes.push(sql`assertion_jti as (insert into ${seenJtis} (key, created, expires, expiring)
      select ${q.jti.key}::text, ${at(q.now)}, ${at(q.jti.expires)}, true where ${passed}
      on conflict (key) do update set created = excluded.created, expires = excluded.expires
        where ${seenJtis}.expiring and ${seenJtis}.expires <= ${at(q.now)}
      returning 1)`)
    gate = sql`(${passed} and exists (select 1 from assertion_jti))`
  }
  ctes.push(accountCte(q.account, gate, q.now))
  ctes.push(sql`grant_source as (select (select id from provider) as provider_id, id as user_id,
      ${q.grantId}::uuid as grant_id, ${grantedScopes(q.scopes)} as scope, ${at(q.now)} as auth_time,
      null::uuid as session_id, null::jsonb as resources, null::text as nonce, null::jsonb as amr, null::text as sid
    from account)`)
  ctes.push(sql`access as (${insertAccess('grant_source', { ...q.access,
    audience: q.resources.asked ? jsonb(q.resources.asked) : sql`null::jsonb` }, q.now, false)})`, NO_REFRESH)
  ctes.push(sql`login as (insert into ${events} (action, "user", client_id, context, client_ip, created, expires)
    select 'login', jsonb_build_object('pk', account.id, 'username', account."user"->>'username'), p.client_id,
      jsonb_strip_nulls(jsonb_build_object('auth_method', ${q.method},
        'auth_method_args', ${q.methodArgs ?? sql`null::jsonb`})) || jsonb_build_object('application',
        jsonb_build_object('pk', a.id, 'name', a.name, 'slug', a.slug)),
      ${q.clientIp}::text, ${at(q.now)}, ${at(q.now)} + interval '365 days'
    from account cross join provider p cross join app a where exists (select 1 from access))`)
  return ctes
}

/** What the statement answers: the stored token, the account as it now is, the granted scope. */
export function credentialsColumns(q: CredentialsIssue): SQL[] {
  return [storedTokenColumns, sql`(select "user" from account) as "user"`,
    sql`(select scope from grant_source) as scope`,
    q.jti ? sql`exists (select 1 from assertion_jti) as assertion_fresh` : sql`true as assertion_fresh`]
}
