import { hex } from '../crypto/encoding.ts'
import type { Secrets } from '../crypto/secret-box.ts'

/**
 * The keyed hash a client secret is stored and compared as (beside its sealed value, which HS256 needs back):
 * HMAC-SHA-512 under a key derived from SECRET_KEY, its first 256 bits in hex. A token request compares it with
 * the presented secret's inside its one statement; its outputs are nothing an attacker can steer or look up.
 */
export async function clientSecretHash(secrets: Pick<Secrets, 'mac'>, secret: string): Promise<string> {
  return hex((await secrets.mac('client-secret', secret)).subarray(0, 32))
}
