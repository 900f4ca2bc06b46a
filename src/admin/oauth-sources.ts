import { and, asc, eq } from 'drizzle-orm'
import * as z from 'zod'
import { oauthSources } from '../db/schema.ts'
import { columnsFrom } from './columns.ts'
import { uniqueName } from './provider-schema.ts'
import { fieldError } from './http.ts'
import { searchAny, tablePage, whereEquals } from './list.ts'
import { slugLookup } from './lookups.ts'
import type { ResourceSpec } from './resource.ts'
import { withFieldErrors } from './violations.ts'

type Row = typeof oauthSources.$inferSelect
type JWKSet = { keys?: Array<Record<string, unknown>> }

const SET_SHAPE = 'Expected a JSON Web Key Set: {"keys": [...]}.'
// Members that make a JWK secret (RFC 7518 §6.2.2, §6.3.2, §6.4): a trust root only ever needs public keys.
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k']

/** RFC 7517 §5: `{"keys": [...]}` of public JWKs, each with a `kty`; `{}` means "no keys". */
export const JWKSetSchema = z.record(z.string(), z.unknown()).superRefine((set, ctx) => {
  if (Object.keys(set).length === 0) return
  const keys = set.keys
  if (!Array.isArray(keys)) return void ctx.addIssue({ code: 'custom', message: SET_SHAPE })
  keys.forEach((key: unknown, i) => {
    if (!key || typeof key !== 'object' || Array.isArray(key) || typeof (key as { kty?: unknown }).kty !== 'string') {
      ctx.addIssue({ code: 'custom', message: `Key ${i} is not a JSON Web Key with a "kty".` })
    } else if (PRIVATE_MEMBERS.some((m) => m in key)) {
      ctx.addIssue({ code: 'custom', message: `Key ${i} holds private material; only public keys are accepted.` })
    }
  })
}).transform((set) => set as JWKSet)

const HttpURL = z.url({ protocol: /^https?$/ })

const Input = z.object({
  name: uniqueName(),
  slug: uniqueName().regex(/^[-a-zA-Z0-9_]+$/, 'Enter a valid "slug" consisting of letters, numbers, underscores or hyphens.'),
  enabled: z.boolean().optional(),
  oidc_jwks: JWKSetSchema.optional(),
  oidc_jwks_url: z.string().trim()
    .refine((v) => v === '' || HttpURL.safeParse(v).success, { message: 'Enter a valid URL.' }).optional(),
})

const Output = z.object({
  pk: z.uuid(),
  name: z.string(),
  slug: z.string(),
  enabled: z.boolean(),
  component: z.string(),
  verbose_name: z.string(),
  verbose_name_plural: z.string(),
  meta_model_name: z.string(),
  provider_type: z.literal('openidconnect'),
  oidc_jwks: z.record(z.string(), z.unknown()),
  oidc_jwks_url: z.string(),
})
type Out = z.output<typeof Output>

const Filters = z.object({ name: z.string().optional(), slug: z.string().optional() })

function toApi(row: Row): Out {
  return {
    pk: row.id, name: row.name, slug: row.slug, enabled: row.enabled, component: 'ak-source-oauth-form',
    verbose_name: 'OAuth Source', verbose_name_plural: 'OAuth Sources',
    meta_model_name: 'authentik_sources_oauth.oauthsource', provider_type: 'openidconnect',
    oidc_jwks: row.oidcJwks, oidc_jwks_url: row.oidcJwksUrl,
  }
}

/** A unique violation names its constraint: the slug's, or else the name's. */
const taken = { unique: (constraint: string) => {
  const field = constraint.includes('slug') ? 'slug' : 'name'
  return fieldError(field, `source with this ${field} already exists.`)
} }

const columnsOf = columnsFrom<z.output<typeof Input>, typeof oauthSources.$inferInsert>({
  name: 'name', slug: 'slug', enabled: 'enabled', oidc_jwks: 'oidcJwks', oidc_jwks_url: 'oidcJwksUrl',
})

/** `/api/v3/sources/oauth/`: OAuth sources, kept for their JWKS (trust roots for JWT client assertions). */
export const oauthSourceResource: ResourceSpec<string, typeof Input, typeof Filters, Out> = {
  path: '/sources/oauth/',
  tag: 'sources_oauth',
  noun: 'OAuth source',
  lookup: slugLookup('slug'),
  input: Input,
  output: Output,
  filters: Filters,
  async list(c, f, page) {
    const where = and(whereEquals(f, { name: oauthSources.name, slug: oauthSources.slug }),
      searchAny(page.search, oauthSources.name, oauthSources.slug))
    return tablePage(c.var.db, oauthSources, where, [asc(oauthSources.name)], page, toApi)
  },
  async get(c, slug) {
    const [row] = await c.var.db.select().from(oauthSources).where(eq(oauthSources.slug, slug))
    return row ? toApi(row) : null
  },
  async create(c, input) {
    const values = { ...columnsOf(input), name: input.name, slug: input.slug, created: c.var.deps.clock.now() }
    const [row] = await withFieldErrors(() => c.var.db.insert(oauthSources).values(values).returning(), taken)
    return toApi(row!)
  },
  async update(c, slug, input) {
    const values = columnsOf(input)
    if (!Object.keys(values).length) return this.get(c, slug)
    const [row] = await withFieldErrors(
      () => c.var.db.update(oauthSources).set(values).where(eq(oauthSources.slug, slug)).returning(), taken)
    return row ? toApi(row) : null
  },
  async remove(c, slug) {
    const rows = await c.var.db.delete(oauthSources).where(eq(oauthSources.slug, slug)).returning({ id: oauthSources.id })
    return rows.length > 0
  },
}
