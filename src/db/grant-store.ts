import { sql, type SQL } from 'drizzle-orm'
import type { Db } from './client.ts'
import { eventValues, type NewEvent } from './events.ts'
import { accessTokens, events, instant as at, refreshTokens } from './schema.ts'

const jsonb = (value: unknown): SQL => sql`${JSON.stringify(value)}::jsonb`

/**
 * RFC 9700 §4.5 / §4.14.2: a replayed code or refresh token revokes its whole family (every access token deleted,
 * every refresh token revoked) and leaves a `suspicious_request` event with the counts, in one statement.
 */
export async function revokeFamily(
  db: Db, family: { providerId: number; grantId: string }, event: NewEvent, now: Date,
): Promise<void> {
  const e = eventValues(event, now)
  const where = sql`grant_id = ${family.grantId}::uuid and provider_id = ${family.providerId}::int`
  await db.execute(sql`with gone as (delete from ${accessTokens} where ${where} returning 1),
    revoked as (update ${refreshTokens} set revoked = true where ${where} and not revoked returning 1)
    insert into ${events} (action, "user", client_id, context, client_ip, created, expires)
    select ${e.action}::text, ${jsonb(e.user)}, ${e.clientId ?? null}::text,
      ${jsonb(e.context)} || jsonb_build_object('revoked_access_tokens', (select count(*) from gone),
        'revoked_refresh_tokens', (select count(*) from revoked)),
      ${e.clientIp ?? null}::text, ${at(now)}, ${e.expires ? at(e.expires) : sql`null`}`)
}
