import { asc, eq, sql, type SQL } from 'drizzle-orm'
import { rowsOf, windowTotal, type Db } from './client.ts'
import { ints, uuids, type ProviderRow } from './provider-store.ts'
import { applications, groups, providers } from './schema.ts'

export type ApplicationRow = typeof applications.$inferSelect
export type NewApplication = typeof applications.$inferInsert

/** An application with the provider it serves (and that provider's scope mappings, for `provider_obj`). */
export type ApplicationRecord = ApplicationRow & {
  provider: (ProviderRow & { scopeMappingIds: string[] }) | null
}

export interface FoundApplicationReferences {
  selfExists: boolean
  providerExists: boolean
  /** The slug of the application that already has the provider, if another one has. */
  providerOwner: string | null
  groupExists: boolean
  slugTaken: boolean
}

/** What an application write refers to, read in one statement. `selfSlug` is the application being updated. */
export async function checkApplicationReferences(db: Db, refs: {
  selfSlug?: string; providerId?: number | null | undefined; groupId?: string | null | undefined; slug?: string | undefined
}): Promise<FoundApplicationReferences> {
  const self = refs.selfSlug ?? null
  const pid = refs.providerId != null ? (ints([refs.providerId])[0] ?? null) : null
  const gid = refs.groupId != null ? (uuids([refs.groupId])[0] ?? null) : null
  const [row] = rowsOf<{ self: boolean; provider: boolean; owner: string | null; grp: boolean; slug: boolean }>(
    await db.execute(sql`select
      exists (select 1 from ${applications} where slug = ${self}) as self,
      exists (select 1 from ${providers} where id = ${pid}::int) as provider,
      (select slug from ${applications} where provider_id = ${pid}::int and slug is distinct from ${self}) as owner,
      exists (select 1 from ${groups} where id = ${gid}::uuid) as grp,
      exists (select 1 from ${applications} where slug = ${refs.slug ?? null} and slug is distinct from ${self}) as slug`))
  if (!row) throw new Error('reference check returned no row')
  return {
    selfExists: row.self, providerExists: row.provider, providerOwner: row.owner, groupExists: row.grp, slugTaken: row.slug,
  }
}

/** Insert an application; returns its slug. Unique violations (slug, provider) are thrown. */
export async function insertApplication(db: Db, values: NewApplication): Promise<string> {
  const [row] = await db.insert(applications).values(values).returning({ slug: applications.slug })
  if (!row) throw new Error('insert returned no row')
  return row.slug
}

/** Change an application; returns its (possibly new) slug, or null when there is none. */
export async function updateApplication(
  db: Db, slug: string, changes: Partial<Omit<NewApplication, 'id' | 'created'>>,
): Promise<string | null> {
  if (!Object.keys(changes).length) {
    const [row] = await db.select({ slug: applications.slug }).from(applications).where(eq(applications.slug, slug))
    return row?.slug ?? null
  }
  const [row] = await db.update(applications).set(changes).where(eq(applications.slug, slug))
    .returning({ slug: applications.slug })
  return row?.slug ?? null
}

export async function deleteApplication(db: Db, slug: string): Promise<boolean> {
  return (await db.delete(applications).where(eq(applications.slug, slug)).returning({ id: applications.id })).length > 0
}

const applicationWith = { provider: { with: { scopeMappings: { columns: { scopeMappingId: true } } } } } as const

type LoadedApplication = ApplicationRow & {
  provider: (ProviderRow & { scopeMappings: Array<{ scopeMappingId: string }> }) | null
}

function toApplicationRecord(row: LoadedApplication): ApplicationRecord {
  const { provider, ...application } = row
  if (!provider) return { ...application, provider: null }
  const { scopeMappings: m, ...rest } = provider
  return { ...application, provider: { ...rest, scopeMappingIds: m.map((x) => x.scopeMappingId).sort() } }
}

/** One application with its provider (one statement). */
export async function getApplication(db: Db, slug: string): Promise<ApplicationRecord | null> {
  const row = await db.query.applications.findFirst({ where: eq(applications.slug, slug), with: applicationWith })
  return row ? toApplicationRecord(row as LoadedApplication) : null
}

/** A page of applications ordered by name; each carries `total`, how many applications match `where` in all. */
export async function findApplications(
  db: Db, where: SQL | undefined, range: { limit: number; offset: number },
): Promise<Array<ApplicationRecord & { total: number }>> {
  const rows = await db.query.applications.findMany({
    where, orderBy: [asc(applications.name), asc(applications.slug)], ...range, with: applicationWith,
    extras: { total: windowTotal().as('total') },
  })
  return rows.map(({ total, ...row }) => ({ ...toApplicationRecord(row as LoadedApplication), total: Number(total) }))
}
