/**
 * The demo application's side of the authorization code flow, with openid-client: run it while `npm start`
 * is running, open the URL it prints, sign in as the demo user and consent. It receives the code on
 * http://localhost:8000/callback (the demo's redirect URI), exchanges it, reads userinfo and refreshes.
 *   npm run demo:client          (the server on PORT, 9000 unless set, as npm start uses it; EDGE_OIDC_URL names
 *                                 another server; DATA_DIR and ADMIN_TOKEN override the defaults)
 */
import { readFileSync } from 'node:fs'
import { createServer } from 'node:http'
import { join } from 'node:path'
import * as client from 'openid-client'

const base = (process.env.EDGE_OIDC_URL || `http://localhost:${process.env.PORT || '9000'}`).replace(/\/+$/, '')
const dataDir = process.env.DATA_DIR ?? './.data'
const adminToken = process.env.ADMIN_TOKEN
  ?? (JSON.parse(readFileSync(join(dataDir, 'secrets.json'), 'utf8')) as { ADMIN_TOKEN: string }).ADMIN_TOKEN
const redirectUri = 'http://localhost:8000/callback'

async function admin<T>(path: string): Promise<T> {
  const res = await fetch(`${base}/api/v3${path}`, { headers: { Authorization: `Bearer ${adminToken}` } })
  if (!res.ok) throw new Error(`GET /api/v3${path}: ${res.status} ${await res.text()}`)
  return (await res.json()) as T
}

// The demo client's credentials, read through the admin API (the provider answer carries the secret).
const app = await admin<{ provider: number }>('/core/applications/demo/')
const provider = await admin<{ client_id: string; client_secret: string }>(`/providers/oauth2/${app.provider}/`)
const config = await client.discovery(new URL(`${base}/application/o/demo/`), provider.client_id,
  provider.client_secret, undefined, { execute: [client.allowInsecureRequests] })

const verifier = client.randomPKCECodeVerifier()
const nonce = client.randomNonce()
const state = client.randomState()
const url = client.buildAuthorizationUrl(config, {
  redirect_uri: redirectUri, scope: 'openid profile email offline_access', nonce, state,
  code_challenge: await client.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
})

/** One readable line: what the provider answered (a denied consent is `access_denied`), else the error's message. */
function describe(err: unknown): string {
  if (err instanceof client.AuthorizationResponseError) {
    return `The sign-in did not complete: ${err.error}${err.error_description ? ` (${err.error_description})` : ''}`
  }
  if (err instanceof client.ResponseBodyError) {
    return `The provider refused the request: ${err.error}${err.error_description ? ` (${err.error_description})` : ''}`
  }
  return `The code exchange failed: ${err instanceof Error ? err.message : String(err)}`
}

const server = createServer(async (req, res) => {
  const current = new URL(req.url ?? '/', 'http://localhost:8000')
  if (current.pathname !== '/callback') return void res.writeHead(404).end()
  try {
    const tokens = await client.authorizationCodeGrant(config, current, {
      pkceCodeVerifier: verifier, expectedNonce: nonce, expectedState: state,
    })
    const claims = tokens.claims()!
    const userinfo = await client.fetchUserInfo(config, tokens.access_token, claims.sub)
    const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token!)
    console.log(JSON.stringify({ id_token_claims: claims, userinfo, refreshed: {
      token_type: refreshed.token_type, expires_in: refreshed.expires_in, scope: refreshed.scope,
      refresh_token_rotated: refreshed.refresh_token !== tokens.refresh_token,
    } }, null, 2))
    res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8' })
      .end(`Signed in as ${String(userinfo.preferred_username)}. The tokens are in the terminal.\n`)
  } catch (err) {
    console.error(describe(err))
    res.writeHead(500, { 'Content-Type': 'text/plain' }).end(`${describe(err)}\n`)
    process.exitCode = 1
  } finally {
    server.close()
  }
})
server.listen(8000, 'localhost', () => {
  console.log(`Open this URL in your browser and sign in as the demo user:\n\n  ${url.href}\n`)
})
