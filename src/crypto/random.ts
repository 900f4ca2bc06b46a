const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'
const DIGITS = '0123456789'

function assertLength(length: number): void {
  if (!Number.isSafeInteger(length) || length < 0) {
    throw new RangeError(`length must be a non-negative integer, got ${length}`)
  }
}

/**
 * `length` characters chosen uniformly from `alphabet` (at most 256 characters) by a CSPRNG (W3C WebCrypto
 * §10.1.1): bytes at or above the largest multiple of its size are rejected instead of folded in with a modulo,
 * which would favour the first characters.
 */
export function randomString(alphabet: string, length: number): string {
  assertLength(length)
  const limit = 256 - (256 % alphabet.length)
  let out = ''
  while (out.length < length) {
    // getRandomValues refuses more than 65536 bytes per call (WebCrypto §10.1.1).
    const bytes = crypto.getRandomValues(new Uint8Array(Math.min(length - out.length + 16, 65_536)))
    for (const byte of bytes) {
      if (byte >= limit) continue
      out += alphabet.charAt(byte % alphabet.length)
      if (out.length === length) break
    }
  }
  return out
}

/** authentik `generate_id`: `length` characters of [A-Za-z0-9] from a CSPRNG (W3C WebCrypto §10.1.1). */
export function randomId(length: number): string {
  return randomString(ALPHANUMERIC, length)
}

/** `n` uniformly random decimal digits (W3C WebCrypto §10.1.1), e.g. for user codes. */
export function randomDigits(n: number): string {
  return randomString(DIGITS, n)
}

/** RFC 9562 §5.4: a random (version 4) UUID. */
export function randomUUID(): string {
  return crypto.randomUUID()
}
