import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestContext, type TestContext } from './support/app.ts'

let t: TestContext
beforeAll(async () => {
  t = await createTestContext()
})
afterAll(() => t.close())

describe('every response', () => {
  it('carries a fresh request id', async () => {
    const a = await t.request('/application/o/nope/jwks/')
    const b = await t.request('/nowhere')
    expect(a.headers.get('X-Request-Id')).toMatch(/^[0-9a-f-]{36}$/)
    expect(b.headers.get('X-Request-Id')).toMatch(/^[0-9a-f-]{36}$/)
    expect(a.headers.get('X-Request-Id')).not.toBe(b.headers.get('X-Request-Id'))
  })

  it('is logged as one line without its query string', async () => {
    const res = await t.request('/application/o/nope/jwks/?code=secret-code&client_secret=hunter2')
    const line = t.log.lines.find((l) => l.request_id === res.headers.get('X-Request-Id'))
    expect(line).toMatchObject({ level: 'info', msg: 'request', method: 'GET', path: '/application/o/nope/jwks/', status: 404 })
    expect(JSON.stringify(t.log.lines)).not.toContain('secret-code')
    expect(JSON.stringify(t.log.lines)).not.toContain('hunter2')
  })

  it('answers unknown paths with 404', async () => {
    const res = await t.request('/nowhere')
    expect(res.status).toBe(404)
    expect(await res.json()).toEqual({ detail: 'Not found.' })
  })
})

describe('unexpected errors', () => {
  it('are logged with the request id and answered as an opaque 500', async () => {
    const broken = await createTestContext()
    await broken.close() // the database goes away under the app
    const res = await broken.request('/application/o/demo/.well-known/openid-configuration')
    expect(res.status).toBe(500)
    const requestId = res.headers.get('X-Request-Id')
    expect(await res.json()).toEqual({ error: 'server_error', request_id: requestId })
    expect(res.headers.get('Cache-Control')).toBe('no-store')
    const line = broken.log.lines.find((l) => l.msg === 'unhandled error')
    expect(line).toMatchObject({ level: 'error', request_id: requestId, path: '/application/o/demo/.well-known/openid-configuration' })
  })
})

describe('admin API authentication', () => {
  it.each([
    [undefined, 'Authentication credentials were not provided.'],
    ['Basic Zm9vOmJhcg==', 'Authentication credentials were not provided.'],
    ['Bearer wrong-token-0123456789', 'Invalid token.'],
    ['Bearer test-admin-token-012345678', 'Invalid token.'],
  ])('refuses %j with 401', async (authorization, detail) => {
    const res = await t.request('/api/v3/core/applications/', {
      headers: authorization ? { Authorization: authorization } : {},
    })
    expect(res.status).toBe(401)
    expect(res.headers.get('WWW-Authenticate')).toBe('Bearer realm="api"')
    expect(await res.json()).toEqual({ detail })
  })

  it('answers 401 to everyone when no ADMIN_TOKEN is configured', async () => {
    const noAdmin = await createTestContext({ ADMIN_TOKEN: '' })
    try {
      const res = await noAdmin.request('/api/v3/core/applications/', { headers: { Authorization: 'Bearer ' } })
      expect(res.status).toBe(401)
      const res2 = await noAdmin.admin('GET', '/core/applications/')
      expect(res2.status).toBe(401)
    } finally {
      await noAdmin.close()
    }
  })

  it('serves the OpenAPI 3.1 document of the admin API without credentials', async () => {
    const res = await t.request('/api/v3/schema/')
    expect(res.status).toBe(200)
    const doc = (await res.json()) as { openapi: string; paths: Record<string, Record<string, unknown>> }
    expect(doc.openapi).toBe('3.1.0')
    for (const path of [
      '/core/applications/', '/core/applications/{slug}/', '/providers/oauth2/', '/providers/oauth2/{id}/',
      '/propertymappings/provider/scope/', '/crypto/certificatekeypairs/', '/crypto/certificatekeypairs/generate/',
      '/core/users/', '/core/users/{id}/set_password/', '/core/groups/', '/sources/oauth/',
      '/oauth2/access_tokens/', '/oauth2/refresh_tokens/', '/oauth2/authorization_codes/', '/core/tokens/',
      '/core/authenticated_sessions/', '/events/events/',
    ]) expect(Object.keys(doc.paths), path).toContain(path)
    const create = doc.paths['/propertymappings/provider/scope/']?.post as {
      requestBody: { content: { 'application/json': { schema: { required: string[] } } } }
    }
    expect(create.requestBody.content['application/json'].schema.required).toEqual(['name', 'scope_name', 'expression'])
  })
})
