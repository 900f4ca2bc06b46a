import { randomString } from '../crypto/random.ts'

/**
 * RFC 8628 §6.1: consonants only (no vowels, so no words; no 0/O/1/I to confuse), upper case. 20^8 codes,
 * about 34.5 bits, which with a short lifetime and the page's limit on wrong codes is the RFC's example.
 */
export const USER_CODE_ALPHABET = 'BCDFGHJKLMNPQRSTVWXZ'
const LENGTH = 8

/** A new user code in its stored form: 8 characters of {@link USER_CODE_ALPHABET}. */
export function newUserCode(): string {
  return randomString(USER_CODE_ALPHABET, LENGTH)
}

/** How a user code is shown (RFC 8628 §6.1 example `WDJB-MJHT`): two groups of four. */
export function displayUserCode(code: string): string {
  return code.length === LENGTH ? `${code.slice(0, 4)}-${code.slice(4)}` : code
}

/**
 * What the user typed, in the stored form (RFC 8628 §6.1: case-insensitive, punctuation ignored): upper case,
 * without hyphens or whitespace, bounded for the lookup.
 */
export function normaliseUserCode(input: string): string {
  return input.toUpperCase().replace(/[\s-]+/g, '').slice(0, 64)
}
