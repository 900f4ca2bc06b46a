import SwaggerParser from '@apidevtools/swagger-parser'
import openapiTS, { astToString } from 'openapi-typescript'
import ts from 'typescript'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestContext, type TestContext } from '../support/app.ts'

let t: TestContext
let doc: Record<string, unknown>
beforeAll(async () => {
  t = await createTestContext()
  const res = await t.request('/api/v3/schema/')
  expect(res.status).toBe(200)
  doc = await res.json()
})
afterAll(async () => t.close())

type Operation = { summary?: unknown; operationId?: unknown }
const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options', 'trace']

function operations(): Array<[string, Operation]> {
  const paths = doc.paths as Record<string, Record<string, Operation>>
  return Object.entries(paths).flatMap(([path, item]) => Object.entries(item)
    .filter(([method]) => METHODS.includes(method)).map(([method, op]) => [`${method} ${path}`, op] as [string, Operation]))
}

/** Every `$ref` anywhere in `value`, with where it stands. */
function refsOf(value: unknown, at = '#'): Array<[string, string]> {
  if (value === null || typeof value !== 'object') return []
  return Object.entries(value).flatMap(([k, v]) =>
    k === '$ref' && typeof v === 'string' ? [[at, v] as [string, string]] : refsOf(v, `${at}/${k}`))
}

/** RFC 6901: the value a local JSON pointer (`#/components/schemas/X`) names in the document, or undefined. */
function resolve(pointer: string): unknown {
  return pointer.slice(2).split('/').map((s) => s.replaceAll('~1', '/').replaceAll('~0', '~'))
    .reduce<unknown>((here, key) => (here !== null && typeof here === 'object' && Object.hasOwn(here, key)
      ? (here as Record<string, unknown>)[key] : undefined), doc)
}

describe('the OpenAPI document of the admin API', () => {
  it('is a valid OpenAPI 3.1 document whose references all resolve (swagger-parser)', async () => {
    expect(doc.openapi).toBe('3.1.0')
    await expect(SwaggerParser.validate(structuredClone(doc) as never)).resolves.toBeTruthy()
    const dereferenced = await SwaggerParser.dereference(structuredClone(doc) as never)
    expect(Object.keys(dereferenced.paths ?? {}).length).toBe(Object.keys(doc.paths as object).length)
  })

  it('has no $ref that names nothing, and none into a schema\'s own $defs', () => {
    const refs = refsOf(doc)
    expect(refs.length).toBeGreaterThan(0)
    for (const [at, ref] of refs) {
      expect(ref, at).toMatch(/^#\/components\/schemas\/\w+$/)
      expect(resolve(ref), `${at}: ${ref}`).toBeDefined()
    }
    expect(JSON.stringify(doc)).not.toContain('$defs')
  })

  it('describes the scope-mapping expression with one shared JSONValue component', () => {
    const schemas = (doc.components as { schemas: Record<string, unknown> }).schemas
    expect(Object.keys(schemas)).toEqual(['JSONValue'])
    const body = resolve('#/paths/~1propertymappings~1provider~1scope~1/post/requestBody/content/application~1json/schema')
    expect(JSON.stringify(body)).toContain('"$ref":"#/components/schemas/JSONValue"')
  })

  it('gives every operation a summary and an operationId used by no other operation', () => {
    const ops = operations()
    expect(ops.length).toBeGreaterThan(60)
    for (const [where, op] of ops) {
      expect(typeof op.summary === 'string' && op.summary.trim() !== '', `${where} has a summary`).toBe(true)
      expect(op.operationId, `${where} has an operationId`).toMatch(/^[a-z0-9_]+$/)
    }
    const ids = ops.map(([, op]) => op.operationId)
    expect(new Set(ids).size).toBe(ids.length)
  })

  it('generates TypeScript types (openapi-typescript) that compile', async () => {
    const source = astToString(await openapiTS(structuredClone(doc) as never))
    expect(source).toContain('"/core/users/"')
    expect(source).toContain('JSONValue')
    // Type-check the generated module on its own, with the standard library only.
    const file = '/generated/admin-api.ts'
    const options: ts.CompilerOptions = { strict: true, noEmit: true, target: ts.ScriptTarget.ES2022, types: [] }
    const host = ts.createCompilerHost(options)
    const read = host.getSourceFile.bind(host)
    host.getSourceFile = (name, version, ...rest) => name === file
      ? ts.createSourceFile(name, source, version) : read(name, version, ...rest)
    host.fileExists = ((exists) => (name: string) => name === file || exists(name))(host.fileExists.bind(host))
    const diagnostics = ts.getPreEmitDiagnostics(ts.createProgram([file], options, host))
    expect(diagnostics.map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'))).toEqual([])
  })
})
