import type { KeyCache } from '../crypto/key-cache.ts'
import type { Secrets } from '../crypto/secret-box.ts'
import type { ProviderBundle } from '../db/providers.ts'
import type { FrontchannelProvider } from '../db/sessions.ts'
import { verifyIdTokenHint, type IdTokenHint } from './id-token-hint.ts'
import { hasControlCharacter, isForbiddenScheme, matchRedirectUri } from './redirect-uri.ts'

/** OIDC RP-Initiated Logout 1.0 §2 request parameters (`logout_hint` and `ui_locales` are ignored). */
export interface EndSessionParams {
  idTokenHint?: string | undefined
  postLogoutRedirectUri?: string | undefined
  state?: string | undefined
  clientId?: string | undefined
}

export type EndSessionDecision =
  | { ok: false; message: string }
  /** `redirect`: the accepted post-logout redirect URI with `state`, or null (the signed-out page). */
  | { ok: true; hint: IdTokenHint | null; redirect: string | null }

/** §3: `state` appended unchanged (percent-encoded) to the accepted URI, keeping its query, before any fragment. */
export function withState(uri: string, state: string | undefined): string {
  if (state === undefined || state === '') return uri
  const hash = uri.indexOf('#')
  const [base, fragment] = hash < 0 ? [uri, ''] : [uri.slice(0, hash), uri.slice(hash)]
  return `${base}${base.includes('?') ? '&' : '?'}state=${encodeURIComponent(state)}${fragment}`
}

/**
 * §2-§3 with the safer rules of edge-oidc: a present `id_token_hint` must be ours for this client (else an error
 * page); a `client_id` must be this application's; `post_logout_redirect_uri` is followed only when the request is
 * tied to the application (valid hint or `client_id`) and it matches a registered `logout` URI (strict equality
 * or full regex match); any other URI is ignored, a forbidden scheme is an error (authentik).
 */
export async function decideEndSession(params: EndSessionParams, bundle: ProviderBundle, origin: string,
  secrets: Pick<Secrets, 'open' | 'mac'>, keys: KeyCache): Promise<EndSessionDecision> {
  const { provider } = bundle
  let hint: IdTokenHint | null = null
  if (params.idTokenHint) {
    hint = await verifyIdTokenHint(params.idTokenHint, bundle, origin, secrets, keys)
    if (!hint) return { ok: false, message: 'The sign-out request carries an ID token that this application did not issue.' }
  }
  if (params.clientId !== undefined && params.clientId !== provider.clientId) {
    return { ok: false, message: 'The sign-out request names a client that is not this application.' }
  }
  const uri = params.postLogoutRedirectUri
  if (uri === undefined || uri === '') return { ok: true, hint, redirect: null }
  // A URI that no redirect could carry (control characters: a regex entry's `.` matches them) is refused as a
  // script scheme is, before anything is signed out (it answered 500 when the redirect was built).
  if (isForbiddenScheme(uri) || hasControlCharacter(uri)) {
    return { ok: false, message: 'The post-logout redirect URI is not allowed.' }
  }
  const tied = hint !== null || params.clientId === provider.clientId
  const accepted = tied && matchRedirectUri(provider.redirectUris, uri, 'logout') !== null
  return { ok: true, hint, redirect: accepted ? withState(uri, params.state) : null }
}

/** OIDC Front-Channel Logout 1.0 §2-§3: `logout_uri?iss=<issuer>&sid=<sid>`, its own query kept; null if unusable. */
export function frontchannelUrl(p: FrontchannelProvider, origin: string, sid: string): string | null {
  try {
    const url = new URL(p.logoutUri)
    if (url.protocol !== 'https:' && url.protocol !== 'http:') return null
    const issuer = p.issuerMode === 'global' ? `${origin}/` : `${origin}/application/o/${p.slug ?? ''}/`
    url.searchParams.set('iss', issuer)
    url.searchParams.set('sid', sid)
    return url.href
  } catch {
    return null
  }
}

/** CSP `frame-src` of the signed-out page: exactly those URLs (scheme, host, port, path; CSP ignores the query). */
export function frameSources(urls: readonly string[]): string {
  return urls.map((u) => {
    const url = new URL(u)
    // Characters that would end a CSP source expression are percent-encoded by the URL parser already.
    return `${url.origin}${url.pathname}`.replace(/[;,\s]/g, encodeURIComponent)
  }).join(' ')
}
