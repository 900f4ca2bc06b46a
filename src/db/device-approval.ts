import { sql, type SQL } from 'drizzle-orm'
import { rowsOf, type Db } from './client.ts'
import type { ConsentClause } from './codes.ts'
import { consentCovers, grantConsentCtes } from './consents.ts'
import { eventValues, type NewEvent } from './events.ts'
import { attemptCte, type Attempt } from './failure-counters.ts'
import {
  applications, deviceTokens, events, instant as at, isLive, providers, providerScopeMappings, scopeMappings,
} from './schema.ts'

/** A pending device authorization as the `/device` page shows it: its client, application and scopes. */
export interface PendingDevice {
  id: string
  scopes: string[]
  clientId: string
  authorizationFlow: string
  application: { id: string; name: string; slug: string; groupId: string | null }
  /** The provider's mappings of the token's scopes, ordered by scope name then name. */
  mappings: Array<{ scopeName: string; description: string }>
}

/**
 * One statement for a user code entered on the page: the live, pending device token of an application with that
 * (stored-form) user code, and the address's wrong codes checked and, when it matched nothing, counted
 * (src/db/failure-counters.ts: a burst of guesses gets no more answered than the limit). `allowed`: false once the
 * address reached its limit, a right code then refused like a wrong one.
 */
export async function findPendingDevice(db: Db, options: { userCode: string; attempt: Attempt; now: Date }):
  Promise<{ device: PendingDevice | null; allowed: boolean }> {
  const { now } = options
  const d = deviceTokens
  const kind = sql`(case when exists (select 1 from token) then 'pass' else 'address' end)`
  const [row] = rowsOf<{ device: (Omit<PendingDevice, 'scopes'> & { scope: string }) | null; allowed: boolean }>(
    await db.execute(sql`with token as (
      select ${d.id} as id, ${d.scope} as scope, p.client_id, p.authorization_flow, p.id as provider_id,
        json_build_object('id', a.id, 'name', a.name, 'slug', a.slug, 'groupId', a.group_id) as application
      from ${d} join ${providers} p on p.id = ${d.providerId} join ${applications} a on a.provider_id = p.id
      where ${d.userCode} = ${options.userCode}::text and ${d.status} = 'pending' and ${isLive(d, now)}),
    ${attemptCte(options.attempt, kind)}
    select (select json_build_object('id', id, 'scope', scope, 'clientId', client_id,
        'authorizationFlow', authorization_flow, 'application', application,
        'mappings', (select coalesce(json_agg(json_build_object('scopeName', m.scope_name,
            'description', m.description) order by m.scope_name, m.name), '[]'::json)
          from ${scopeMappings} m join ${providerScopeMappings} pm on pm.scope_mapping_id = m.id
          where pm.provider_id = token.provider_id and m.scope_name = any(string_to_array(token.scope, ' '))))
        from token) as device,
      (select allowed from attempt) as allowed`))
  const allowed = row?.allowed === true
  if (!row?.device || !allowed) return { device: null, allowed }
  const { scope, ...device } = row.device
  return { device: { ...device, scopes: scope.split(' ').filter((s) => s !== '') }, allowed }
}

/**
 * The user approves the device (authentik's device finish stage): the pending token gets the user, the session and
 * its login time, with the `authorize_application` event and, per `consent`, the consent check or write, in one
 * statement. False when it was no longer pending, or a required consent is missing (then nothing was written).
 */
export async function approveDevice(db: Db, values: {
  tokenId: string; userId: number; sessionId: string; authTime: Date; consent: ConsentClause; event: NewEvent
  now: Date
}): Promise<boolean> {
  const { consent, now } = values
  const d = deviceTokens
  const e = eventValues(values.event, now)
  const condition: SQL = consent.kind === 'required' ? consentCovers(consent.subject, now) : sql`true`
  const ctes: SQL[] = consent.kind === 'grant' ? grantConsentCtes(consent.subject, now, consent.expires) : []
  ctes.push(sql`approved as (update ${d} set status = 'approved', user_id = ${values.userId}::int,
      session_id = ${values.sessionId}::uuid, auth_time = ${at(values.authTime)}
    where ${d.id} = ${values.tokenId}::uuid and ${d.status} = 'pending' and ${d.userId} is null and ${isLive(d, now)}
      and ${condition}
    returning id)`)
  ctes.push(sql`event as (insert into ${events} (action, "user", client_id, context, client_ip, created, expires)
    select ${e.action}::text, ${JSON.stringify(e.user)}::jsonb, ${e.clientId ?? null}::text,
      ${JSON.stringify(e.context)}::jsonb, ${e.clientIp ?? null}::text, ${at(now)}, ${e.expires ? at(e.expires) : sql`null`}
    from approved)`)
  const [row] = rowsOf<{ approved: boolean }>(
    await db.execute(sql`with ${sql.join(ctes, sql`, `)} select exists (select 1 from approved) as approved`))
  return row?.approved === true
}

/** The user refused (RFC 8628 §3.5 `access_denied` for the device): the pending token is marked denied. */
export async function denyDevice(db: Db, tokenId: string, userId: number, now: Date): Promise<boolean> {
  const d = deviceTokens
  const rows = rowsOf<{ id: string }>(await db.execute(sql`update ${d} set status = 'denied', user_id = ${userId}::int
    where ${d.id} = ${tokenId}::uuid and ${d.status} = 'pending' and ${isLive(d, now)} returning id`))
  return rows.length === 1
}
