import { sql, type SQL } from 'drizzle-orm'
import { rowsOf, type Db } from './client.ts'
import { textArray } from './consents.ts'
import { executeKept } from './kept-statements.ts'
import { bundleColumns, bundleOfRow, providerCte, type BundleRow } from './provider-row.ts'
import type { ProviderBundle } from './providers.ts'
import {
  accessTokens, authenticatedSessions, authorizationCodes, consents, events, groupMemberships, instant as at,
  providerScopeMappings, scopeMappings,
} from './schema.ts'
import { activeSession, sessionJson, type ActiveSession } from './sessions.ts'
import { insertAccess, storedToken, type StoredToken } from './token-rows.ts'
import { claimUserJson } from './user-claims.ts'

/**
 * A signed-in authorization in one statement (the DESIGN budget): the client's provider and the browser session
 * are read, and the authorization the request would get (its code, its front-channel access token, its
 * `authorize_application` event) is written in the same statement whenever what the database knows allows it:
 * a live session of an active user in the application's group, within `max_age`, a provider allowing the grant,
 * consent implicit or remembered for the scopes, no `prompt` that asks for a page. The request is then validated
 * as always, in JavaScript (src/oauth/authorize-request.ts); a code whose value is never sent is harmless, and a
 * request refused after all deletes what was written (`undoSpeculation`, one more statement, on a failure only).
 */

/** What the request alone says, and the values it chose (computed before the statement). */
export interface Speculation {
  clientId: string
  sessionKeyHash: string
  /** `authorization_code`, `implicit` or `hybrid`: the provider must allow it. */
  grant: string
  returns: { code: boolean; accessToken: boolean }
  /** The asked scope names, once each in order (none: all the provider's), and what the endpoint adds. */
  scopes: readonly string[]
  extraScopes: readonly string[]
  redirectUri: string
  nonce: string | null
  codeChallenge: string | null
  codeChallengeMethod: string | null
  /** Seconds; null: none (a value that is no number: no speculation). */
  maxAge: number | null
  /** `prompt` asks for a page (`login`, `consent`): nothing is written. */
  promptsPage: boolean
  resources: readonly string[] | null
  codeHash: string | null
  access: { hash: string } | null
  grantId: string
  event: { clientIp: string | null }
  implicitFlow: string
  now: Date
}

/** What the statement read, and whether (and what) it wrote. */
export interface SpeculationResult {
  bundle: ProviderBundle | null
  session: ActiveSession | null
  /** The granted scope names as the statement computed them (space-joined), when it wrote. */
  written: { scope: string; codeId: string | null; eventId: string; access: StoredToken | null } | null
}

/** The asked scopes the provider has mappings for (or the endpoint adds), in their order; none asked: all mapped. */
function grantedScope(s: Speculation): SQL {
  const mapped = sql`(select array_agg(distinct m.scope_name) from ${providerScopeMappings} pm
    join ${scopeMappings} m on m.id = pm.scope_mapping_id where pm.provider_id = (select id from provider))`
  const asked = sql`array(select x from unnest(${textArray(s.scopes)}) with ordinality as u(x, n)
    where x = any(coalesce(${mapped}, '{}') || ${textArray(s.extraScopes)}) order by n)`
  const all = sql`array(select distinct m.scope_name from ${providerScopeMappings} pm
    join ${scopeMappings} m on m.id = pm.scope_mapping_id where pm.provider_id = (select id from provider)
    order by m.scope_name)`
  // OIDC Core §11: offline_access is ignored unless a code is returned.
  const scopes = s.scopes.length === 0 ? all : asked
  const kept = s.returns.code ? scopes : sql`array_remove(${scopes}, 'offline_access')`
  return sql`array_to_string(${kept}, ' ')`
}

/** The statement's condition: what the database knows allows the authorization (see the module comment). */
function allowed(s: Speculation): SQL {
  const redirect = sql`exists (select 1 from jsonb_array_elements(p.redirect_uris) e
    where e->>'redirect_uri_type' = 'authorization' and (e->>'matching_mode' = 'regex' or e->>'url' = ${s.redirectUri}::text))`
  const pkce = s.returns.code && s.codeChallenge === null ? sql`p.client_type <> 'public'` : sql`true`
  const maxAge = s.maxAge === null ? sql`true`
    : sql`${at(s.now)} - se.login_time <= ${s.maxAge}::bigint * interval '1 second'`
  const resources = s.resources === null ? sql`true`
    : sql`p.allowed_resources @> ${JSON.stringify(s.resources)}::jsonb`
  return sql`(select ${!s.promptsPage}::boolean and p.id is not null and a.id is not null and se.id is not null
      and coalesce((se."user"->>'isActive')::boolean, false)
      and (a.group_id is null or exists (select 1 from ${groupMemberships} m
        where m.user_id = se.user_id and m.group_id = a.group_id))
      and p.grant_types @> jsonb_build_array(${s.grant}::text) and ${redirect} and ${pkce} and ${maxAge}
      and ${resources}
      and (${s.returns.code || !s.returns.accessToken}::boolean or 'openid' = any(string_to_array(g.scope, ' ')))
      and (p.authorization_flow = ${s.implicitFlow}::text or exists (select 1 from ${consents} c
        where c.user_id = se.user_id and c.application_id = a.id and (not c.expiring or c.expires > ${at(s.now)})
          and string_to_array(c.permissions, ' ') @> string_to_array(g.scope, ' ')))
    from (select 1) as one left join provider p on true left join app a on true left join session se on true
      left join granted g on true)`
}

