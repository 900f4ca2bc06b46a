import * as z from 'zod'

type JSONSchema = Record<string, unknown>
type Operation = Record<string, unknown>
type Lookup = { name: string; schema: z.ZodType }

const LOCAL_DEF = '#/$defs/'
const COMPONENT = '#/components/schemas/'

/** `value` with every `$ref` to a local `$defs` entry pointed at the component `names` gives it. */
function retarget(value: unknown, names: ReadonlyMap<string, string>): unknown {
  if (Array.isArray(value)) return value.map((v) => retarget(v, names))
  if (value === null || typeof value !== 'object') return value
  return Object.fromEntries(Object.entries(value).map(([k, v]) => {
    if (k === '$ref' && typeof v === 'string' && v.startsWith(LOCAL_DEF)) {
      const name = names.get(v.slice(LOCAL_DEF.length))
      if (name === undefined) throw new Error(`OpenAPI: ${v} names no definition`)
      return [k, `${COMPONENT}${name}`]
    }
    return [k, retarget(v, names)]
  }))
}

const jsonContent = (schema: JSONSchema) => ({ 'application/json': { schema } })

/** OpenAPI 3.1 path syntax: `/core/users/:id/` becomes `/core/users/{id}/`. */
const openapiPath = (path: string) => path.replace(/:(\w+)/g, '{$1}')

/** What an operation is about when its resource names nothing: `/core/authenticated_sessions/` is "authenticated sessions". */
function nounsFromPath(path: string): { one: string; many: string } {
  const many = (path.split('/').filter((s) => s !== '' && !s.startsWith(':')).at(-1) ?? 'object').replaceAll('_', ' ')
  return { one: many.replace(/s$/, ''), many }
}

/** "a user", "an OAuth2 provider". */
const aOrAn = (noun: string) => `${/^[aeiou]/i.test(noun) ? 'an' : 'a'} ${noun}`

/** A summary from an operation id, for the actions that give none (`core_tokens_view_key_retrieve`). */
const summaryOf = (operationId: string) => operationId.replaceAll('_', ' ')

/**
 * Collects the admin operations as they are mounted and renders the OpenAPI 3.1 document from the same zod schemas.
 * Definitions that zod emits under a schema's own `$defs` (recursive ones, such as a JSON value) are hoisted into
 * `components/schemas`, where a `$ref` from anywhere in the document resolves (OpenAPI 3.1 §4.8.24).
 */
export class OpenAPIRegistry {
  readonly #paths: Record<string, Record<string, Operation>> = {}
  readonly #components: Record<string, JSONSchema> = {}
  /** Each set of `$defs` already hoisted (by its JSON), and the component names it got. */
  readonly #hoisted = new Map<string, Map<string, string>>()
  readonly #names = new Map<string, string>()

  /** What one object under `path` (a collection, with its items below it) is called in summaries. */
  name(path: string, noun: string): void {
    this.#names.set(path, noun)
  }

