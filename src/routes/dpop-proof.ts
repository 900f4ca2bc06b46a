import { origin, type AppContext } from '../deps.ts'
import { verifyProof, type DPoPProof } from '../oauth/dpop.ts'

/**
 * RFC 9449 §4.3: the request's `DPoP` proof (null: none sent), checked against its method and its URL on our
 * issuer origin (`PUBLIC_URL` when set), and against the access token it comes with at a resource (`ath`).
 */
export function requestProof(c: AppContext, now: Date, accessToken?: string): Promise<DPoPProof | null> {
  return verifyProof({
    // The path as sent (`c.req.path` is decoded for routing); `verifyProof` normalizes both sides.
    header: c.req.header('DPoP') ?? null, method: c.req.method, url: `${origin(c)}${new URL(c.req.url).pathname}`, now,
    ...(accessToken !== undefined && { accessToken }),
  })
}
