import { base64Decode, fromUtf8 } from '../crypto/encoding.ts'
import { constantTimeEqual } from '../crypto/hash.ts'
import type { Secrets } from '../crypto/secret-box.ts'
import type { ProviderBundle } from '../db/providers.ts'
import type { GrantType } from '../db/schema.ts'
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

function invalidClient(credentials: ClientCredentials, why: string): OAuthError {
  return new OAuthError('invalid_client', undefined, credentials.viaBasic ? 401 : 400, why)
}

/**
 * Who checks a confidential client's secret (authentik §4.1): `required`, the endpoint (authorization_code,
 * refresh_token, device_code, introspection, revocation, device authorization); `grant`, the grant itself, for
 * which the secret is one of several credentials (client_credentials and password, §4.4).
 */
export type SecretRule = 'required' | 'grant'

/**
 * RFC 6749 §3.2.1 / authentik §4.1: the provider must exist and, under `required`, a confidential client must
 * present its secret (compared in constant time); public clients send none. Then the provider must allow
 * `allows` (authentik 2026.5 answers `invalid_grant` here; RFC 6749 §5.2 names `unauthorized_client`, which is
 * what we send), and a grant for `confidentialOnly` clients refuses a public one the same way.
 */
export async function authenticateClient(
  bundle: ProviderBundle | null, credentials: ClientCredentials,
  rules: { secret: SecretRule; allows?: GrantType; confidentialOnly?: boolean }, secrets: Pick<Secrets, 'open'>,
): Promise<ProviderBundle> {
  if (!bundle) throw invalidClient(credentials, 'unknown client')
  if (rules.secret === 'required' && bundle.provider.clientType === 'confidential') {
    const secret = await secrets.open(bundle.provider.clientSecretSealed)
    if (!constantTimeEqual(secret, credentials.clientSecret)) throw invalidClient(credentials, 'wrong client secret')
  }
  if (rules.allows !== undefined && !bundle.provider.grantTypes.includes(rules.allows)) {
    throw new OAuthError('unauthorized_client', 'The client is not authorized to use this grant type', 400,
      'grant_type_not_configured')
  }
  // RFC 6749 §4.4.2: client_credentials is for confidential clients only (authentik lets a public client use it
  // with its provider's secret, which the admin API shows).
  if (rules.confidentialOnly && bundle.provider.clientType !== 'confidential') {
    throw new OAuthError('unauthorized_client', 'A public client cannot use this grant type', 400, 'public client')
  }
  return bundle
}