/** Read and, when allowed, write: one statement. */
export async function speculate(db: Db, s: Speculation): Promise<SpeculationResult> {
  const ok = sql`(select value from ok)`
  const source = sql`select p.id as provider_id, se.user_id, ${s.grantId}::uuid as grant_id, g.scope,
      se.login_time as auth_time, se.id as session_id, ${s.resources ? sql`${JSON.stringify(s.resources)}::jsonb`
        : sql`null::jsonb`} as resources, ${s.nonce}::text as nonce, se.amr, se.session_key_hash as sid
    from provider p cross join session se cross join granted g where ${ok}`
  const ctes: SQL[] = [
    providerCte(s.clientId),
    sql`app as (select a.id, a.name, a.slug, a.group_id from applications a where a.provider_id = (select id from provider))`,
    sql`session as (select s.id, s.user_id, s.login_time, s.amr, s.session_key_hash,
        ${claimUserJson(sql`s.user_id`)} as "user"
      from ${authenticatedSessions} s where s.session_key_hash = ${s.sessionKeyHash}::text
        and (not s.expiring or s.expires > ${at(s.now)}))`,
    sql`granted as (select ${grantedScope(s)} as scope)`,
    sql`ok as (select ${allowed(s)} as value)`,
    sql`source as (${source})`,
    s.codeHash === null ? sql`code as (select null::uuid as id where false)`
      : sql`code as (insert into ${authorizationCodes} (code_hash, provider_id, user_id, grant_id, scope, auth_time,
          session_id, redirect_uri, nonce, code_challenge, code_challenge_method, expires, created, resources)
        select ${s.codeHash}::text, provider_id, user_id, grant_id, scope, auth_time, session_id,
          ${s.redirectUri}::text, nonce, ${s.codeChallenge}::text, ${s.codeChallengeMethod}::text,
          ${at(s.now)} + (select access_code_validity_ms from provider) * interval '1 millisecond', ${at(s.now)},
          resources
        from source returning id)`,
    s.access === null ? sql`access as (select null::timestamptz as expires, null::jsonb as id_token where false)`
      : sql`access as (${insertAccess('source', { hash: s.access.hash, jkt: null,
        audience: s.resources ? sql`${JSON.stringify(s.resources)}::jsonb` : sql`null::jsonb` }, s.now, true)})`,
    sql`event as (insert into ${events} (action, "user", client_id, context, client_ip, created, expires)
      select 'authorize_application', jsonb_build_object('pk', se.user_id, 'username', se."user"->>'username'),
        p.client_id, jsonb_build_object('authorized_application', jsonb_build_object('pk', a.id, 'name', a.name,
          'slug', a.slug), 'scopes', g.scope), ${s.event.clientIp}::text, ${at(s.now)}, ${at(s.now)} + interval '365 days'
      from provider p cross join app a cross join session se cross join granted g where ${ok} returning id)`,
  ]
  const [row] = rowsOf<BundleRow & { session: unknown; ok: boolean | null; scope: string | null; code_id: string | null
    event_id: string | null; access: unknown }>(await executeKept(db, sql`with ${sql.join(ctes, sql`, `)}
    select ${bundleColumns}, ${sessionJson(s.sessionKeyHash, s.now)} as session, ${ok} as ok,
      (select scope from granted) as scope, (select id from code) as code_id, (select id from event) as event_id,
      (select row_to_json(access) from access) as access`))
  const bundle = bundleOfRow(row)
  const session = bundle && row ? activeSession(row.session as Parameters<typeof activeSession>[0], s.sessionKeyHash)
    : null
  const written = row?.ok === true && row.event_id ? { scope: row.scope ?? '', codeId: row.code_id,
    eventId: row.event_id, access: storedToken(row.access) } : null
  return { bundle, session, written }
}

/** A request refused after all: what its statement wrote for it is deleted (one statement). */
export async function undoSpeculation(db: Db, s: Pick<Speculation, 'codeHash' | 'access'>, eventId: string):
  Promise<void> {
  await db.execute(sql`with gone_code as (delete from ${authorizationCodes} where code_hash = ${s.codeHash}::text),
    gone_access as (delete from ${accessTokens} where token_hash = ${s.access?.hash ?? null}::text)
    delete from ${events} where id = ${eventId}::uuid`)
}
