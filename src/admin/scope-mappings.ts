import { and, asc, eq } from 'drizzle-orm'
import * as z from 'zod'
import { scopeMappings } from '../db/schema.ts'
import { ScopeExpressionSchema } from '../oauth/claims.ts'
import { columnsFrom } from './columns.ts'
import { uniqueName } from './provider-schema.ts'
import { AdminError } from './http.ts'
import { searchAny, tablePage, whereEquals } from './list.ts'
import type { ResourceSpec } from './resource.ts'
import { uuidLookup } from './lookups.ts'
import { withFieldErrors } from './violations.ts'

type Row = typeof scopeMappings.$inferSelect

const Input = z.object({
  name: uniqueName(),
  scope_name: z.string().trim().min(1, 'This field may not be blank.'),
  description: z.string().optional(),
  expression: ScopeExpressionSchema,
})

const Output = z.object({
  pk: z.uuid(),
  managed: z.string().nullable(),
  name: z.string(),
  scope_name: z.string(),
  description: z.string(),
  expression: ScopeExpressionSchema,
  component: z.string(),
  verbose_name: z.string(),
  meta_model_name: z.string(),
})
type Out = z.output<typeof Output>

const Filters = z.object({
  name: z.string().optional(),
  scope_name: z.string().optional(),
  managed: z.string().optional(),
})

function toApi(row: Row): Out {
  return {
    pk: row.id, managed: row.managed, name: row.name, scope_name: row.scopeName, description: row.description,
    expression: row.expression, component: 'ak-property-mapping-provider-scope-form',
    verbose_name: 'Scope Mapping', meta_model_name: 'authentik_providers_oauth2.scopemapping',
  }
}

const columnsOf = columnsFrom<z.output<typeof Input>, typeof scopeMappings.$inferInsert>({
  name: 'name', scope_name: 'scopeName', description: 'description', expression: 'expression',
})

const nameTaken = () => new AdminError(400, { name: ['property mapping with this name already exists.'] })

/** `/api/v3/propertymappings/provider/scope/`: authentik's scope mappings, with declarative expressions. */
export const scopeMappingResource: ResourceSpec<string, typeof Input, typeof Filters, Out> = {
  path: '/propertymappings/provider/scope/',
  tag: 'propertymappings_provider_scope',
  noun: 'scope mapping',
  lookup: uuidLookup('pm_uuid'),
  input: Input,
  output: Output,
  filters: Filters,
  async list(c, f, page) {
    const where = and(
      whereEquals(f, { name: scopeMappings.name, scope_name: scopeMappings.scopeName, managed: scopeMappings.managed }),
      searchAny(page.search, scopeMappings.name, scopeMappings.scopeName),
    )
    return tablePage(c.var.db, scopeMappings, where, [asc(scopeMappings.name)], page, toApi)
  },
  async get(c, pk) {
    const [row] = await c.var.db.select().from(scopeMappings).where(eq(scopeMappings.id, pk))
    return row ? toApi(row) : null
  },
  async create(c, input) {
    const [row] = await c.var.db.insert(scopeMappings).values({
      name: input.name, scopeName: input.scope_name, description: input.description ?? '', expression: input.expression,
    }).onConflictDoNothing().returning()
    if (!row) throw nameTaken()
    return toApi(row)
  },
  async update(c, pk, input) {
    const values = columnsOf(input)
    if (!Object.keys(values).length) return this.get(c, pk)
    const [row] = await withFieldErrors(
      () => c.var.db.update(scopeMappings).set(values).where(eq(scopeMappings.id, pk)).returning(), { unique: nameTaken })
    return row ? toApi(row) : null
  },
  async remove(c, pk) {
    const rows = await c.var.db.delete(scopeMappings).where(eq(scopeMappings.id, pk)).returning({ id: scopeMappings.id })
    return rows.length > 0
  },
}
