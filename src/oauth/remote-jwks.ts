import type { JWK } from 'jose'
import * as z from 'zod'
import type { TtlCache } from '../cache.ts'

/** A JWKS URL that has not answered within this time counts as down. */
export const JWKS_FETCH_TIMEOUT_MS = 3000
/** A JWKS document larger than this is not a key set. */
const MAX_JWKS_CHARS = 256 * 1024

// RFC 7517 §5: `{"keys": [...]}`; keys without a `kty`, or holding private members, are left out (never trusted).
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k']
const JWKSet = z.object({ keys: z.array(z.unknown()) })

function publicKeys(keys: unknown[]): JWK[] {
  return keys.filter((k): k is JWK => typeof k === 'object' && k !== null && !Array.isArray(k)
    && typeof (k as { kty?: unknown }).kty === 'string' && !PRIVATE_MEMBERS.some((m) => m in k))
}

/** RFC 7517 §5: the public keys of an inline key set (an OAuth source's `oidc_jwks`). */
export function inlineKeys(set: { keys?: unknown }): JWK[] {
  return Array.isArray(set.keys) ? publicKeys(set.keys) : []
}

/**
 * The public keys a JWKS URL serves, through `fetch` with a timeout and cached per isolate (`cache`, by URL,
 * with its TTL). Null when the URL is unreachable, too slow, not 200 or answers anything but a key set: such a
 * source then verifies nothing, and nothing is cached, so the next request tries again.
 */
export async function remoteKeys(
  fetcher: typeof fetch, cache: TtlCache<string, JWK[]>, url: string, now: Date,
): Promise<JWK[] | null> {
  const cached = cache.get(url, now)
  if (cached) return cached
  let text: string
  try {
    const res = await fetcher(url, {
      headers: { Accept: 'application/jwk-set+json, application/json' },
      signal: AbortSignal.timeout(JWKS_FETCH_TIMEOUT_MS),
    })
    if (res.status !== 200) return null
    text = await res.text()
  } catch {
    return null
  }
  if (text.length > MAX_JWKS_CHARS) return null
  let parsed: z.infer<typeof JWKSet>
  try {
    parsed = JWKSet.parse(JSON.parse(text))
  } catch {
    return null
  }
  const keys = publicKeys(parsed.keys)
  cache.set(url, keys, now)
  return keys
}
