import { eq, sql, type SQLWrapper } from 'drizzle-orm'
import type { PgColumn } from 'drizzle-orm/pg-core'
import type { Db } from './client.ts'
import type { ApplicationRow, KeyPairRow, ProviderBundle, ProviderRow, ScopeMappingRow } from './providers.ts'
import { attemptCounts, type AttemptCounts } from './rate-limits.ts'
import { providers } from './schema.ts'

/**
 * What a client-authenticated request reads in its first statement: the artefact it presents (a code, a token,
 * a user...) as one correlated JSON subquery of the client's provider id, and how to turn that JSON into `T`.
 */
export interface ArtefactQuery<T> {
  query(providerId: PgColumn): SQLWrapper
  decode(json: unknown): T
}

/** The first statement's answer: the client's provider, its artefact (null: none found), its failure counts. */
export interface ClientGrant<T> {
  bundle: ProviderBundle
  grant: T | null
  /** The current window's failure counts of the keys asked for (see src/db/rate-limits.ts). */
  failures: AttemptCounts
}

type Loaded = ProviderRow & {
  signingKey: KeyPairRow | null
  encryptionKey: KeyPairRow | null
  scopeMappings: Array<{ scopeMapping: ScopeMappingRow }>
  application: ApplicationRow | null
  grant: unknown
  failures: AttemptCounts | null
}

/**
 * The provider bundle of `clientId` (as `loadProviderByClientId` builds it) plus one correlated JSON subquery for
 * the artefact and one for the failure counts of `failureKeys`: one statement, so checking the rate limit costs
 * nothing. The subqueries are query builders, not `sql`: drizzle rewrites every column inside an `extras` SQL to
 * the root alias. Null when no provider has that client id.
 */
export async function loadClient<T>(
  db: Db, clientId: string, now: Date, failureKeys: readonly string[], artefact?: ArtefactQuery<T>,
): Promise<ClientGrant<T> | null> {
  const row = await db.query.providers.findFirst({
    where: eq(providers.clientId, clientId),
    with: { signingKey: true, encryptionKey: true, scopeMappings: { with: { scopeMapping: true } }, application: true },
    extras: (p) => ({
      grant: (artefact ? sql`${artefact.query(p.id)}` : sql`null`).as('grant'),
      failures: sql`${attemptCounts(db, failureKeys, now)}`.as('failures'),
    }),
  }) as Loaded | undefined
  if (!row) return null
  const { signingKey, encryptionKey, scopeMappings: links, application, grant: found, failures, ...provider } = row
  const scopeMappings = links.map((l) => l.scopeMapping)
    .sort((a, b) => a.scopeName.localeCompare(b.scopeName) || a.name.localeCompare(b.name))
  const bundle: ProviderBundle = { provider, application: application ?? null, signingKey, encryptionKey, scopeMappings }
  return { bundle, grant: found === null || found === undefined || !artefact ? null : artefact.decode(found),
    failures: failures ?? {} }
}
