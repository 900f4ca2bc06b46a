import type { Context } from 'hono'

/** How a runtime learns the client's address: only from what its network edge vouches for. */
export type ClientAddress = (c: Context) => string | undefined

/** Workers: Cloudflare sets `CF-Connecting-IP` and overwrites any value a client sent. */
export const cloudflareAddress: ClientAddress = (c) => c.req.header('CF-Connecting-IP')?.trim() || undefined

/**
 * `npm start`: the TCP peer of @hono/node-server (which hands the app `{ incoming }` as its env). Headers such
 * as `X-Forwarded-For` are the client's to forge, so they are not read.
 */
export const socketAddress: ClientAddress = (c) =>
  (c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined)?.incoming?.socket?.remoteAddress

/**
 * Behind a proxy that sets them (tests stand in for one): `CF-Connecting-IP`, else the first `X-Forwarded-For`
 * entry.
 */
export const forwardedAddress: ClientAddress = (c) =>
  cloudflareAddress(c) || c.req.header('X-Forwarded-For')?.split(',')[0]?.trim() || undefined
