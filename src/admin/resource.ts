import { Hono } from 'hono/tiny'
import type { Context } from 'hono'
import * as z from 'zod'
import type { AppEnv } from '../deps.ts'
import { invalidateMetadata } from '../oauth/provider-cache.ts'
import { AdminError, notFound, parseBody, parseQuery, type FieldErrors } from './http.ts'
import type { OpenAPIRegistry } from './openapi.ts'

/** authentik's paging parameters. */
export const PageQuery = z.object({
  page: z.coerce.number().int().min(1).default(1),
  page_size: z.coerce.number().int().min(1).max(1000).default(100),
  search: z.string().optional(),
  ordering: z.string().optional(),
})
export type Page = { page: number; pageSize: number; search: string | undefined; ordering: string | undefined }

export type ListResult<T> = { count: number; results: T[] }

/** The storage side of one resource; the HTTP, validation, paging and OpenAPI sides are shared. */
export interface ResourceSpec<Key, In extends z.ZodObject, Filters extends z.ZodObject, Out> {
  /** Path below `/api/v3`, with a trailing slash, e.g. `/core/groups/`. */
  path: string
  tag: string
  /** What one object is called in the OpenAPI summaries ("scope mapping"); the plural adds an s. */
  noun?: string
  /** The name of the lookup parameter in the URL and how to read it; null means "no such object". */
  lookup: { name: string; parse(raw: string): Key | null; schema: z.ZodType }
  /** The create body; PUT takes it too, PATCH takes it partial. */
  input: In
  /** What a retrieve answers, for the OpenAPI document. */
  output: z.ZodType<Out>
  filters: Filters
  list(c: Context<AppEnv>, filters: z.output<Filters>, page: Page): Promise<ListResult<Out>>
  get(c: Context<AppEnv>, key: Key): Promise<Out | null>
  create?(c: Context<AppEnv>, input: z.output<In>): Promise<Out>
  update?(c: Context<AppEnv>, key: Key, input: Partial<z.output<In>>): Promise<Out | null>
  remove?(c: Context<AppEnv>, key: Key): Promise<boolean>
  /**
   * When a create (`self` undefined) or update body was refused, the errors that only the database knows of its
   * fields that are valid (unknown references, names taken), so that one answer carries every error; may throw
   * 404 when `self` does not exist.
   */
  check?(c: Context<AppEnv>, valid: Partial<z.output<In>>, self: Key | undefined): Promise<FieldErrors>
}

/** authentik's `{"pagination": {...}, "results": [...]}` envelope. */
export function paginated<T>(page: Page, result: ListResult<T>): Record<string, unknown> {
  const totalPages = Math.max(1, Math.ceil(result.count / page.pageSize))
  const start = result.count === 0 ? 0 : (page.page - 1) * page.pageSize + 1
  return {
    pagination: {
      next: page.page < totalPages ? page.page + 1 : 0,
      previous: page.page > 1 ? page.page - 1 : 0,
      count: result.count,
      current: page.page,
      total_pages: totalPages,
      start_index: start,
      end_index: result.count === 0 ? 0 : start + result.results.length - 1,
    },
    results: result.results,
  }
}

function readPage(c: Context<AppEnv>): Page {
  const q = parseQuery(c, PageQuery)
  return { page: q.page, pageSize: q.page_size, search: q.search, ordering: q.ordering }
}

/** DRF's answer to a method the resource does not have, with the methods it does have in `Allow`. */
function notAllowed(app: Hono<AppEnv>, path: string, methods: string[], allow: string[]): void {
  if (!methods.length) return
  app.on(methods, path, (c) =>
    c.json({ detail: `Method "${c.req.method}" not allowed.` }, 405, { Allow: allow.join(', ') }))
}

/**
 * Mount list, create, retrieve, update (PUT and PATCH) and delete for `spec`, and describe them; a method the spec
 * leaves out is answered 405.
 */
export function mountResource<Key, In extends z.ZodObject, Filters extends z.ZodObject, Out>(
  app: Hono<AppEnv>,
  registry: OpenAPIRegistry,
  spec: ResourceSpec<Key, In, Filters, Out>,
): void {
  const item = `${spec.path}:${spec.lookup.name}/`
  if (spec.noun) registry.name(spec.path, spec.noun)
  const key = (c: Context<AppEnv>): Key => {
    const parsed = spec.lookup.parse(c.req.param(spec.lookup.name) ?? '')
    if (parsed === null) throw notFound()
    return parsed
  }
  const changed = (c: Context<AppEnv>) => invalidateMetadata(c.var.deps)

  app.get(spec.path, async (c) => {
    const page = readPage(c)
    return c.json(paginated(page, await spec.list(c, parseQuery(c, spec.filters), page)))
  })
  registry.list(spec.path, spec.tag, spec.filters, spec.output)
  app.get(item, async (c) => {
    const found = await spec.get(c, key(c))
    if (!found) throw notFound()
    return c.json(found)
  })
  registry.retrieve(item, spec.tag, spec.lookup, spec.output)

  // Bound, so that a spec's methods may call each other through `this`.
  const create = spec.create?.bind(spec)
  const update = spec.update?.bind(spec)
  const remove = spec.remove?.bind(spec)
  const check = (c: Context<AppEnv>, self: Key | undefined) =>
    spec.check && ((valid: object) => spec.check!(c, valid as Partial<z.output<In>>, self))
  if (!create) notAllowed(app, spec.path, ['POST'], ['GET', 'HEAD'])
  notAllowed(app, item, [...(update ? [] : ['PUT', 'PATCH']), ...(remove ? [] : ['DELETE'])],
    ['GET', ...(update ? ['PUT', 'PATCH'] : []), ...(remove ? ['DELETE'] : []), 'HEAD'])
  if (create) {
    app.post(spec.path, async (c) => {
      const created = await create(c, await parseBody(c, spec.input, check(c, undefined)))
      changed(c)
      return c.json(created, 201)
    })
    registry.create(spec.path, spec.tag, spec.input, spec.output)
  }
  if (update) {
    const partial = spec.input.partial()
    for (const method of ['put', 'patch'] as const) {
      app[method](item, async (c) => {
        const k = key(c)
        const input = await parseBody(c, method === 'put' ? spec.input : partial, check(c, k))
        const updated = await update(c, k, input as Partial<z.output<In>>)
        if (!updated) throw notFound()
        changed(c)
        return c.json(updated)
      })
    }
    registry.update(item, spec.tag, spec.lookup, spec.input, partial, spec.output)
  }
  if (remove) {
    app.delete(item, async (c) => {
      if (!(await remove(c, key(c)))) throw notFound()
      changed(c)
      return c.body(null, 204)
    })
    registry.remove(item, spec.tag, spec.lookup)
  }
}

export { AdminError }
