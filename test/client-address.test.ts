import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cloudflareAddress, forwardedAddress, socketAddress } from '../src/client-address.ts'
import { createTestContext, type TestContext } from './support/app.ts'
import { startHttpServer, type HttpServer } from './support/http-server.ts'

let t: TestContext
let server: HttpServer
beforeAll(async () => {
  t = await createTestContext()
  t.app.get('/address', (c) => c.json({
    socket: socketAddress(c) ?? null, cloudflare: cloudflareAddress(c) ?? null, forwarded: forwardedAddress(c) ?? null,
  }))
  server = await startHttpServer(t)
})
afterAll(async () => {
  await server.close()
  await t.close()
})

describe('the client address each runtime trusts', () => {
  it('is the TCP peer on Node, whatever forwarding headers the client sends', async () => {
    const res = await fetch(`${server.base}/address`, {
      headers: { 'X-Forwarded-For': '203.0.113.9', 'CF-Connecting-IP': '203.0.113.10' },
    })
    const body = (await res.json()) as Record<string, string | null>
    expect(body.socket).toMatch(/^(::ffff:)?127\.0\.0\.1$/)
    // Behind Cloudflare the header is Cloudflare's own; the proxy stand-in reads both.
    expect(body.cloudflare).toBe('203.0.113.10')
    expect(body.forwarded).toBe('203.0.113.10')
  })

  it('has no Node peer when the app is called without a server', async () => {
    const res = await t.request('/address', { headers: { 'X-Forwarded-For': '203.0.113.9, 10.0.0.1' } })
    expect(await res.json()).toEqual({ socket: null, cloudflare: null, forwarded: '203.0.113.9' })
  })
})
