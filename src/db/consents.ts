import { sql, type SQL } from 'drizzle-orm'
import { consents } from './schema.ts'

/** Who consents to what: a user, an application and the scope names of one authorization. */
export interface ConsentSubject {
  userId: number
  applicationId: string
  scopes: readonly string[]
}

const at = (date: Date) => sql`${date.toISOString()}::timestamptz`

/** A `text[]` of the scope names (an empty array is fine). */
export function textArray(values: readonly string[]): SQL {
  return sql`array[${sql.join(values.map((v) => sql`${v}`), sql`, `)}]::text[]`
}

/**
 * SQL boolean: a live consent of the user for the application covers every requested scope (authentik's
 * `UserConsent` lookup; `permissions` is the space-joined scope set, so "covers" is a superset test).
 */
export function consentCovers(subject: ConsentSubject, now: Date): SQL<boolean> {
  return sql<boolean>`exists (select 1 from ${consents}
    where ${consents.userId} = ${subject.userId}::int and ${consents.applicationId} = ${subject.applicationId}::uuid
      and (not ${consents.expiring} or ${consents.expires} > ${at(now)})
      and string_to_array(${consents.permissions}, ' ') @> ${textArray(subject.scopes)})`
}

/**
 * CTEs (named `consent_old`, `consent_new`) that replace the user's consents for the application with one row
 * whose permissions are the union of the live ones and `scopes`, sorted. `expires` null: it does not expire.
 */
export function grantConsentCtes(subject: ConsentSubject, now: Date, expires: Date | null): SQL[] {
  return [
    sql`consent_old as (delete from ${consents}
      where user_id = ${subject.userId}::int and application_id = ${subject.applicationId}::uuid
      returning permissions, expiring, expires)`,
    sql`consent_new as (insert into ${consents} (user_id, application_id, permissions, expiring, expires, created)
      select ${subject.userId}::int, ${subject.applicationId}::uuid,
        coalesce((select string_agg(s, ' ' order by s) from (
          select unnest(string_to_array(permissions, ' ')) as s from consent_old
            where not expiring or expires > ${at(now)}
          union select unnest(${textArray(subject.scopes)})) as granted where s <> ''), ''),
        ${expires !== null}, ${expires ? at(expires) : sql`null`}, ${at(now)})`,
  ]
}
