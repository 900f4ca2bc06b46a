import { and, eq, sql, type SQL, type SQLWrapper } from 'drizzle-orm'
import type { PgColumn } from 'drizzle-orm/pg-core'
import type { Db } from './client.ts'
import { isLive, pushedAuthorizationRequests as par } from './schema.ts'

/** A pushed authorization request as authorize finds it: its row, and the parameters the client pushed. */
export interface PushedRequest {
  /** The SHA-256 (hex) of the `request_uri`'s random part, as stored. */
  hash: string
  providerId: number
  parameters: Record<string, string>
}

/** RFC 9126 §2.2: store a pushed request (only the hash of its reference); one statement. */
export async function storePushedRequest(db: Db, values: {
  hash: string; providerId: number; parameters: Record<string, string>; expires: Date; now: Date
}): Promise<void> {
  await db.insert(par).values({ requestUriHash: values.hash, providerId: values.providerId,
    parameters: values.parameters, created: values.now, expires: values.expires })
}

/**
 * The live pushed parameters of `hash` for the provider `providerId` as one JSON subquery, so that authorize reads
 * them in its first statement with the client and the session (a query builder: drizzle's relational `extras`
 * rewrite the columns of plain `sql`).
 */
export function pushedParametersQuery(db: Db, hash: string, providerId: PgColumn, now: Date): SQLWrapper {
  return db.select({ parameters: par.parameters }).from(par)
    .where(and(eq(par.requestUriHash, hash), eq(par.providerId, providerId), isLive(par, now)))
}

const live = (hash: string, providerId: number, now: Date): SQL =>
  sql`${par.requestUriHash} = ${hash} and ${par.providerId} = ${providerId} and ${isLive(par, now)}`

/**
 * RFC 9126 §4 / §7.3: the CTE that consumes the pushed request when, and only when, `condition` lets the
 * authorization be issued; the issuing statement's inserts select from it, so a request lost to a concurrent use
 * issues nothing.
 */
export function consumePushedCte(pushed: PushedRequest, condition: SQL, now: Date): SQL {
  return sql`consumed_par as (delete from ${par} where ${live(pushed.hash, pushed.providerId, now)} and ${condition}
    returning 1 as ok)`
}

/** Whether the pushed request was still live when the statement began (its snapshot ignores the CTE's delete). */
export function pushedLive(pushed: PushedRequest, now: Date): SQL {
  return sql`exists (select 1 from ${par} where ${live(pushed.hash, pushed.providerId, now)})`
}

/**
 * The request continues through sign-in or consent: its reference is used up and replaced by `next` (single use,
 * RFC 9126 §7.3), with the parameters to carry on and a lifetime for the user's interaction. False when the
 * request was used or expired meanwhile. One statement.
 */
export async function continuePushedRequest(db: Db, pushed: PushedRequest, next: {
  hash: string; parameters: Record<string, string>; expires: Date; now: Date
}): Promise<boolean> {
  const rows = await db.update(par)
    .set({ requestUriHash: next.hash, parameters: next.parameters, expires: next.expires })
    .where(live(pushed.hash, pushed.providerId, next.now))
    .returning({ id: par.id })
  return rows.length === 1
}

/** Thrown by the issuing statement when its pushed request was used or expired meanwhile. */
export class PushedRequestGone extends Error {
  override name = 'PushedRequestGone'
}
