/**
 * `edge-oidc check <issuer-url>`: checks an OpenID provider from outside, ours or another, as a relying party
 * would meet it (README "Checking a provider"). Prints a table (or `--json`); exits 1 when a check fails, 2 on
 * a usage error (usage on stderr). Uses oauth4webapi, jose and fetch only, never the server's code.
 */
import { parseArgs } from 'node:util'
import * as oauth from 'oauth4webapi'
import { CookieJar } from './browser.ts'
import { checkDiscovery, checkJwks, isLoopback } from './discovery.ts'
import { checkFlow, type Setup } from './flow.ts'
import { checkNegatives } from './negative.ts'
import { Results, table } from './results.ts'

const USAGE = `usage: edge-oidc check <issuer-url> --client-id ID [--client-secret SECRET] --redirect-uri URI
         --username NAME --password PASSWORD [--username-field username] [--password-field password]
         [--scope "openid profile email offline_access"] [--clock-tolerance 30] [--json]`

const OPTIONS = {
  'client-id': { type: 'string' }, 'client-secret': { type: 'string' }, 'redirect-uri': { type: 'string' },
  username: { type: 'string' }, password: { type: 'string' },
  'username-field': { type: 'string', default: 'username' }, 'password-field': { type: 'string', default: 'password' },
  scope: { type: 'string', default: 'openid profile email offline_access' },
  'clock-tolerance': { type: 'string', default: '30' }, json: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const

/** client_secret_basic unless the provider only offers client_secret_post (RFC 8414 §2's default); none without a secret. */
function clientAuth(as: oauth.AuthorizationServer, secret: string | undefined): oauth.ClientAuth {
  if (secret === undefined) return oauth.None()
  const methods = as.token_endpoint_auth_methods_supported ?? ['client_secret_basic']
  return !methods.includes('client_secret_basic') && methods.includes('client_secret_post')
    ? oauth.ClientSecretPost(secret) : oauth.ClientSecretBasic(secret)
}

export async function check(argv: string[]): Promise<{ code: number; output: string }> {
  let parsed
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true })
  } catch (err) {
    return { code: 2, output: `${(err as Error).message}\n${USAGE}` }
  }
  const { values: v, positionals } = parsed
  if (v.help) return { code: 0, output: USAGE }
  if (positionals[0] !== 'check' || positionals.length !== 2) return { code: 2, output: USAGE }
  const issuerText = positionals[1]!
  let issuer: URL
  try { issuer = new URL(issuerText) } catch { return { code: 2, output: `not a URL: ${issuerText}\n${USAGE}` } }
  const tolerance = Number(v['clock-tolerance'])
  if (!Number.isInteger(tolerance) || tolerance < 0) return { code: 2, output: `--clock-tolerance: whole seconds\n${USAGE}` }

  const r = new Results()
  // http is allowed on loopback only, as for the endpoints themselves (RFC 8252 §7.3).
  const options = isLoopback(issuer) ? { [oauth.allowInsecureRequests]: true } : {}
  const as = await checkDiscovery(r, issuer, { ...options, issuerText })
  const jwks = as && await checkJwks(r, as, {})
  const clientId = v['client-id']
  const flowNeeds = { '--client-id': clientId, '--redirect-uri': v['redirect-uri'], '--username': v.username,
    '--password': v.password }
  const missing = Object.entries(flowNeeds).filter(([, x]) => x === undefined).map(([k]) => k)
  if (!as || !jwks) r.skip('flow', 'discovery or JWKS unusable')
  else if (missing.length) r.skip('flow', `no ${missing.join(', ')}: code flow and negative checks not run`)
  else {
    const setup: Setup = {
      as, client: { client_id: clientId!, [oauth.clockTolerance]: tolerance }, auth: clientAuth(as, v['client-secret']),
      redirectUri: v['redirect-uri']!, scope: v.scope, jar: new CookieJar(), options,
      origins: new Set([issuer.origin, new URL(as.authorization_endpoint ?? issuer).origin]),
      signIn: { username: v.username!, password: v.password!, usernameField: v['username-field'],
        passwordField: v['password-field'] },
    }
    const expected = { issuer: as.issuer, clientId: clientId!, algs: as.id_token_signing_alg_values_supported ?? ['RS256'],
      jwks, tolerance, ...(v['client-secret'] !== undefined && { clientSecret: v['client-secret'] }) }
    const tokens = await checkFlow(r, setup, expected)
    // Without a sign-in that reaches the redirect URI, a refusal would prove nothing.
    if (r.rows.some((row) => row.check === 'flow.authorize' && row.status === 'fail')) {
      r.skip('negative', 'the code flow did not reach the redirect URI: negative checks not run')
    } else await checkNegatives(r, setup, expected, tokens)
  }
  return { code: r.failed ? 1 : 0, output: v.json ? JSON.stringify({ issuer: issuerText, ok: !r.failed, results: r.rows }, null, 2) : table(r.rows) }
}
