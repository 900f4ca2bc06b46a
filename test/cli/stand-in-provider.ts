/**
 * A small OpenID provider that is not ours, on node:http, for `edge-oidc check`'s failing directions: careful by
 * default (every check passes), with the flaws a test switches on. No sign-in: authorize redirects at once.
 */
import { createHash, randomBytes } from 'node:crypto'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import * as jose from 'jose'

export interface Flaws {
  /**
   * An unregistered redirect_uri: `any` redirects to it, `page200` / `page500` show an error page with that status,
   * `backWithError` redirects to the registered one with `error`, `elsewhere` to another site.
   */
  redirect?: 'any' | 'page200' | 'page500' | 'backWithError' | 'elsewhere'
  /** A code can be exchanged again. */
  reusableCodes?: boolean
  /** code_verifier is never looked at. */
  ignoresVerifier?: boolean
  /** A refresh rotates, and the old refresh token keeps working. */
  keepsOldRefresh?: boolean
  /** The ID token's at_hash is of another access token. */
  wrongAtHash?: boolean
  /** The ID token is signed with a key its JWKS does not hold (under the published kid). */
  otherKey?: boolean
  /** The ID token is an unsecured JWT (`alg: none`, no signature). */
  unsigned?: boolean
  /** Userinfo answers another subject than the ID token's. */
  userinfoSub?: string
  /** Not a flaw: an authorization request without code_challenge is refused (error=invalid_request). */
  requiresPkce?: boolean
  /** A grant it refuses is answered 500 server_error instead of 400 invalid_grant. */
  refusesWith500?: boolean
}

export interface StandIn { base: string; clientId: string; clientSecret: string; flaws: Flaws; close(): Promise<void> }

interface Code { redirectUri: string; challenge: string | null; nonce: string | null; used: boolean }

// hex: a value never starts with '-', which the command line would read as an option
const random = () => randomBytes(24).toString('hex')
const s256 = (v: string) => createHash('sha256').update(v).digest('base64url')

async function body(req: IncomingMessage): Promise<URLSearchParams> {
  let text = ''
  for await (const chunk of req) text += chunk
  return new URLSearchParams(text)
}

