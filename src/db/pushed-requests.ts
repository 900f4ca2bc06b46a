import { and, eq, sql, type SQL, type SQLWrapper } from 'drizzle-orm'
import type { PgColumn } from 'drizzle-orm/pg-core'
import type { Db } from './client.ts'
import type { Bound } from './prepared.ts'
import { isLive, pushedAuthorizationRequests as par } from './schema.ts'

/** A pushed authorization request as authorize finds it: its row, and the parameters the client pushed. */
export interface PushedRequest {
  /** The SHA-256 (hex) of the `request_uri`'s random part, as stored. */
  hash: string
  providerId: number
  parameters: Record<string, string | string[]>
}

/** A new reference for a request that continues through sign-in or consent, and what it then carries. */
export interface PushedContinuation {
  hash: string
  parameters: Record<string, string | string[]>
  expires: Date
}

/** How the issuing statement uses a pushed request: consumed when issued, else continued by `next` (if given). */
export interface PushedUse {
  request: PushedRequest
  next: PushedContinuation | null
}

/** RFC 9126 §2.2: store a pushed request (only the hash of its reference); one statement. */
export async function storePushedRequest(db: Db, values: {
  hash: string; providerId: number; parameters: Record<string, string | string[]>; expires: Date; now: Date
}): Promise<void> {
  await db.insert(par).values({ requestUriHash: values.hash, providerId: values.providerId,
    parameters: values.parameters, created: values.now, expires: values.expires })
}

/**
 * The live pushed parameters of `hash` for the provider `providerId` as one JSON subquery, so that authorize reads
 * them in its first statement with the client and the session (a query builder: drizzle's relational `extras`
 * rewrite the columns of plain `sql`).
 */
export function pushedParametersQuery(db: Db, hash: Bound<string>, providerId: PgColumn | SQL, now: Bound<Date>):
  SQLWrapper {
  return db.select({ parameters: par.parameters }).from(par)
    .where(and(eq(par.requestUriHash, hash), eq(par.providerId, providerId), isLive(par, now)))
}

const live = (hash: string, providerId: number, now: Date): SQL =>
  sql`${par.requestUriHash} = ${hash} and ${par.providerId} = ${providerId} and ${isLive(par, now)}`

/**
 * RFC 9126 §4 / §7.3: the CTEs of the issuing statement. `consumed_par` deletes the pushed request when, and only
 * when, `condition` lets the authorization be issued (the inserts select from it, so a request lost to a
 * concurrent use issues nothing); otherwise `continued_par` gives it its next reference (`next`), so that the
 * consent page costs no statement of its own. The two conditions exclude each other: one row, one change.
 */
export function usePushedCtes(use: PushedUse, condition: SQL, now: Date): SQL[] {
  const { request, next } = use
  const where = live(request.hash, request.providerId, now)
  const ctes = [sql`consumed_par as (delete from ${par} where ${where} and ${condition} returning 1 as ok)`]
  ctes.push(next === null ? sql`continued_par as (select 1 as ok where false)`
    : sql`continued_par as (update ${par} set request_uri_hash = ${next.hash},
        parameters = ${JSON.stringify(next.parameters)}::jsonb, expires = ${next.expires.toISOString()}::timestamptz
      where ${where} and not (${condition}) returning 1 as ok)`)
  return ctes
}

/**
 * The request continues through sign-in or consent: its reference is used up and replaced by `next` (single use,
 * RFC 9126 §7.3), with the parameters to carry on and a lifetime for the user's interaction. False when the
 * request was used or expired meanwhile. One statement.
 */
export async function continuePushedRequest(db: Db, pushed: PushedRequest, next: PushedContinuation, now: Date):
  Promise<boolean> {
  const rows = await db.update(par)
    .set({ requestUriHash: next.hash, parameters: next.parameters, expires: next.expires })
    .where(live(pushed.hash, pushed.providerId, now))
    .returning({ id: par.id })
  return rows.length === 1
}

/** Thrown by the issuing statement when its pushed request was used or expired meanwhile. */
export class PushedRequestGone extends Error {
  override name = 'PushedRequestGone'
}
