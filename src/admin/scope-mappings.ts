import { and, asc, count, eq, ilike, or, type SQL } from 'drizzle-orm'
import * as z from 'zod'
import { isUniqueViolation } from '../db/errors.ts'
import { scopeMappings } from '../db/schema.ts'
import { ScopeExpressionSchema } from '../oauth/claims.ts'
import { AdminError } from './http.ts'
import type { ResourceSpec } from './resource.ts'
import { uuidLookup } from './lookups.ts'

type Row = typeof scopeMappings.$inferSelect

const Input = z.object({
  name: z.string().trim().min(1, 'This field may not be blank.'),
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

const uniqueName = () => new AdminError(400, { name: ['property mapping with this name already exists.'] })

/** `/api/v3/propertymappings/provider/scope/`: authentik's scope mappings, with declarative expressions. */
export const scopeMappingResource: ResourceSpec<string, typeof Input, typeof Filters, Out> = {
  path: '/propertymappings/provider/scope/',
  tag: 'propertymappings_provider_scope',
  lookup: uuidLookup('pm_uuid'),
  input: Input,
  output: Output,
  filters: Filters,
  async list(c, f, page) {
    const where: SQL[] = []
    if (f.name !== undefined) where.push(eq(scopeMappings.name, f.name))
    if (f.scope_name !== undefined) where.push(eq(scopeMappings.scopeName, f.scope_name))
    if (f.managed !== undefined) where.push(eq(scopeMappings.managed, f.managed))
    if (page.search) {
      where.push(or(ilike(scopeMappings.name, `%${page.search}%`), ilike(scopeMappings.scopeName, `%${page.search}%`))!)
    }
    const cond = and(...where)
    const [rows, [total]] = await Promise.all([
      c.var.db.select().from(scopeMappings).where(cond).orderBy(asc(scopeMappings.name))
        .limit(page.pageSize).offset((page.page - 1) * page.pageSize),
      c.var.db.select({ n: count() }).from(scopeMappings).where(cond),
    ])
    return { count: total?.n ?? 0, results: rows.map(toApi) }
  },
  async get(c, pk) {
    const [row] = await c.var.db.select().from(scopeMappings).where(eq(scopeMappings.id, pk))
    return row ? toApi(row) : null
  },
  async create(c, input) {
    const [row] = await c.var.db.insert(scopeMappings).values({
      name: input.name, scopeName: input.scope_name, description: input.description ?? '', expression: input.expression,
    }).onConflictDoNothing().returning()
    if (!row) throw uniqueName()
    return toApi(row)
  },
  async update(c, pk, input) {
    const values = {
      ...(input.name !== undefined && { name: input.name }),
      ...(input.scope_name !== undefined && { scopeName: input.scope_name }),
      ...(input.description !== undefined && { description: input.description }),
      ...(input.expression !== undefined && { expression: input.expression }),
    }
    if (!Object.keys(values).length) return this.get(c, pk)
    try {
      const [row] = await c.var.db.update(scopeMappings).set(values).where(eq(scopeMappings.id, pk)).returning()
      return row ? toApi(row) : null
    } catch (err) {
      if (isUniqueViolation(err)) throw uniqueName()
      throw err
    }
  },
  async remove(c, pk) {
    const rows = await c.var.db.delete(scopeMappings).where(eq(scopeMappings.id, pk)).returning({ id: scopeMappings.id })
    return rows.length > 0
  },
}
