import { asc, eq, sql, type SQL } from 'drizzle-orm'
import { rowsOf, windowTotal, type Db } from './client.ts'
import {
  keyPairs, oauthSources, providerFederationProviders, providerFederationSources, providers, providerScopeMappings,
  scopeMappings,
} from './schema.ts'

export type ProviderRow = typeof providers.$inferSelect
export type NewProvider = typeof providers.$inferInsert
export type ProviderChanges = Partial<Omit<NewProvider, 'id' | 'created'>>

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
/** The distinct ids that can name a row (uuids, lower-cased); anything else names nothing. */
export const uuids = (ids: readonly string[]) => [...new Set(ids.filter((id) => UUID.test(id)).map((id) => id.toLowerCase()))]
/** The distinct ids that can be an int4 pk. */
export const ints = (ids: readonly number[]) => [...new Set(ids.filter((id) => Number.isSafeInteger(id) && id > 0 && id <= INT4_MAX))]
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


/** A page of providers ordered by name; each carries `total`, how many providers match `where` in all. */
export async function findProviders(
  db: Db, where: SQL | undefined, range: { limit: number; offset: number },
): Promise<Array<ProviderRecord & { total: number }>> {
  const rows = await db.query.providers.findMany({
    where, orderBy: [asc(providers.name)], ...range, with: providerWith, extras: { total: windowTotal().as('total') },
  })
  return rows.map(({ total, ...row }) => ({ ...toRecord(row as LoadedProvider), total: Number(total) }))
}
