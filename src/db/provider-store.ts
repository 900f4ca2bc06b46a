import { and, asc, count, eq, ilike, inArray, or, sql, type SQL } from 'drizzle-orm'
import { rowsOf, type Db } from './client.ts'
import {
  applications, groups, keyPairs, oauthSources, providerFederationProviders, providerFederationSources, providers,
  providerScopeMappings, scopeMappings,
} from './schema.ts'

export type ProviderRow = typeof providers.$inferSelect
export type NewProvider = typeof providers.$inferInsert
export type ProviderChanges = Partial<Omit<NewProvider, 'id' | 'created'>>
export type ApplicationRow = typeof applications.$inferSelect
export type NewApplication = typeof applications.$inferInsert

/** The provider's many-to-many links; on update, a list that is given replaces the stored one. */
export interface ProviderLinks {
  scopeMappingIds?: readonly string[] | undefined
  federationSourceIds?: readonly string[] | undefined
  federationProviderIds?: readonly number[] | undefined
}

/** A provider with its links and the application it is assigned to. */
export type ProviderRecord = ProviderRow & {
  scopeMappingIds: string[]
  federationSourceIds: string[]
  federationProviderIds: number[]
  application: { slug: string; name: string } | null
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
const INT4_MAX = 2_147_483_647
const uuids = (ids: readonly string[]) => [...new Set(ids.filter((id) => UUID.test(id)).map((id) => id.toLowerCase()))]
const ints = (ids: readonly number[]) => [...new Set(ids.filter((id) => Number.isSafeInteger(id) && id > 0 && id <= INT4_MAX))]
const uuidArray = (ids: readonly string[]) => sql`array[${sql.join(uuids(ids).map((id) => sql`${id}`), sql`, `)}]::uuid[]`
const intArray = (ids: readonly number[]) => sql`array[${sql.join(ints(ids).map((id) => sql`${id}`), sql`, `)}]::int[]`

const LINKS = [
  { key: 'scopeMappingIds', table: providerScopeMappings, column: providerScopeMappings.scopeMappingId, array: uuidArray },
  { key: 'federationSourceIds', table: providerFederationSources, column: providerFederationSources.sourceId, array: uuidArray },
  { key: 'federationProviderIds', table: providerFederationProviders,
    column: providerFederationProviders.federatedProviderId, array: intArray },
] as const

/**
 * The CTEs that make each given link list exactly the stored one for the provider(s) of CTE `p`. Deletes and
 * inserts touch disjoint rows (one statement sees one snapshot, so they must not race on the same key).
 */
function linkCtes(links: ProviderLinks, replace: boolean): SQL[] {
  const ctes: SQL[] = []
  LINKS.forEach(({ key, table, column, array }, i) => {
    const ids = links[key] as readonly (string & number)[] | undefined
    if (ids === undefined) return
    const col = sql.identifier(column.name)
    if (replace) {
      ctes.push(sql`${sql.identifier(`d${i}`)} as (delete from ${table} where provider_id in (select id from p)
        and not (${col} = any(${array(ids)})))`)
    }
    ctes.push(sql`${sql.identifier(`i${i}`)} as (insert into ${table} (provider_id, ${col})
      select p.id, x from p cross join unnest(${array(ids)}) as x on conflict do nothing)`)
  })
  return ctes
}

async function withLinks(db: Db, p: SQL, links: ProviderLinks, replace: boolean): Promise<number | null> {
  const ctes = [sql`p as (${p})`, ...linkCtes(links, replace)]
  const [row] = rowsOf<{ id: number }>(await db.execute(sql`with ${sql.join(ctes, sql`, `)} select id from p`))
  return row?.id ?? null
}

/** Insert a provider and its links in one statement; returns its pk. Unique violations are thrown. */
export async function insertProvider(db: Db, values: NewProvider, links: ProviderLinks = {}): Promise<number> {
  const id = await withLinks(db, db.insert(providers).values(values).returning({ id: providers.id }).getSQL(), links, false)
  if (id === null) throw new Error('insert returned no row')
  return id
}

/** Change a provider's columns and replace the given link lists in one statement; false when there is none. */
export async function updateProvider(db: Db, id: number, changes: ProviderChanges, links: ProviderLinks = {}): Promise<boolean> {
  const p = Object.keys(changes).length
    ? db.update(providers).set(changes).where(eq(providers.id, id)).returning({ id: providers.id }).getSQL()
    : db.select({ id: providers.id }).from(providers).where(eq(providers.id, id)).getSQL()
  return (await withLinks(db, p, links, true)) !== null
}

export async function deleteProvider(db: Db, id: number): Promise<boolean> {
  return (await db.delete(providers).where(eq(providers.id, id)).returning({ id: providers.id })).length > 0
}

/** What `checkProviderReferences` was asked about. `selfId` is the provider being updated, if any. */
export interface ProviderReferences extends ProviderLinks {
  keyIds?: readonly string[]
  name?: string | undefined
  clientId?: string | undefined
  selfId?: number
}

export interface FoundReferences {
  selfExists: boolean
  scopeMappingIds: Set<string>
  federationSourceIds: Set<string>
  federationProviderIds: Set<number>
  keys: Map<string, { keyType: 'rsa' | 'ecdsa'; hasPrivateKey: boolean }>
  nameTaken: boolean
  clientIdTaken: boolean
}

/** Everything a provider write refers to, read in one statement before anything is written. */
export async function checkProviderReferences(db: Db, refs: ProviderReferences): Promise<FoundReferences> {
  const self = refs.selfId ?? null
  const taken = (column: SQL, value: string | undefined) => value === undefined ? sql`false`
    : sql`exists (select 1 from ${providers} where ${column} = ${value} and ${providers.id} is distinct from ${self}::int)`
  const ids = (table: SQL, array: SQL) => sql`(select coalesce(json_agg(id), '[]') from ${table} where id = any(${array}))`
  const [row] = rowsOf<{
    self: boolean; mappings: string[]; sources: string[]; providers: number[]; name: boolean; client: boolean
    keys: Array<{ id: string; key_type: 'rsa' | 'ecdsa'; private: boolean }>
  }>(await db.execute(sql`select
    exists (select 1 from ${providers} where ${providers.id} = ${self}::int) as self,
    ${ids(sql`${scopeMappings}`, uuidArray(refs.scopeMappingIds ?? []))} as mappings,
    ${ids(sql`${oauthSources}`, uuidArray(refs.federationSourceIds ?? []))} as sources,
    ${ids(sql`${providers}`, intArray(refs.federationProviderIds ?? []))} as providers,
    (select coalesce(json_agg(json_build_object('id', id, 'key_type', key_type, 'private', key_data_sealed is not null)),
      '[]') from ${keyPairs} where id = any(${uuidArray(refs.keyIds ?? [])})) as keys,
    ${taken(sql`${providers.name}`, refs.name)} as name,
    ${taken(sql`${providers.clientId}`, refs.clientId)} as client`))
  if (!row) throw new Error('reference check returned no row')
  return {
    selfExists: row.self,
    scopeMappingIds: new Set(row.mappings),
    federationSourceIds: new Set(row.sources),
    federationProviderIds: new Set(row.providers),
    keys: new Map(row.keys.map((k) => [k.id, { keyType: k.key_type, hasPrivateKey: k.private }])),
    nameTaken: row.name,
    clientIdTaken: row.client,
  }
}

const providerWith = {
  application: { columns: { slug: true, name: true } },
  scopeMappings: { columns: { scopeMappingId: true } },
  federationSources: { columns: { sourceId: true } },
  federationProviders: { columns: { federatedProviderId: true } },
} as const

type LoadedProvider = ProviderRow & {
  application: { slug: string; name: string } | null
  scopeMappings: Array<{ scopeMappingId: string }>
  federationSources: Array<{ sourceId: string }>
  federationProviders: Array<{ federatedProviderId: number }>
}

function toRecord(row: LoadedProvider): ProviderRecord {
  const { scopeMappings: m, federationSources: s, federationProviders: f, application, ...provider } = row
  return {
    ...provider,
    application: application ?? null,
    scopeMappingIds: m.map((x) => x.scopeMappingId).sort(),
    federationSourceIds: s.map((x) => x.sourceId).sort(),
    federationProviderIds: f.map((x) => x.federatedProviderId).sort((a, b) => a - b),
  }
}

/** One provider with its links and application (one statement). */
export async function getProvider(db: Db, id: number): Promise<ProviderRecord | null> {
  const row = await db.query.providers.findFirst({ where: eq(providers.id, id), with: providerWith })
  return row ? toRecord(row as LoadedProvider) : null
}

export interface ProviderFilters {
  name?: string | undefined
  clientId?: string | undefined
  application?: string | undefined
  authorizationFlow?: string | undefined
  search?: string | undefined
}

/** A page of providers ordered by name, and how many match in all. */
export async function listProviders(
  db: Db, f: ProviderFilters, limit: number, offset: number,
): Promise<{ count: number; rows: ProviderRecord[] }> {
  const where: SQL[] = []
  if (f.name !== undefined) where.push(eq(providers.name, f.name))
  if (f.clientId !== undefined) where.push(eq(providers.clientId, f.clientId))
  if (f.authorizationFlow !== undefined) where.push(eq(providers.authorizationFlow, f.authorizationFlow))
  if (f.application !== undefined) {
    where.push(inArray(providers.id, db.select({ id: sql<number>`${applications.providerId}` }).from(applications)
      .where(eq(applications.slug, f.application))))
  }
  if (f.search) where.push(or(ilike(providers.name, `%${f.search}%`), ilike(providers.clientId, `%${f.search}%`))!)
  const cond = and(...where)
  const [rows, [total]] = await Promise.all([
    db.query.providers.findMany({ where: cond, orderBy: [asc(providers.name)], limit, offset, with: providerWith }),
    db.select({ n: count() }).from(providers).where(cond),
  ])
  return { count: total?.n ?? 0, rows: rows.map((r) => toRecord(r as LoadedProvider)) }
}

/** The name of the constraint a failed statement violated, if the driver says (Postgres `constraint_name`). */
export function violatedConstraint(err: unknown): string | undefined {
  for (let e: unknown = err, depth = 0; e && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    const name = (e as { constraint?: unknown }).constraint
    if (typeof name === 'string' && name !== '') return name
  }
  return undefined
}


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

export interface ApplicationFilters {
  name?: string | undefined
  slug?: string | undefined
  groupId?: string | undefined
  search?: string | undefined
}

/** A page of applications ordered by name, and how many match in all. */
export async function listApplications(
  db: Db, f: ApplicationFilters, limit: number, offset: number,
): Promise<{ count: number; rows: ApplicationRecord[] }> {
  const where: SQL[] = []
  if (f.name !== undefined) where.push(eq(applications.name, f.name))
  if (f.slug !== undefined) where.push(eq(applications.slug, f.slug))
  if (f.groupId !== undefined) where.push(eq(applications.groupId, f.groupId))
  if (f.search) where.push(or(ilike(applications.name, `%${f.search}%`), ilike(applications.slug, `%${f.search}%`))!)
  const cond = and(...where)
  const [rows, [total]] = await Promise.all([
    db.query.applications.findMany({
      where: cond, orderBy: [asc(applications.name), asc(applications.slug)], limit, offset, with: applicationWith,
    }),
    db.select({ n: count() }).from(applications).where(cond),
  ])
  return { count: total?.n ?? 0, rows: rows.map((r) => toApplicationRecord(r as LoadedApplication)) }
}
