/**
 * `npm run bench -- --compare`'s anchor: node-oidc-provider (the `oidc-provider` devDependency) in its own process,
 * serving `client_credentials` as a plain deployment of it would: its default adapter (the in-memory one), one
 * client (`CLIENT_ID`, `CLIENT_SECRET`, `client_secret_basic`) allowed only that grant, and one resource server that
 * every request defaults to (a resource indicator is what makes oidc-provider issue JWT access tokens), whose
 * access tokens are JWTs signed ES256 with the provider's one key (`jwks`, a fresh P-256 key). Started by
 * scripts/bench-compare.ts with `PORT`; it answers `POST /token` (its token endpoint) and 404 elsewhere.
 */
import { exportJWK, generateKeyPair } from 'jose'
import Provider from 'oidc-provider'

const PORT = Number(process.env.PORT)
const RESOURCE = 'urn:edge-oidc:bench:api'
const { privateKey } = await generateKeyPair('ES256', { extractable: true })

const provider = new Provider(`http://127.0.0.1:${PORT}`, {
  clients: [{ client_id: process.env.CLIENT_ID!, client_secret: process.env.CLIENT_SECRET!,
    grant_types: ['client_credentials'], response_types: [], redirect_uris: [],
    token_endpoint_auth_method: 'client_secret_basic' }],
  jwks: { keys: [{ ...await exportJWK(privateKey), kid: 'bench', alg: 'ES256', use: 'sig' }] },
  clientDefaults: { id_token_signed_response_alg: 'ES256' },
  routes: { token: '/token' },
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    resourceIndicators: {
      enabled: true,
      // A request without `resource` gets this one, so a plain client_credentials request gets a JWT.
      defaultResource: () => RESOURCE,
      getResourceServerInfo: () => ({ scope: 'api', audience: RESOURCE, accessTokenFormat: 'jwt',
        jwt: { sign: { alg: 'ES256' } } }),
    },
  },
})
provider.listen(PORT, '127.0.0.1')
