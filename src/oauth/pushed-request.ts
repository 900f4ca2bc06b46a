/**
 * RFC 9126 pushed authorization requests: the push (validated as authorize validates, stored by the hash of its
 * reference), the reference's resolution at authorize, and its single use across sign-in and consent.
 */
import { sha256Hex } from '../crypto/hash.ts'
import { randomId } from '../crypto/random.ts'
import type { Db } from '../db/client.ts'
import type { ProviderBundle } from '../db/providers.ts'
import {
  continuePushedRequest, storePushedRequest, type PushedContinuation, type PushedRequest,
} from '../db/pushed-requests.ts'
import { AUTHORIZE_ENDPOINTS } from './authorize-endpoints.ts'
import { trustedTarget, UntrustedRequestError, validateAuthorizeRequest } from './authorize-request.ts'
import { authorizeError } from './authorize-response.ts'
import type { ClientCredentials } from './client-auth.ts'
import { clientStatement, type ClientContext } from './client-request.ts'
import { OAuthError } from './errors.ts'

/** RFC 9126 §2.2: the URN form of a reference, whose random part is all that is stored (as a hash). */
export const REQUEST_URI_PREFIX = 'urn:ietf:params:oauth:request_uri:'
/** RFC 9126 §2.2 `expires_in`: how long a client has to send the user to authorize with the reference. */
export const PUSHED_REQUEST_LIFETIME_S = 60
/** How long a request that continues through sign-in or consent stays usable by its next reference. */
export const INTERACTION_LIFETIME_S = 600

/** RFC 9126 §2.3 (413): what one pushed request may store, about what a browser's URL can carry. */
export const MAX_PUSHED_BYTES = 16_384

const RANDOM_LENGTH = 48
const RANDOM_PART = new RegExp(`^[A-Za-z0-9]{${RANDOM_LENGTH}}$`)

/** The client authentication parameters (RFC 9126 §2.1): relied upon to authenticate, never stored. */
const CLIENT_AUTHENTICATION = new Set(['client_secret', 'client_assertion', 'client_assertion_type'])

const UNTRUSTED_DESCRIPTIONS: Record<UntrustedRequestError['kind'], string> = {
  client_id: 'The client has no application to authorize for',
  redirect_uri: 'The redirect_uri is missing, not registered for the client, or not allowed',
  request_uri: 'The request_uri is unknown, expired, used or issued to another client',
}

/**
 * Stored parameters: one value per name, but a list for a name sent several times (RFC 8707 `resource`), so that
 * the request authorize rebuilds is exactly the one pushed.
 */
export type StoredParameters = Record<string, string | string[]>

function toStored(params: URLSearchParams): StoredParameters {
  const stored: StoredParameters = {}
  for (const name of new Set(params.keys())) {
    const values = params.getAll(name)
    stored[name] = values.length === 1 ? values[0]! : values
  }
  return stored
}

function fromStored(stored: StoredParameters): URLSearchParams {
  const params = new URLSearchParams()
  for (const [name, value] of Object.entries(stored)) for (const v of [value].flat()) params.append(name, v)
  return params
}

const after = (now: Date, seconds: number) => new Date(now.getTime() + seconds * 1000)

/** A fresh reference (RFC 6749 §10.10: ~285 bits from a CSPRNG) and the hash it is stored by. */
async function newReference(): Promise<{ uri: string; hash: string }> {
  const random = randomId(RANDOM_LENGTH)
  return { uri: `${REQUEST_URI_PREFIX}${random}`, hash: await sha256Hex(random) }
}

/** The stored hash a `request_uri` names; null when it is not one of ours (it can then match nothing). */
export async function requestUriHash(requestUri: string): Promise<string | null> {
  if (!requestUri.startsWith(REQUEST_URI_PREFIX)) return null
  const random = requestUri.slice(REQUEST_URI_PREFIX.length)
  return RANDOM_PART.test(random) ? sha256Hex(random) : null
}

/**
 * RFC 9126 §2.1-2.3: authenticate the client as the token endpoint does, refuse a pushed `request_uri`, validate
 * the parameters as authorize would (every failure a JSON error, never a redirect: RFC 9126 §2.3 names
 * `invalid_request` where RFC 6749 §4.1.2.1 has no code; 413 past `MAX_PUSHED_BYTES`), then store them for 60
 * seconds. Two statements.
 */
