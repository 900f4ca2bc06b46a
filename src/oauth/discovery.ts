import type { GrantType } from '../db/schema.ts'
import type { ProviderBundle } from '../db/providers.ts'
import { issuerOf, signingAlgOf } from './issuer.ts'

const GRANT_TYPE_VALUES: Array<[GrantType, string]> = [
  ['authorization_code', 'authorization_code'],
  ['refresh_token', 'refresh_token'],
  ['implicit', 'implicit'],
  ['client_credentials', 'client_credentials'],
  ['password', 'password'],
  ['device_code', 'urn:ietf:params:oauth:grant-type:device_code'],
]

const RESPONSE_TYPES: Array<[GrantType, string[]]> = [
  ['authorization_code', ['code']],
  ['implicit', ['id_token', 'id_token token']],
  ['hybrid', ['code token', 'code id_token', 'code id_token token']],
]

const STANDARD_CLAIMS = ['sub', 'iss', 'aud', 'exp', 'iat', 'auth_time', 'acr', 'amr', 'nonce']

/**
 * OIDC Discovery 1.0 §3 / RFC 8414 §2, in authentik's field order (`ProviderInfoView.get_info`), with grant
 * and response types narrowed to the provider's `grant_types`.
 */
export function discoveryDocument(bundle: ProviderBundle, origin: string): Record<string, unknown> {
  const slug = bundle.application?.slug ?? ''
  const allowed = new Set(bundle.provider.grantTypes)
  const url = (path: string) => `${origin}${path}`
  const scopes = bundle.scopeMappings.map((m) => m.scopeName)
  if (!scopes.includes('openid')) scopes.push('openid')
  const claims = [...STANDARD_CLAIMS, ...bundle.scopeMappings.flatMap((m) => Object.keys(m.expression))]

  const doc: Record<string, unknown> = {
    issuer: issuerOf(bundle, origin),
    authorization_endpoint: url('/application/o/authorize/'),
    token_endpoint: url('/application/o/token/'),
    userinfo_endpoint: url('/application/o/userinfo/'),
    end_session_endpoint: url(`/application/o/${slug}/end-session/`),
    introspection_endpoint: url('/application/o/introspect/'),
    revocation_endpoint: url('/application/o/revoke/'),
    device_authorization_endpoint: url('/application/o/device/'),
    backchannel_logout_supported: true,
    backchannel_logout_session_supported: true,
    frontchannel_logout_supported: true,
    frontchannel_logout_session_supported: true,
    response_types_supported: RESPONSE_TYPES.filter(([g]) => allowed.has(g)).flatMap(([, types]) => types),
    response_modes_supported: ['query', 'fragment', 'form_post'],
    jwks_uri: url(`/application/o/${slug}/jwks/`),
    grant_types_supported: GRANT_TYPE_VALUES.filter(([g]) => allowed.has(g)).map(([, value]) => value),
    id_token_signing_alg_values_supported: [signingAlgOf(bundle)],
    subject_types_supported: ['public'],
    token_endpoint_auth_methods_supported: ['client_secret_post', 'client_secret_basic'],
    acr_values_supported: ['goauthentik.io/providers/oauth2/default'],
    scopes_supported: scopes,
    request_parameter_supported: false,
    claims_supported: claims,
    claims_parameter_supported: false,
    code_challenge_methods_supported: ['plain', 'S256'],
    authorization_response_iss_parameter_supported: true,
  }
  if (bundle.encryptionKey) {
    doc.id_token_encryption_alg_values_supported = ['RSA-OAEP-256']
    doc.id_token_encryption_enc_values_supported = ['A256CBC-HS512']
  }
  return doc
}
