import * as z from 'zod'

type JSONSchema = Record<string, unknown>
type Operation = Record<string, unknown>

function schemaOf(schema: z.ZodType, io: 'input' | 'output'): JSONSchema {
  const json = z.toJSONSchema(schema, { target: 'draft-2020-12', io, unrepresentable: 'any' }) as JSONSchema
  delete json.$schema
  return json
}

const jsonContent = (schema: JSONSchema) => ({ 'application/json': { schema } })

/** OpenAPI 3.1 path syntax: `/core/users/:id/` becomes `/core/users/{id}/`. */
const openapiPath = (path: string) => path.replace(/:(\w+)/g, '{$1}')

/** Collects the admin operations as they are mounted and renders the OpenAPI 3.1 document from the same zod schemas. */
export class OpenAPIRegistry {
  readonly #paths: Record<string, Record<string, Operation>> = {}

  add(method: string, path: string, operation: Operation): void {
    ;(this.#paths[openapiPath(path)] ??= {})[method] = operation
  }

  #pathParam(lookup: { name: string; schema: z.ZodType }) {
    return { name: lookup.name, in: 'path', required: true, schema: schemaOf(lookup.schema, 'input') }
  }

  list(path: string, tag: string, filters: z.ZodObject, output: z.ZodType): void {
    const query = { ...z.object({ page: z.number().int(), page_size: z.number().int(), search: z.string(),
      ordering: z.string() }).shape, ...filters.shape }
    const parameters = Object.entries(query).map(([name, s]) => ({
      name, in: 'query', required: false, schema: schemaOf(s as z.ZodType, 'input'),
    }))
    const page = z.object({
      pagination: z.object({ next: z.number(), previous: z.number(), count: z.number(), current: z.number(),
        total_pages: z.number(), start_index: z.number(), end_index: z.number() }),
      results: z.array(output),
    })
    this.add('get', path, { tags: [tag], operationId: `${tag}_list`, parameters,
      responses: { 200: { description: 'A page of objects', content: jsonContent(schemaOf(page, 'output')) } } })
  }

  retrieve(path: string, tag: string, lookup: { name: string; schema: z.ZodType }, output: z.ZodType): void {
    this.add('get', path, { tags: [tag], operationId: `${tag}_retrieve`, parameters: [this.#pathParam(lookup)],
      responses: { 200: { description: 'The object', content: jsonContent(schemaOf(output, 'output')) },
        404: { description: 'Not found' } } })
  }

  create(path: string, tag: string, input: z.ZodType, output: z.ZodType, id = `${tag}_create`): void {
    this.add('post', path, { tags: [tag], operationId: id,
      requestBody: { required: true, content: jsonContent(schemaOf(input, 'input')) },
      responses: { 201: { description: 'Created', content: jsonContent(schemaOf(output, 'output')) },
        400: { description: 'Validation errors, `{"field": ["message"]}`' } } })
  }

  update(path: string, tag: string, lookup: { name: string; schema: z.ZodType }, input: z.ZodType,
    partial: z.ZodType, output: z.ZodType): void {
    for (const [method, body] of [['put', input], ['patch', partial]] as const) {
      this.add(method, path, { tags: [tag], operationId: `${tag}_${method === 'put' ? 'update' : 'partial_update'}`,
        parameters: [this.#pathParam(lookup)],
        requestBody: { required: true, content: jsonContent(schemaOf(body, 'input')) },
        responses: { 200: { description: 'Updated', content: jsonContent(schemaOf(output, 'output')) },
          400: { description: 'Validation errors' }, 404: { description: 'Not found' } } })
    }
  }

  remove(path: string, tag: string, lookup: { name: string; schema: z.ZodType }): void {
    this.add('delete', path, { tags: [tag], operationId: `${tag}_destroy`, parameters: [this.#pathParam(lookup)],
      responses: { 204: { description: 'Deleted' }, 404: { description: 'Not found' } } })
  }

  document(): Record<string, unknown> {
    return {
      openapi: '3.1.0',
      info: { title: 'edge-oidc admin API', version: '3', description: "A subset of authentik's /api/v3" },
      servers: [{ url: '/api/v3' }],
      security: [{ bearer: [] }],
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      paths: this.#paths,
    }
  }
}