/** Starts the stand-in on 127.0.0.1; `redirectUri` is the one URI registered for its one client. */
export async function startStandIn(redirectUri: string): Promise<StandIn> {
  const { privateKey, publicKey } = await jose.generateKeyPair('ES256')
  const other = await jose.generateKeyPair('ES256')
  const jwk = { ...await jose.exportJWK(publicKey), kid: 'stand-in', use: 'sig', alg: 'ES256' }
  const clientId = 'stand-in-client'
  const clientSecret = random()
  const codes = new Map<string, Code>()
  const refreshTokens = new Map<string, boolean>()
  const accessTokens = new Set<string>()
  const standIn: StandIn = { base: '', clientId, clientSecret, flaws: {}, close: () => Promise.resolve() }

  const json = (res: ServerResponse, status: number, value: unknown) => void res.writeHead(status,
    { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' }).end(JSON.stringify(value))
  const page = (res: ServerResponse, status: number, text: string) =>
    void res.writeHead(status, { 'Content-Type': 'text/html' }).end(`<p>${text}</p>`)

  const refuse = (res: ServerResponse) => standIn.flaws.refusesWith500 ? json(res, 500, { error: 'server_error' })
    : json(res, 400, { error: 'invalid_grant' })

  async function tokens(res: ServerResponse, nonce: string | null): Promise<void> {
    const access = random()
    const refresh = random()
    accessTokens.add(access)
    refreshTokens.set(refresh, true)
    const hash = createHash('sha256').update(standIn.flaws.wrongAtHash ? random() : access).digest()
    const claims = { ...(nonce && { nonce }), at_hash: hash.subarray(0, 16).toString('base64url') }
    const idToken = standIn.flaws.unsigned
      ? new jose.UnsecuredJWT(claims).setIssuer(`${standIn.base}/`).setAudience(clientId).setSubject('alice')
        .setIssuedAt().setExpirationTime('5m').encode()
      : await new jose.SignJWT(claims).setProtectedHeader({ alg: 'ES256', kid: 'stand-in' }).setIssuer(`${standIn.base}/`)
        .setAudience(clientId).setSubject('alice').setIssuedAt().setExpirationTime('5m')
        .sign(standIn.flaws.otherKey ? other.privateKey : privateKey)
    json(res, 200, { access_token: access, token_type: 'Bearer', expires_in: 300, refresh_token: refresh, id_token: idToken })
  }

  async function token(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const form = await body(req)
    // RFC 6749 §2.3.1: each half form-urlencoded before base64.
    const basic = Buffer.from(/^Basic (\S+)$/.exec(req.headers.authorization ?? '')?.[1] ?? '', 'base64').toString()
    const [id, secret] = basic.split(':').map((p) => decodeURIComponent(p.replace(/\+/g, ' ')))
    if (id !== clientId || secret !== clientSecret) return json(res, 401, { error: 'invalid_client' })
    if (form.get('grant_type') === 'refresh_token') {
      const refresh = form.get('refresh_token') ?? ''
      if (!refreshTokens.get(refresh)) return refuse(res)
      if (!standIn.flaws.keepsOldRefresh) refreshTokens.set(refresh, false)
      return tokens(res, null)
    }
    const code = codes.get(form.get('code') ?? '')
    if (!code || (code.used && !standIn.flaws.reusableCodes) || code.redirectUri !== form.get('redirect_uri')) {
      return refuse(res)
    }
    code.used = true
    const verifier = form.get('code_verifier')
    if (!standIn.flaws.ignoresVerifier && (code.challenge === null ? verifier !== null
      : verifier === null || s256(verifier) !== code.challenge)) return refuse(res)
    return tokens(res, code.nonce)
  }

  function authorize(url: URL, res: ServerResponse): void {
    const q = url.searchParams
    if (q.get('client_id') !== clientId) return page(res, 400, 'unknown client')
    const target = q.get('redirect_uri') ?? ''
    if (target !== redirectUri && standIn.flaws.redirect !== 'any') {
      const flaw = standIn.flaws.redirect
      if (flaw === 'backWithError' || flaw === 'elsewhere') {
        const to = flaw === 'elsewhere' ? 'https://elsewhere.invalid/oops' : `${redirectUri}?error=invalid_request`
        return void res.writeHead(302, { Location: to }).end()
      }
      return page(res, flaw === 'page200' ? 200 : flaw === 'page500' ? 500 : 400, 'redirect_uri mismatch')
    }
    const location = new URL(target)
    location.searchParams.set('state', q.get('state') ?? '')
    if (standIn.flaws.requiresPkce && !q.get('code_challenge')) {
      location.searchParams.set('error', 'invalid_request')
      return void res.writeHead(302, { Location: location.href }).end()
    }
    const code = random()
    codes.set(code, { redirectUri: target, challenge: q.get('code_challenge'), nonce: q.get('nonce'), used: false })
    location.searchParams.set('code', code)
    res.writeHead(302, { Location: location.href }).end()
  }

  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', standIn.base)
    const b = standIn.base
    if (url.pathname === '/.well-known/openid-configuration') {
      return json(res, 200, { issuer: `${b}/`, authorization_endpoint: `${b}/authorize`, token_endpoint: `${b}/token`,
        jwks_uri: `${b}/jwks`, userinfo_endpoint: `${b}/userinfo`, response_types_supported: ['code'],
        grant_types_supported: ['authorization_code', 'refresh_token'], subject_types_supported: ['public'],
        id_token_signing_alg_values_supported: ['ES256'], code_challenge_methods_supported: ['S256'],
        scopes_supported: ['openid', 'offline_access'], token_endpoint_auth_methods_supported: ['client_secret_basic'] })
    }
    if (url.pathname === '/jwks') return json(res, 200, { keys: [jwk] })
    if (url.pathname === '/authorize') return authorize(url, res)
    if (url.pathname === '/token' && req.method === 'POST') return void token(req, res).catch(() => json(res, 500, {}))
    if (url.pathname === '/userinfo') {
      const bearer = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '')?.[1]
      return bearer && accessTokens.has(bearer) ? json(res, 200, { sub: standIn.flaws.userinfoSub ?? 'alice' }) : json(res, 401, { error: 'invalid_token' })
    }
    page(res, 404, 'not found')
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  standIn.base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  standIn.close = () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()) })
  return standIn
}
