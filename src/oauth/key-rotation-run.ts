import { generateKeyPair } from '../crypto/keypair.ts'
import { deriveSecrets } from '../crypto/secret-box.ts'
import type { Db } from '../db/client.ts'
import {
  addNextSigningKey, loadAutomaticRotations, rotateSigningKey, type RotationKey, type RotationState,
} from '../db/key-rotation.ts'
import type { Deps } from '../deps.ts'
import { describeError } from '../log.ts'
import { parseDuration } from './duration.ts'
import {
  generatedKeyEvent, previousKeyExpires, publishLeadMs, rotationDue, rotationEvent, rotationRefusal,
} from './key-rotation.ts'

/** What one scheduled run of automatic key rotation did. */
export interface RotationRunResult {
  generated: number
  rotated: number
  failed: number
}

/** Bounds of one run: providers read, keys generated (the costly part: RSA key generation), rotations. */
export interface RotationLimits {
  scan?: number
  generate?: number
  rotate?: number
}

const DAY_MS = 86_400_000

/** A fresh pair of the active key's kind and size, its certificate valid for three periods and at least a year. */
async function freshKey(state: RotationState, active: RotationKey, now: Date) {
  const id = crypto.randomUUID()
  const name = `${state.name} signing key ${now.toISOString()}`
  const validityDays = Math.max(365, Math.ceil(3 * parseDuration(state.signingKeyRotation ?? 'days=0') / DAY_MS))
  const material = await generateKeyPair({ commonName: `${state.name} signing key`, validityDays,
    alg: active.keyType, keySize: active.keySize }, now)
  return { id, name, material }
}

/**
 * Automatic signing key rotation (`signing_key_rotation`), run by the scheduled handler: a provider without a
 * next key gets one generated (same algorithm and size as the active key), published in JWKS from then on; a
 * provider whose period has passed since its last rotation rotates once its next key has been published long
 * enough (`publishLeadMs`) and its previous key has left JWKS. Each change is one statement with its event.
 */
export async function rotateSigningKeys(deps: Deps, db: Db, now: Date, limits: RotationLimits = {}):
  Promise<RotationRunResult> {
  const result: RotationRunResult = { generated: 0, rotated: 0, failed: 0 }
  const states = await loadAutomaticRotations(db, limits.scan ?? 200)
  const leadMs = publishLeadMs(deps.config)
  for (const state of states) {
    try {
      if (!state.next && state.active && result.generated < (limits.generate ?? 5)) {
        const key = await freshKey(state, state.active, now)
        const secrets = await deriveSecrets(deps.config.secretKey)
        if (await addNextSigningKey(db, secrets, state, now, key, generatedKeyEvent(state, key))) result.generated++
      } else if (state.next && result.rotated < (limits.rotate ?? 20) && rotationDue(state, now)
        && rotationRefusal(state, now, leadMs) === null) {
        const previousExpires = previousKeyExpires(state, now)
        const rotated = await rotateSigningKey(db, state, now, { previousExpires,
          publishedBefore: new Date(now.getTime() - leadMs), event: rotationEvent(state, previousExpires, true) })
        if (rotated) result.rotated++
      }
    } catch (err) {
      result.failed++
      deps.log.log('error', 'signing key rotation failed', { provider: state.id, ...describeError(err) })
    }
  }
  return result
}
