import type { Config } from '../config.ts'
import type { NewEvent } from '../db/events.ts'
import type { RotationState } from '../db/key-rotation.ts'
import { LOGOUT_TOKEN_TTL_S } from '../tokens/logout-token.ts'
import { parseDuration } from './duration.ts'
import { keyAlg } from './issuer.ts'

/**
 * How long a next key must have been published before it signs. A relying party keeps a key set for the JWKS
 * answer's `max-age` (METADATA_CACHE_SECONDS), and the answer may itself come from an isolate's cache of the same
 * age, computed before the next key was set: after twice that time every cached key set holds the next key.
 */
export function publishLeadMs(config: Pick<Config, 'metadataCacheSeconds'>): number {
  return 2 * config.metadataCacheSeconds * 1000
}

/**
 * When the key a rotation replaces may leave JWKS: once everything it signed has expired. Access and ID tokens
 * (and RFC 9068 access tokens) live `access_token_validity`, logout tokens two minutes; refresh tokens and codes
 * are not signed. An `id_token_hint` at end-session is accepted expired (RP-Initiated Logout §4), so an RP may
 * present an ID token long after this: that is why hints are verified with the previous key even once it has left
 * JWKS (src/oauth/id-token-hint.ts), while JWKS, which tells RPs what to trust, stops publishing it. The validity is
 * today's setting: a rotation soon after the validity was shortened keeps the previous key too briefly for tokens
 * issued before the change, so shorten it at least one old validity before rotating.
 */
export function previousKeyExpires(state: Pick<RotationState, 'accessTokenValidity'>, now: Date): Date {
  const lifetime = Math.max(parseDuration(state.accessTokenValidity), LOGOUT_TOKEN_TTL_S * 1000)
  return new Date(now.getTime() + lifetime)
}

/** Why `state` cannot rotate now, as the admin API's field error; null when it can. */
export function rotationRefusal(state: RotationState, now: Date, leadMs: number):
  { field: string; message: string } | null {
  const { next, active } = state
  if (!next) return { field: 'next_signing_key', message: 'This provider has no next signing key to rotate to.' }
  if (!next.hasPrivateKey) {
    return { field: 'next_signing_key', message: 'Only key pairs with a private key can be used for signing.' }
  }
  if (active && active.id === next.id) return { field: 'next_signing_key', message: 'The next signing key is the active one.' }
  if (!active || keyAlg(active) !== keyAlg(next)) {
    // Relying parties often pin the algorithm (`id_token_signed_response_alg`): a change is a reconfiguration.
    return { field: 'next_signing_key', message: `The next signing key signs with ${keyAlg(next)}, the active one with `
      + `${active ? keyAlg(active) : 'HS256'}: change the algorithm by setting signing_key instead.` }
  }
  // Counted from when the next key was set (`next_signing_key_published`), not from the key pair's age: an older
  // key pair set as next is as new to relying parties' caches as a generated one.
  const publishedAt = (state.nextSigningKeyPublished ?? now).getTime() + leadMs
  if (publishedAt > now.getTime()) {
    return { field: 'next_signing_key', message: `The next signing key must be published for ${leadMs / 1000} `
      + `seconds before it signs (twice METADATA_CACHE_SECONDS); rotate at ${new Date(publishedAt).toISOString()} `
      + 'or later.' }
  }
  const expires = state.previousSigningKeyExpires
  if (expires && expires.getTime() > now.getTime()) {
    return { field: 'previous_signing_key', message: 'The previous signing key is published until '
      + `${expires.toISOString()}, while tokens it signed are valid; rotate again after that.` }
  }
  return null
}

/** True when automatic rotation is on and its period has passed since the active key became active. */
export function rotationDue(state: RotationState, now: Date): boolean {
  if (state.signingKeyRotation === null) return false
  const since = (state.signingKeyRotated ?? state.created).getTime()
  return since + parseDuration(state.signingKeyRotation) <= now.getTime()
}

const providerModel = (s: RotationState) =>
  ({ app: 'authentik_providers_oauth2', model_name: 'oauth2provider', pk: s.id, name: s.name })

/** The audit event of a rotation (authentik's `secret_rotate`). */
export function rotationEvent(state: RotationState, previousExpires: Date, automatic: boolean): NewEvent {
  return { action: 'secret_rotate', clientId: state.clientId, context: {
    message: `Signing key of provider ${state.name} rotated${automatic ? ' automatically' : ''}.`,
    model: providerModel(state), signing_key: state.next?.id ?? null, previous_signing_key: state.active?.id ?? null,
    previous_signing_key_expires: previousExpires.toISOString(), automatic,
  } }
}

/** The audit event of a next key the scheduled run generated (authentik's `model_created`). */
export function generatedKeyEvent(state: RotationState, key: { id: string; name: string }): NewEvent {
  return { action: 'model_created', clientId: state.clientId, context: {
    message: `Next signing key of provider ${state.name} generated for automatic rotation.`,
    model: { app: 'authentik_crypto', model_name: 'certificatekeypair', pk: key.id, name: key.name },
    provider: providerModel(state),
  } }
}
