import { sql, type SQL, type SQLWrapper } from 'drizzle-orm'
import {
  reservationColumns, reservationCtes, reservedOf, type AttemptReservation, type ReservationRow, type ReservedAttempts,
} from './attempt-reservation.ts'
import { COUNTERS_ONLY_COMMIT } from './async-commit.ts'
import { rowsOf, type Db } from './client.ts'
import { executeKept } from './kept-statements.ts'
import { bundleColumns, bundleOfRow, providerCte, type BundleRow } from './provider-row.ts'
import type { ProviderBundle } from './providers.ts'

/**
 * What a client-authenticated request reads in its first statement: the artefact it presents (a code, a token,
 * a user...) as one correlated JSON subquery of the client's provider id (an SQL expression), and how to turn
 * that JSON into `T`.
 */
export interface ArtefactQuery<T> {
  query(providerId: SQL): SQLWrapper
  decode(json: unknown): T
}

/** The first statement's answer: the client's provider (null: unknown), its artefact (null: none found), and the
 * attempt it reserved against the brute-force limits. */
export interface ClientGrant<T> {
  bundle: ProviderBundle | null
  grant: T | null
  reserved: ReservedAttempts
}

/**
 * Statement 1 of every client-authenticated request: the provider bundle of `clientId` (as
 * `loadProviderByClientId` builds it), one correlated JSON subquery for the artefact, and the attempt reserved
 * against the limits (src/db/attempt-reservation.ts); its only write is that counter, so it commits without
 * waiting for the WAL (src/db/async-commit.ts), and its plan is kept (src/db/kept-statements.ts). Raw SQL: a
 * data-modifying CTE cannot sit in a relational query, and drizzle would rewrite an `extras` subquery's columns
 * to the root alias.
 */
export async function loadClient<T>(
  db: Db, clientId: string, reservation: AttemptReservation, artefact?: ArtefactQuery<T>,
): Promise<ClientGrant<T>> {
  const grant = artefact ? sql`(select ${artefact.query(sql.raw('provider.id'))} from provider)` : sql`null`
  const [row] = rowsOf<BundleRow & ReservationRow & { grant: unknown }>(await executeKept(db, sql`with ${providerCte(clientId)},
    ${reservationCtes(reservation)}
    select ${bundleColumns}, ${grant} as "grant", ${reservationColumns}, ${COUNTERS_ONLY_COMMIT}`))
  const bundle = bundleOfRow(row)
  const found = row?.grant
  return { bundle, grant: !bundle || found === null || found === undefined || !artefact ? null : artefact.decode(found),
    reserved: reservedOf(row) }
}
