import { sql, type SQL } from 'drizzle-orm'
import { rowsOf, type Db } from './client.ts'
import { executeKept } from './kept-statements.ts'
import { consentCovers, grantConsentCtes, type ConsentSubject } from './consents.ts'
import { eventValues, type NewEvent } from './events.ts'
import type { StoredFacts } from './token-rows.ts'
import { PushedRequestGone, usePushedCtes, type PushedUse } from './pushed-requests.ts'
import { accessTokens, authorizationCodes, events, instant as at } from './schema.ts'

/** The grant one authorization creates: whose, for which provider, which family, with what, since when. */
export interface AuthorizationGrant {
  providerId: number
  userId: number
  /** A fresh uuid per authorization: the family of its code and of every token issued with or from it. */
  grantId: string
  /** The granted scope names, space-joined. */
  scope: string
  /** The session's login time. */
  authTime: Date
  sessionId: string | null
}

/** One authorization code as stored: only the SHA-256 of the code, plus what the token endpoint checks. */
export interface NewAuthorizationCode {
  codeHash: string
  /** Exactly as sent to the authorization endpoint (RFC 6749 §4.1.3: the token request must repeat it). */
  redirectUri: string
  nonce: string | null
  codeChallenge: string | null
  codeChallengeMethod: 'plain' | 'S256' | null
  expires: Date
  /** RFC 8707 resources asked for (null: none). */
  resources?: readonly string[] | null
}

/** A front-channel access token's row: the SHA-256 of its `jti`, its expiry, facts and resources. */
export interface NewFrontChannelAccess {
  hash: string
  expires: Date
  facts: StoredFacts
  audience: readonly string[] | null
}

/** What an authorization writes: a code (code and hybrid flows), an access token (`token` response types), both. */
export interface NewAuthorization {
  grant: AuthorizationGrant
  code: NewAuthorizationCode | null
  access: NewFrontChannelAccess | null
  /** RFC 9126: the pushed request it comes from, consumed by the same statement (nothing is issued without it). */
  pushed?: PushedUse | null
}

/** What decides, in the same statement, whether the code is issued, and what else is written with it. */
export type ConsentClause =
  /** Issue only when a live consent covers the scopes (explicit consent remembered earlier). */
  | { kind: 'required'; subject: ConsentSubject }
  /** The user has just consented: remember it (`expires` null: for good), then issue. */
  | { kind: 'grant'; subject: ConsentSubject; expires: Date | null }
  /** No consent involved (implicit consent, or shown and answered without remembering). */
  | { kind: 'none' }

const jsonbOrNull = (list: readonly string[] | null | undefined) =>
  (list && list.length > 0 ? sql`${JSON.stringify(list)}::jsonb` : sql`null::jsonb`)

/**
 * Issue an authorization (its code, its access token) together with its audit event and, per `consent`, the
 * consent check or the consent write: one statement (a CTE), so the happy path of an authorization costs no extra
 * round trip. False when a required consent is missing; then nothing was written.
 */
export async function issueAuthorizationWith(
  db: Db, values: NewAuthorization, event: NewEvent, consent: ConsentClause, now: Date,
): Promise<boolean> {
  const { grant: g, code: c, access: t } = values
  const e = eventValues(event, now)
  const condition: SQL = consent.kind === 'required' ? consentCovers(consent.subject, now) : sql`true`
  const ctes: SQL[] = consent.kind === 'grant' ? grantConsentCtes(consent.subject, now, consent.expires) : []
  if (values.pushed) {
    ctes.push(...usePushedCtes(values.pushed, condition, now), sql`allowed as (select ok from consumed_par)`)
  } else ctes.push(sql`allowed as (select 1 as ok where ${condition})`)
  if (c) {
    ctes.push(sql`code as (insert into ${authorizationCodes} (code_hash, provider_id, user_id, grant_id, scope,
        auth_time, session_id, redirect_uri, nonce, code_challenge, code_challenge_method, expires, created, resources)
      select ${c.codeHash}::text, ${g.providerId}::int, ${g.userId}::int, ${g.grantId}::uuid, ${g.scope}::text,
        ${at(g.authTime)}, ${g.sessionId}::uuid, ${c.redirectUri}::text, ${c.nonce}::text, ${c.codeChallenge}::text,
        ${c.codeChallengeMethod}::text, ${at(c.expires)}, ${at(now)}, ${jsonbOrNull(c.resources)}
      from allowed)`)
  }
  if (t) {
    ctes.push(sql`access as (insert into ${accessTokens} (token_hash, provider_id, user_id, grant_id, scope,
        auth_time, session_id, id_token, created, expires, audience)
      select ${t.hash}::text, ${g.providerId}::int, ${g.userId}::int, ${g.grantId}::uuid,
        ${g.scope}::text, ${at(g.authTime)}, ${g.sessionId}::uuid, ${JSON.stringify(t.facts)}::jsonb, ${at(now)},
        ${at(t.expires)}, ${jsonbOrNull(t.audience)}
      from allowed)`)
  }
  ctes.push(sql`event as (insert into ${events} (action, "user", client_id, context, client_ip, created, expires)
    select ${e.action}::text, ${JSON.stringify(e.user)}::jsonb, ${e.clientId ?? null}::text,
      ${JSON.stringify(e.context)}::jsonb, ${e.clientIp ?? null}::text, ${at(now)}, ${e.expires ? at(e.expires) : sql`null`}
    from allowed)`)
  const pushed = values.pushed ? sql`, exists (select 1 from continued_par) as continued` : sql``
  const [row] = rowsOf<{ issued: boolean; continued?: boolean }>(
    await executeKept(db, sql`with ${sql.join(ctes, sql`, `)} select exists (select 1 from allowed) as issued${pushed}`))
  // Neither consumed nor continued: used or expired since this request read it.
  if (values.pushed && row?.issued !== true && row?.continued !== true) throw new PushedRequestGone()
  return row?.issued === true
}
