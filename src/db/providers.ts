import { eq, inArray, sql } from 'drizzle-orm'
import { activeSession, sessionJson, type ActiveSession } from './sessions.ts'
import { rowsOf, type Db } from './client.ts'
import { executeKept } from './kept-statements.ts'
import { preparedOnce, slot } from './prepared.ts'
import { bundleColumns, bundleOfRow, providerCte, type BundleRow } from './provider-row.ts'
import { pushedParametersQuery, type PushedRequest } from './pushed-requests.ts'
import { applications, providers, type keyPairs, type scopeMappings } from './schema.ts'

export type ProviderRow = typeof providers.$inferSelect
export type ApplicationRow = typeof applications.$inferSelect
export type KeyPairRow = typeof keyPairs.$inferSelect
export type ScopeMappingRow = typeof scopeMappings.$inferSelect

/** A provider with everything a protocol request needs about it, read in one statement. */
export interface ProviderBundle {
  provider: ProviderRow
  application: ApplicationRow | null
  signingKey: KeyPairRow | null
  encryptionKey: KeyPairRow | null
  /** Ordered by scope name, as authentik evaluates them. */
  scopeMappings: ScopeMappingRow[]
  /**
   * Key rotation (README "Key rotation"): the key published ahead of use and the one the last rotation replaced.
   * Read only by `loadProviderBySlug` (JWKS, end-session), in its one statement; tokens are signed with `signingKey`.
   */
  nextSigningKey?: KeyPairRow | null
  previousSigningKey?: KeyPairRow | null
}

const withKeysAndMappings = {
  signingKey: true,
  encryptionKey: true,
  scopeMappings: { with: { scopeMapping: true } },
} as const

type LoadedProvider = ProviderRow & {
  signingKey: KeyPairRow | null
  encryptionKey: KeyPairRow | null
  scopeMappings: Array<{ scopeMapping: ScopeMappingRow }>
  nextSigningKey?: KeyPairRow | null
  previousSigningKey?: KeyPairRow | null
}

function toBundle(p: LoadedProvider, application: ApplicationRow | null): ProviderBundle {
  const { signingKey, encryptionKey, scopeMappings: links, nextSigningKey, previousSigningKey, ...provider } = p
  const mappings = links.map((l) => l.scopeMapping)
    .sort((a, b) => a.scopeName.localeCompare(b.scopeName) || a.name.localeCompare(b.name))
  return { provider, application, signingKey, encryptionKey, scopeMappings: mappings,
    ...(nextSigningKey !== undefined && { nextSigningKey }),
    ...(previousSigningKey !== undefined && { previousSigningKey }) }
}

/**
 * The provider behind the application `slug`, or null when there is none (one statement), with the next and the
 * previous signing key (JWKS publishes them; end-session verifies hints with them).
 */
export async function loadProviderBySlug(db: Db, slug: string): Promise<ProviderBundle | null> {
  const row = await preparedOnce(db, 'provider_by_slug', (name) => db.query.applications.findFirst({
    where: eq(applications.slug, slot('slug')),
    with: { provider: { with: { ...withKeysAndMappings, nextSigningKey: true, previousSigningKey: true } } },
  }).prepare(name)).execute({ slug })
  if (!row?.provider) return null
  const { provider, ...application } = row
  return toBundle(provider as LoadedProvider, application)
}

/** The provider with `client_id`, with its application if it has one (one statement). */
export async function loadProviderByClientId(db: Db, clientId: string): Promise<ProviderBundle | null> {
  const row = await preparedOnce(db, 'provider_by_client_id', (name) => db.query.providers.findFirst({
    where: eq(providers.clientId, slot('clientId')),
    with: { ...withKeysAndMappings, application: true },
  }).prepare(name)).execute({ clientId })
  if (!row) return null
  const { application, ...provider } = row
  return toBundle(provider as LoadedProvider, application ?? null)
}

/** The providers with these pks, with their applications (one statement; the outbox sender's). */
export async function loadProvidersByIds(db: Db, ids: readonly number[]): Promise<Map<number, ProviderBundle>> {
  if (ids.length === 0) return new Map()
  const rows = await db.query.providers.findMany({
    where: inArray(providers.id, [...ids]),
    with: { ...withKeysAndMappings, application: true },
  })
  return new Map(rows.map(({ application, ...provider }) =>
    [provider.id, toBundle(provider as LoadedProvider, application ?? null)]))
}

/**
 * The provider with `client_id` and, in the same statement, the browser session whose cookie hashes to
 * `sessionKeyHash` (when one was sent) and the live pushed request (RFC 9126) whose reference hashes to `pushedHash`
 * (when one was named): the authorization endpoint's first read, so that a signed-in authorization costs two
 * statements. `session` is undefined when the cookie was not read (no provider, no cookie); `pushed` is null when
 * none was named or found.
 */
export async function loadProviderAndSession(db: Db, clientId: string, sessionKeyHash: string | null, now: Date,
  pushedHash: string | null = null):
  Promise<{ bundle: ProviderBundle | null; session: ActiveSession | null | undefined; pushed: PushedRequest | null }> {
  if (sessionKeyHash === null && pushedHash === null) {
    return { bundle: await loadProviderByClientId(db, clientId), session: undefined, pushed: null }
  }
  // Raw SQL in the shape of statement 1 of client requests (src/db/provider-row.ts), so that its plan is kept
  // (src/db/kept-statements.ts): one shape per combination of what was sent (a cookie, a pushed request).
  const session = sessionKeyHash === null ? sql`null::json` : sessionJson(sessionKeyHash, now)
  const pushed = pushedHash === null ? sql`null::jsonb`
    : sql`(select (${pushedParametersQuery(db, pushedHash, sql.raw('provider.id'), now)}) from provider)`
  const [row] = rowsOf<BundleRow & { session: unknown; pushed: unknown }>(await executeKept(db,
    sql`with ${providerCte(clientId)} select ${bundleColumns}, ${session} as session, ${pushed} as pushed`))
  const bundle = bundleOfRow(row)
  if (!bundle || !row) return { bundle: null, session: undefined, pushed: null }
  return { bundle,
    session: sessionKeyHash === null ? undefined
      : activeSession(row.session as Parameters<typeof activeSession>[0], sessionKeyHash),
    pushed: pushedHash === null || row.pushed === null || row.pushed === undefined ? null
      : { hash: pushedHash, providerId: bundle.provider.id,
        parameters: row.pushed as Record<string, string | string[]> } }
}
