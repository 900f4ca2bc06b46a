/**
 * The checker's own ID token validation (OIDC Core §3.1.3.7): signature against the provider's JWKS (or the
 * client secret for HS*, §10.1), with an alg the provider advertises and never `none`; iss, aud, azp, exp, iat,
 * nonce. The `alg: none` check feeds it an unsigned copy of a real token and expects a refusal.
 */
import * as jose from 'jose'

export interface Expected {
  issuer: string
  clientId: string
  clientSecret?: string
  nonce?: string
  /** id_token_signing_alg_values_supported */
  algs: string[]
  jwks: unknown
  /** Seconds of clock skew tolerated on exp and iat. */
  tolerance: number
}

/** Verifies the signature; throws with the reason. Answers the payload. */
export async function verifySignature(token: string, e: Expected): Promise<jose.JWTPayload> {
  const header = jose.decodeProtectedHeader(token)
  const alg = String(header.alg)
  if (alg === 'none') throw new Error('alg is none: unsigned ID token')
  if (!e.algs.includes(alg)) throw new Error(`alg ${alg} is not in id_token_signing_alg_values_supported [${e.algs}]`)
  if (alg.startsWith('HS')) {
    if (!e.clientSecret) throw new Error(`${alg} ID token, and no --client-secret to verify it with`)
    return (await jose.jwtVerify(token, new TextEncoder().encode(e.clientSecret), { algorithms: [alg] })).payload
  }
  const keys = jose.createLocalJWKSet(e.jwks as jose.JSONWebKeySet)
  return (await jose.jwtVerify(token, keys, { algorithms: [alg] })).payload
}

/** The claim checks of OIDC Core §3.1.3.7 items 2-4, 9-11; answers the problems found. */
export function claimProblems(p: jose.JWTPayload, e: Expected, now: number): string[] {
  const problems: string[] = []
  const aud = typeof p.aud === 'string' ? [p.aud] : Array.isArray(p.aud) ? p.aud : []
  if (p.iss !== e.issuer) problems.push(`iss is ${JSON.stringify(p.iss)}, not ${e.issuer}`)
  if (!aud.includes(e.clientId)) problems.push(`aud ${JSON.stringify(p.aud)} does not contain ${e.clientId}`)
  if (aud.length > 1 && p.azp !== e.clientId) problems.push(`several audiences and azp is ${JSON.stringify(p.azp)}`)
  if (typeof p.sub !== 'string' || p.sub === '') problems.push('no sub')
  if (typeof p.exp !== 'number') problems.push('no exp')
  else if (p.exp <= now - e.tolerance) problems.push(`expired (exp ${p.exp}, now ${now})`)
  if (typeof p.iat !== 'number') problems.push('no iat')
  else if (p.iat > now + e.tolerance) problems.push(`iat ${p.iat} is in the future (now ${now})`)
  if (typeof p.exp === 'number' && typeof p.iat === 'number' && p.exp <= p.iat) problems.push('exp is not after iat')
  if (e.nonce !== undefined && p.nonce !== e.nonce) problems.push(`nonce ${JSON.stringify(p.nonce)} is not the one sent`)
  return problems
}

/** OIDC Core §3.1.3.8 (§3.3.2.11): at_hash is base64url of the left half of the access token's hash under alg. */
export async function atHash(accessToken: string, alg: string): Promise<string | null> {
  const bits = alg === 'EdDSA' || alg === 'Ed25519' ? 512 : Number(/(256|384|512)$/.exec(alg)?.[1] ?? 0)
  if (!bits) return null
  const digest = new Uint8Array(await crypto.subtle.digest(`SHA-${bits}`, new TextEncoder().encode(accessToken)))
  return jose.base64url.encode(digest.slice(0, digest.length / 2))
}

/** Signature, then claims: throws with every problem (what a relying party does before trusting the token). */
export async function verifyIdToken(token: string, e: Expected, now: number): Promise<jose.JWTPayload> {
  const payload = await verifySignature(token, e)
  const problems = claimProblems(payload, e, now)
  if (problems.length) throw new Error(problems.join('; '))
  return payload
}

/** The same claims as `token`, with `{"alg":"none"}` and no signature (RFC 7519 §6.1's unsecured JWT). */
export function unsignedCopy(token: string): string {
  const [, payload] = token.split('.')
  return `${jose.base64url.encode(JSON.stringify({ alg: 'none', typ: 'JWT' }))}.${payload}.`
}
