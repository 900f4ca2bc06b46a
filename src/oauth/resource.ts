import * as z from 'zod'
import type { ResourceRequest } from '../db/resource-audience.ts'
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
 * RFC 8707 §2 at the token endpoint: the `resource` values of a request (repeats and empty ones dropped, the order
 * kept; null when none), and whether each is an absolute URI without a fragment. The statement decides the rest
 * against the provider and the grant (src/db/resource-audience.ts).
 */
export function resourceRequest(values: readonly string[] | undefined): ResourceRequest {
  const asked = [...new Set((values ?? []).filter((v) => v !== ''))]
  return { asked: asked.length === 0 ? null : asked, syntaxOk: asked.every(isResourceIndicator) }
}

/** The error of a request whose resources the statement found it may not be granted. */
export const resourceRefused = (): OAuthError => invalidTarget('resource is not allowed, or was not granted')

/** RFC 7519 §4.1.3 `aud` of an access token for `audience`: a string for one, an array for several. */
export function audienceClaim(audience: readonly string[]): string | string[] {
  return audience.length === 1 ? audience[0]! : [...audience]
}
