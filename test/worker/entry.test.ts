import { exports } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import * as entry from '../../src/worker.ts'

describe('Worker entry', () => {
  it('exports nothing but its handlers', () => {
    expect(Object.keys(entry)).toEqual(['default'])
    expect(Object.keys(entry.default).sort()).toEqual(['fetch', 'scheduled'])
  })

  it('puts a request id on every response, found or not', async () => {
    const seen = new Set<string>()
    const paths: Array<[path: string, status: number]> = [
      ['/.well-known/webfinger?resource=acct:someone@idp.test', 200],
      ['/application/o/no-such-app/.well-known/openid-configuration', 404],
      ['/nowhere', 404],
      ['/api/v3/core/users/', 401],
    ]
    for (const [path, status] of paths) {
      const res = await exports.default.fetch(`https://idp.test${path}`)
      await res.arrayBuffer()
      expect(res.status, path).toBe(status)
      const id = res.headers.get('X-Request-Id')
      expect(id, path).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
      seen.add(id ?? '')
    }
    expect(seen.size).toBe(paths.length)
  })
})
