import { eq, sql, type SQL, type SQLWrapper } from 'drizzle-orm'
import { alias, PgDialect, type PgColumn } from 'drizzle-orm/pg-core'
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

interface Prepared { execute(values: Record<string, unknown>): Promise<unknown> }

const dialect = new PgDialect()
// The relational query's root alias: its `extras` see the provider's columns under it.
const root = alias(providers, 'providers')
// Per database handle: the statement built once per shape of its two subqueries (their SQL text).
const preparedByDb = new WeakMap<Db, Map<string, Prepared>>()
const MAX_SHAPES = 64

/**
 * A rendered subquery as drizzle SQL whose parameters are placeholders `prefix0`, `prefix1`...: its text is then
 * the same for every value, and drizzle numbers the parameters inside the whole statement.
 */
function templated(fragment: SQL, prefix: string): { template: SQL; text: string; values: Record<string, unknown> } {
  const { sql: text, params } = dialect.sqlToQuery(fragment)
  const chunks: SQL[] = []
  let last = 0
  for (const match of text.matchAll(/\$(\d+)/g)) {
    chunks.push(sql.raw(text.slice(last, match.index)), sql`${sql.placeholder(`${prefix}${Number(match[1]) - 1}`)}`)
    last = match.index + match[0].length
  }
  chunks.push(sql.raw(text.slice(last)))
  const values = Object.fromEntries(params.map((value, i) => [`${prefix}${i}`, value]))
  return { template: sql.join(chunks), text, values }
}

/**
 * The provider bundle of `clientId` (as `loadProviderByClientId` builds it) plus one correlated JSON subquery for
 * the artefact and one for the failure counts of `failureKeys`: one statement, so checking the rate limit costs
 * nothing. Building drizzle's relational query (four relations, every column) costs milliseconds of CPU on every
 * request, more than anything else a token request does; so it is built once per shape of the two subqueries and
 * run as a prepared query (unnamed: nothing is kept on the server) with this request's values. The subqueries are
 * query builders, not `sql`: rendered on their own, their columns keep their tables (inside the relational query's
 * `extras`, drizzle rewrites every column to the root alias, `providers`, which `providerId` is). Null when no
 * provider has that client id.
 */
export async function loadClient<T>(
  db: Db, clientId: string, now: Date, failureKeys: readonly string[], artefact?: ArtefactQuery<T>,
): Promise<ClientGrant<T> | null> {
  const grant = templated(sql`${artefact ? artefact.query(root.id) : sql`null`}`, 'g')
  const counts = templated(sql`${attemptCounts(db, failureKeys, now)}`, 'f')
  const shape = `${grant.text}\u0000${counts.text}`
  let shapes = preparedByDb.get(db)
  if (!shapes) preparedByDb.set(db, shapes = new Map())
  let prepared = shapes.get(shape)
  if (!prepared) {
    if (shapes.size >= MAX_SHAPES) shapes.delete(shapes.keys().next().value as string)
    prepared = db.query.providers.findFirst({
      where: eq(providers.clientId, sql.placeholder('clientId')),
      with: { signingKey: true, encryptionKey: true, scopeMappings: { with: { scopeMapping: true } }, application: true },
      extras: { grant: sql`${grant.template}`.as('grant'), failures: sql`${counts.template}`.as('failures') },
    }).prepare('')
    shapes.set(shape, prepared)
  }
  const row = await prepared.execute({ clientId, ...grant.values, ...counts.values }) as Loaded | undefined
  if (!row) return null
  const { signingKey, encryptionKey, scopeMappings: links, application, grant: found, failures, ...provider } = row
  const scopeMappings = links.map((l) => l.scopeMapping)
    .sort((a, b) => a.scopeName.localeCompare(b.scopeName) || a.name.localeCompare(b.name))
  const bundle: ProviderBundle = { provider, application: application ?? null, signingKey, encryptionKey, scopeMappings }
  return { bundle, grant: found === null || found === undefined || !artefact ? null : artefact.decode(found),
    failures: failures ?? {} }
}