export async function pushAuthorizationRequest(ctx: ClientContext, client: ClientCredentials,
  form: ReadonlyMap<string, string>, repeated: ReadonlyMap<string, readonly string[]> = new Map()):
  Promise<{ request_uri: string; expires_in: number }> {
  const { bundle } = await clientStatement(ctx, client, { secret: 'required' })
  if (!form.has('client_id')) throw new OAuthError('invalid_request', 'client_id is required (RFC 9126 §2.1)')
  if (form.has('request_uri')) throw new OAuthError('invalid_request', 'request_uri must not be pushed (RFC 9126 §2.1)')
  const params = new URLSearchParams([...form].filter(([name]) => !CLIENT_AUTHENTICATION.has(name)))
  for (const [name, values] of repeated) for (const v of values) params.append(name, v)
  if (new TextEncoder().encode(params.toString()).length > MAX_PUSHED_BYTES) {
    throw new OAuthError('invalid_request', `The pushed request exceeds ${MAX_PUSHED_BYTES} bytes`, 413)
  }
  try {
    const { target } = trustedTarget(bundle, params, ctx.origin)
    validateAuthorizeRequest(bundle, params, target, AUTHORIZE_ENDPOINTS.oidc)
  } catch (err) {
    if (err instanceof UntrustedRequestError) {
      throw new OAuthError('invalid_request', UNTRUSTED_DESCRIPTIONS[err.kind], 400, err.reason)
    }
    throw err
  }
  const reference = await newReference()
  await storePushedRequest(ctx.db, { hash: reference.hash, providerId: bundle.provider.id,
    parameters: toStored(params), expires: after(ctx.now, PUSHED_REQUEST_LIFETIME_S), now: ctx.now })
  return { request_uri: reference.uri, expires_in: PUSHED_REQUEST_LIFETIME_S }
}

/**
 * RFC 9126 §4 / RFC 9101 §6.2: a request naming a `request_uri` is exactly the pushed parameters (the query's
 * others are ignored) under its `client_id`; an unknown, expired, used or foreign one cannot be trusted (a page,
 * `invalid_request_uri`). Without one, a provider that requires pushed requests refuses (`invalid_request`, at the
 * verified redirect URI, so `assertPushedIfRequired` runs after the target is trusted).
 */
export function pushedParams(clientId: string, pushed: PushedRequest | null): URLSearchParams {
  if (pushed === null) throw new UntrustedRequestError('request_uri', 'request_uri_unknown')
  const params = fromStored(pushed.parameters)
  params.set('client_id', clientId)
  return params
}

/** RFC 9126 §4 / §5 `require_pushed_authorization_requests`. */
export function assertPushedIfRequired(bundle: ProviderBundle, pushed: PushedRequest | null): void {
  if (pushed === null && bundle.provider.requirePushedAuthorizationRequests) {
    throw authorizeError('invalid_request', 'pushed authorization request required')
  }
}

/** A continuation: what the row becomes, and the parameters the browser comes back with. */
export interface Continuation {
  stored: PushedContinuation
  params: URLSearchParams
}

/**
 * RFC 9126 §7.3: each reference is used once. A request that goes on to sign-in or consent gets a new reference
 * for the browser to come back with, carrying `parameters` (what the next step must see), for the user's
 * interaction; the old one is then dead.
 */
export async function newContinuation(now: Date, clientId: string, parameters: URLSearchParams):
  Promise<Continuation> {
  const reference = await newReference()
  return {
    stored: { hash: reference.hash, parameters: toStored(parameters),
      expires: after(now, INTERACTION_LIFETIME_S) },
    params: new URLSearchParams({ client_id: clientId, request_uri: reference.uri }),
  }
}

/** Continue `pushed` (one statement): the parameters to come back with, or null when it was used meanwhile. */
export async function continuePushed(db: Db, now: Date, pushed: PushedRequest, clientId: string,
  parameters: URLSearchParams): Promise<URLSearchParams | null> {
  const next = await newContinuation(now, clientId, parameters)
  return await continuePushedRequest(db, pushed, next.stored, now) ? next.params : null
}
