import { base64urlEncode, utf8 } from './encoding.ts'
import { constantTimeEqual } from './hash.ts'
import type { Secrets } from './secret-box.ts'

/** RFC 9449 §8-9 server nonces, stateless: an HMAC of the time slot, so every isolate issues and accepts the same. */
export interface DPoPNonces {
  /** The nonce of the current slot. */
  issue(now: Date): Promise<string>
  /** True for the nonce of the current or the previous slot: a nonce lives between one and two slots. */
  accepts(nonce: string, now: Date): Promise<boolean>
}

/** How long one nonce is handed out (it is accepted for one more slot after that). */
export const NONCE_SLOT_MS = 5 * 60_000

/**
 * The nonces of the HMAC key derived from SECRET_KEY (src/crypto/secret-box.ts, cached per isolate there;
 * RFC 2104 over the slot number).
 */
export function dpopNonces(secrets: Pick<Secrets, 'dpopNonceKey'>): DPoPNonces {
  const hmacKey = secrets.dpopNonceKey
  const nonceOf = async (slot: number) =>
    base64urlEncode(await crypto.subtle.sign('HMAC', hmacKey, utf8(`dpop-nonce/${slot}`)))
  const slotOf = (now: Date) => Math.floor(now.getTime() / NONCE_SLOT_MS)
  return {
    issue: (now) => nonceOf(slotOf(now)),
    async accepts(nonce, now) {
      const slot = slotOf(now)
      const [current, previous] = await Promise.all([nonceOf(slot), nonceOf(slot - 1)])
      // Both compared, so the time taken does not tell which slot matched.
      return [constantTimeEqual(nonce, current), constantTimeEqual(nonce, previous)].includes(true)
    },
  }
}
