import * as z from 'zod'
import { OAuthError } from './errors.ts'

/**
 * RFC 8707 §2 `resource` as a token request's grant parameter: repeatable, so it reaches a grant's zod schema as
 * the list of its values (src/routes/client-endpoint.ts keeps every value of it, and only of it).
 */
export const resourceParameter = { resource: z.array(z.string()).optional() }

/** RFC 8707 §2: an absolute URI (RFC 3986 §4.3: a scheme, no fragment). A query is allowed (SHOULD NOT only). */
export function isResourceIndicator(value: string): boolean {
  if (!/^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(value) || value.includes('#') || !URL.canParse(value)) return false
  // eslint-disable-next-line no-control-regex
  return !/[\u0000-\u0020\u007f]/.test(value)
}

const invalidTarget = (why: string): OAuthError => new OAuthError('invalid_target', undefined, 400, why)

/**
 * RFC 8707 §2: the resources a request asks for, each an absolute URI without a fragment and one of the
 * provider's `allowed_resources` (compared as exact strings), else `invalid_target`. Duplicates are dropped, the
 * order kept. Null when none was asked (the access token then keeps its default audience).
 */
export function requestedResources(values: readonly string[] | undefined, allowed: readonly string[]): string[] | null {
  const asked = [...new Set((values ?? []).filter((v) => v !== ''))]
  if (asked.length === 0) return null
  for (const value of asked) {
    if (!isResourceIndicator(value)) throw invalidTarget('resource is not an absolute URI without a fragment')
    if (!allowed.includes(value)) throw invalidTarget('resource is not one of the provider\'s allowed_resources')
  }
  return asked
}

/**
 * RFC 8707 §2.2: the audience of an access token issued from a grant that recorded `granted` resources (a code,
 * a refresh token). The request may name a subset of them (none: all of them) and nothing else. A grant that
 * recorded none granted none: a later request may name none either (else `invalid_target`), so that a code or
 * refresh token obtained without resources is never a wildcard for the provider's `allowed_resources`. Resources
 * the provider no longer allows are dropped from the grant first. Null: the default audience.
 */
export function grantedAudience(
  values: readonly string[] | undefined, granted: readonly string[] | null, allowed: readonly string[],
): string[] | null {
  const asked = requestedResources(values, allowed)
  if (granted === null || granted.length === 0) {
    if (asked !== null) throw invalidTarget('resource was not granted: the authorization named none')
    return null
  }
  const still = granted.filter((r) => allowed.includes(r))
  if (asked === null) {
    if (still.length === 0) throw invalidTarget('none of the granted resources is allowed any more')
    return still
  }
  if (!asked.every((r) => still.includes(r))) throw invalidTarget('resource was not granted')
  return asked
}

/** RFC 7519 §4.1.3 `aud` of an access token for `audience`: a string for one, an array for several. */
export function audienceClaim(audience: readonly string[]): string | string[] {
  return audience.length === 1 ? audience[0]! : [...audience]
}