  /** Add one operation; one without a `summary` gets one from its `operationId`. */
  add(method: string, path: string, operation: Operation): void {
    const summary = operation.summary ?? summaryOf(String(operation.operationId ?? `${method} ${path}`))
    ;(this.#paths[openapiPath(path)] ??= {})[method] = { summary, ...operation }
  }

  /** The JSON Schema of `schema`, its local definitions moved into the components. */
  schema(schema: z.ZodType, io: 'input' | 'output'): JSONSchema {
    const { $schema: _, $defs, ...json } = z.toJSONSchema(schema, {
      target: 'draft-2020-12', io, unrepresentable: 'any',
    }) as JSONSchema
    if ($defs === undefined) return json
    return retarget(json, this.#hoist($defs as Record<string, JSONSchema>)) as JSONSchema
  }

  #hoist(defs: Record<string, JSONSchema>): Map<string, string> {
    const key = JSON.stringify(defs)
    const known = this.#hoisted.get(key)
    if (known) return known
    const names = new Map<string, string>()
    for (const name of Object.keys(defs)) {
      const base = name.replace(/^_+/, '') || 'Schema'
      let unique = base
      for (let n = 2; unique in this.#components || [...names.values()].includes(unique); n++) unique = `${base}${n}`
      names.set(name, unique)
    }
    for (const [name, def] of Object.entries(defs)) this.#components[names.get(name)!] = retarget(def, names) as JSONSchema
    this.#hoisted.set(key, names)
    return names
  }

  #nouns(path: string): { one: string; many: string } {
    const base = [...this.#names.keys()].find((p) => path.startsWith(p))
    const one = base === undefined ? undefined : this.#names.get(base)
    return one === undefined ? nounsFromPath(path.replace(/:\w+\/$/, '')) : { one, many: `${one}s` }
  }

  #pathParam(lookup: Lookup) {
    return { name: lookup.name, in: 'path', required: true, schema: this.schema(lookup.schema, 'input') }
  }

  list(path: string, tag: string, filters: z.ZodObject, output: z.ZodType): void {
    const query = { ...z.object({ page: z.number().int(), page_size: z.number().int(), search: z.string(),
      ordering: z.string() }).shape, ...filters.shape }
    const parameters = Object.entries(query).map(([name, s]) => ({
      name, in: 'query', required: false, schema: this.schema(s as z.ZodType, 'input'),
    }))
    const page = z.object({
      pagination: z.object({ next: z.number(), previous: z.number(), count: z.number(), current: z.number(),
        total_pages: z.number(), start_index: z.number(), end_index: z.number() }),
      results: z.array(output),
    })
    this.add('get', path, { summary: `List ${this.#nouns(path).many}`, tags: [tag], operationId: `${tag}_list`, parameters,
      responses: { 200: { description: 'A page of objects', content: jsonContent(this.schema(page, 'output')) } } })
  }

  retrieve(path: string, tag: string, lookup: Lookup, output: z.ZodType): void {
    this.add('get', path, { summary: `Retrieve one ${this.#nouns(path).one}`, tags: [tag], operationId: `${tag}_retrieve`,
      parameters: [this.#pathParam(lookup)],
      responses: { 200: { description: 'The object', content: jsonContent(this.schema(output, 'output')) },
        404: { description: 'Not found' } } })
  }

  create(path: string, tag: string, input: z.ZodType, output: z.ZodType, id = `${tag}_create`): void {
    const summary = id === `${tag}_create` ? `Create ${aOrAn(this.#nouns(path).one)}` : summaryOf(id)
    this.add('post', path, { summary, tags: [tag], operationId: id,
      requestBody: { required: true, content: jsonContent(this.schema(input, 'input')) },
      responses: { 201: { description: 'Created', content: jsonContent(this.schema(output, 'output')) },
        400: { description: 'Validation errors, `{"field": ["message"]}`' } } })
  }

  update(path: string, tag: string, lookup: Lookup, input: z.ZodType, partial: z.ZodType, output: z.ZodType): void {
    const { one } = this.#nouns(path)
    for (const [method, body] of [['put', input], ['patch', partial]] as const) {
      this.add(method, path, {
        summary: method === 'put' ? `Replace ${aOrAn(one)}` : `Change some fields of ${aOrAn(one)}`,
        tags: [tag], operationId: `${tag}_${method === 'put' ? 'update' : 'partial_update'}`,
        parameters: [this.#pathParam(lookup)],
        requestBody: { required: true, content: jsonContent(this.schema(body, 'input')) },
        responses: { 200: { description: 'Updated', content: jsonContent(this.schema(output, 'output')) },
          400: { description: 'Validation errors' }, 404: { description: 'Not found' } } })
    }
  }

  remove(path: string, tag: string, lookup: Lookup): void {
    this.add('delete', path, { summary: `Delete ${aOrAn(this.#nouns(path).one)}`, tags: [tag], operationId: `${tag}_destroy`,
      parameters: [this.#pathParam(lookup)],
      responses: { 204: { description: 'Deleted' }, 404: { description: 'Not found' } } })
  }

  document(): Record<string, unknown> {
    return {
      openapi: '3.1.0',
      info: { title: 'edge-oidc admin API', version: '3', description: "A subset of authentik's /api/v3" },
      servers: [{ url: '/api/v3' }],
      security: [{ bearer: [] }],
      components: { schemas: this.#components, securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      paths: this.#paths,
    }
  }
}
