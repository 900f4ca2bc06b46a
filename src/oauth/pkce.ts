/**
 * RFC 7636 §4.1 (`code_verifier`) and §4.2 (`code_challenge`): 43 to 128 characters of the unreserved set
 * `[A-Z] / [a-z] / [0-9] / "-" / "." / "_" / "~"`. An S256 challenge is 43 characters of base64url; a plain
 * one is the verifier itself, so one rule serves both.
 */
const PKCE_VALUE = /^[A-Za-z0-9\-._~]{43,128}$/

export function isPkceValue(value: string): boolean {
  return PKCE_VALUE.test(value)
}
