import { base64Decode, fromUtf8 } from '../crypto/encoding.ts'
import { OAuthError } from './errors.ts'

/** What the client presented: RFC 6749 §2.3.1 `client_secret_basic` or `client_secret_post` (or none). */
export interface ClientCredentials {
  clientId: string
  clientSecret: string
  /** The credentials came in the Authorization header: failures answer 401 with a challenge (RFC 6749 §5.2). */
  viaBasic: boolean
}

// authentik's pattern, case-sensitive: exactly one whitespace after `Basic`.
const BASIC = /^Basic\s{1}.+$/

function decodeBasic(header: string): { clientId: string; clientSecret: string } {
  try {
    const text = fromUtf8(base64Decode(header.split(/\s+/)[1] ?? ''))
    const colon = text.indexOf(':')
    const [id, secret] = colon < 0 ? [text, ''] : [text.slice(0, colon), text.slice(colon + 1)]
    // RFC 6749 §2.3.1 form-encodes both parts; authentik `unquote`s them, so a raw `+` stays a `+`.
    return { clientId: decodeURIComponent(id), clientSecret: decodeURIComponent(secret) }
  } catch {
    // authentik: any decoding error leaves both empty, which no provider matches.
    return { clientId: '', clientSecret: '' }
  }
}

/**
 * authentik `extract_client_auth` (§4.1): Basic credentials (percent-decoded) when the header matches, else the
 * form's `client_id` / `client_secret`.
 */
export function clientCredentials(authorization: string | undefined, form: ReadonlyMap<string, string>): ClientCredentials {
  if (authorization !== undefined && BASIC.test(authorization)) {
    const basic = decodeBasic(authorization)
    // RFC 6749 §2.3: one method per request; a different `client_id` in the body is a confused client.
    const formId = form.get('client_id')
    if (formId !== undefined && formId !== basic.clientId) {
      throw new OAuthError('invalid_request', 'client_id in the body does not match the Authorization header')
    }
    return { ...basic, viaBasic: true }
  }
  return { clientId: form.get('client_id') ?? '', clientSecret: form.get('client_secret') ?? '', viaBasic: false }
}

/** RFC 6749 §5.2: 401 with a challenge when the client tried HTTP Basic, else 400. */
export function invalidClient(credentials: ClientCredentials, why: string): OAuthError {
  return new OAuthError('invalid_client', undefined, credentials.viaBasic ? 401 : 400, why)
}
