import type { ProviderBundle } from '../db/providers.ts'
import { SERVED_GRANTS } from '../grants/index.ts'
import { SERVED_RESPONSE_TYPES } from './authorize-request.ts'
import { DPOP_ALGS } from './dpop.ts'
import { issuerOf, signingAlgOf } from './issuer.ts'

/** The discovery members that name an endpoint (OIDC Discovery 1.0 §3, RFC 8414 §2, RFC 8628 §4, RFC 9126 §5). */
export type MetadataEndpoint =
  | 'authorization_endpoint' | 'token_endpoint' | 'userinfo_endpoint' | 'end_session_endpoint'
  | 'introspection_endpoint' | 'revocation_endpoint' | 'device_authorization_endpoint' | 'jwks_uri'
  | 'pushed_authorization_request_endpoint'

/** The path each served endpoint has (`:slug` stands for the application's slug); built from the route table. */
export type ServedEndpoints = Partial<Record<MetadataEndpoint, string>>

/** OIDC Back-Channel Logout 1.0 §2.1 and Front-Channel Logout 1.0 §3 metadata. */
const LOGOUT_FLAGS = {
  backchannel_logout_supported: true, backchannel_logout_session_supported: true,
  frontchannel_logout_supported: true, frontchannel_logout_session_supported: true,
}

const STANDARD_CLAIMS = ['sub', 'iss', 'aud', 'exp', 'iat', 'auth_time', 'acr', 'amr', 'nonce']

/**
 * The token endpoint's grants, plus `implicit` when the authorization endpoint serves it (authentik lists it after
 * `refresh_token`; hybrid flows have no `grant_type` of their own).
 */
const ADVERTISED_GRANTS = (() => {
  const grants = [...SERVED_GRANTS]
  if (SERVED_RESPONSE_TYPES.some(([, grant]) => grant === 'implicit')) {
    const after = grants.findIndex((g) => g.grantType === 'refresh_token')
    grants.splice(after + 1, 0, { grantType: 'implicit', allowedBy: 'implicit' })
  }
  return grants
})()

/**
 * OIDC Discovery 1.0 §3 / RFC 8414 §2, in authentik's field order (`ProviderInfoView.get_info`), saying only
 * what is served: the endpoints of the route table, the grants of the grant table and the response types of the
 * authorization endpoint, each narrowed to the provider's `grant_types`.
 */
export function discoveryDocument(bundle: ProviderBundle, origin: string, served: ServedEndpoints): Record<string, unknown> {
  const slug = bundle.application?.slug ?? ''
  const allowed = new Set(bundle.provider.grantTypes)
  const endpoint = (name: MetadataEndpoint) => {
    const path = served[name]
    return path === undefined ? undefined : `${origin}${path.replace(':slug', encodeURIComponent(slug))}`
  }
  const scopes = bundle.scopeMappings.map((m) => m.scopeName)
  if (!scopes.includes('openid')) scopes.push('openid')
  const claims = [...STANDARD_CLAIMS, ...bundle.scopeMappings.flatMap((m) => Object.keys(m.expression))]
  const responseTypes = SERVED_RESPONSE_TYPES.filter(([, grant]) => allowed.has(grant)).map(([type]) => type)
  const grantTypes = ADVERTISED_GRANTS.filter((g) => allowed.has(g.allowedBy)).map((g) => g.grantType)

  const doc: Record<string, unknown> = {
    issuer: issuerOf(bundle, origin),
    authorization_endpoint: endpoint('authorization_endpoint'),
    token_endpoint: endpoint('token_endpoint'),
    userinfo_endpoint: endpoint('userinfo_endpoint'),
    end_session_endpoint: endpoint('end_session_endpoint'),
    // Back- and front-channel logout (with `sid`) come with the end-session endpoint that drives them.
    ...(served.end_session_endpoint !== undefined && LOGOUT_FLAGS),
    introspection_endpoint: endpoint('introspection_endpoint'),
    revocation_endpoint: endpoint('revocation_endpoint'),
    device_authorization_endpoint: endpoint('device_authorization_endpoint'),
    pushed_authorization_request_endpoint: endpoint('pushed_authorization_request_endpoint'),
    response_types_supported: responseTypes,
    response_modes_supported: ['query', 'fragment', 'form_post'],
    jwks_uri: endpoint('jwks_uri'),
    grant_types_supported: grantTypes,
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
    // RFC 9126 §5, with the endpoint it is about.
    require_pushed_authorization_requests: served.pushed_authorization_request_endpoint === undefined ? undefined
      : bundle.provider.requirePushedAuthorizationRequests,
    dpop_signing_alg_values_supported: served.token_endpoint === undefined ? undefined : [...DPOP_ALGS],
  }
  if (bundle.encryptionKey) {
    doc.id_token_encryption_alg_values_supported = ['RSA-OAEP-256']
    doc.id_token_encryption_enc_values_supported = ['A256CBC-HS512']
  }
  for (const key of Object.keys(doc)) if (doc[key] === undefined) delete doc[key]
  return doc
}
