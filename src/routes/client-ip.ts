import type { AppContext } from '../deps.ts'

/** The client's address, as the runtime vouches for it (`deps.clientAddress`), bounded for storage. */
export function clientIp(c: AppContext): string | undefined {
  const ip = c.var.deps.clientAddress(c)
  return ip ? ip.slice(0, 64) : undefined
}
