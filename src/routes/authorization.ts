/**
 * The authorization flow that the authorization endpoint and the consent form share (authentik §5): read and
 * validate the request, act on the next step, issue and answer.
 */
import { base64urlEncode } from '../crypto/encoding.ts'
import { deriveSecrets } from '../crypto/secret-box.ts'
import { speculate, undoSpeculation } from '../db/authorize-speculation.ts'
import { loadProviderAndSession, type ProviderBundle } from '../db/providers.ts'
import { PushedRequestGone, type PushedRequest } from '../db/pushed-requests.ts'
import type { ActiveSession } from '../db/sessions.ts'
import { origin, type AppContext } from '../deps.ts'
import { loginUrl, nextStep, paramsAfterSignIn, type NextStep } from '../oauth/authorize-flow.ts'
import type { AuthorizeEndpoint } from '../oauth/authorize-endpoints.ts'
import { issueAuthorization, responseValues, type ConsentMode } from '../oauth/authorize-grant.ts'
import {
  assertTrustedClient, param, trustedTarget, UntrustedRequestError, validateAuthorizeRequest,
  type AuthorizeRequest, type TrustedBundle,
} from '../oauth/authorize-request.ts'
import {
  authorizeError, authorizeErrorResponse, authorizeResponse, formActionSource, type AuthorizeResponse,
} from '../oauth/authorize-response.ts'
import { speculationOf } from '../oauth/authorize-speculation.ts'
import { OAuthError } from '../oauth/errors.ts'
import {
  assertPushedIfRequired, continuePushed, newContinuation, pushedParams, requestUriHash,
} from '../oauth/pushed-request.ts'
import { PermissionDeniedPage, UntrustedRequestPage } from '../pages/authorize-error.ts'
import { ConsentPage, CONSENT_FIELDS } from '../pages/consent.ts'
import { FormPostPage } from '../pages/form-post.ts'
import { issueFrontChannelTokens } from '../tokens/front-channel.ts'
import { hasNul, readForm, UnreadableRequest } from './form.ts'
import { CSRF_FIELD, csrfToken } from './csrf.ts'
import { clientIp } from './client-ip.ts'
import { protectPage } from './page-headers.ts'
import { currentSession, rememberSession, unreadSessionCookie } from './session.ts'

/** The request's parameters: the query of a GET, the form body of a POST (OIDC Core §3.1.2.1). */
export async function requestParams(c: AppContext): Promise<URLSearchParams> {
  if (c.req.method !== 'POST') {
    const query = new URL(c.req.url).searchParams
    for (const [name, value] of query) {
      if (hasNul(name) || hasNul(value)) throw new UnreadableRequest('the request contains NUL characters')
    }
    return query
  }
  const params = new URLSearchParams()
  for (const [name, value] of Object.entries(await readForm(c))) {
    for (const v of [value].flat()) params.append(name, v)
  }
  return params
}

/** Redirects after a POST are 303s (RFC 9700 §4.12), so the browser does not re-post to the client. */
const redirectStatus = (c: AppContext) => (c.req.method === 'POST' ? 303 : 302)

/** The one renderer of the authorization endpoint's answers: a redirect, or the form_post page. */
export async function respond(c: AppContext, bundle: TrustedBundle, response: AuthorizeResponse): Promise<Response> {
  if (response.kind === 'redirect') {
    c.header('Cache-Control', 'no-store')
    return c.redirect(response.location, redirectStatus(c))
  }
  const nonce = base64urlEncode(crypto.getRandomValues(new Uint8Array(16)))
  protectPage(c, `default-src 'none'; script-src 'nonce-${nonce}'; style-src 'unsafe-inline'; base-uri 'none'; `
    + `form-action ${formActionSource(response.action)}`)
  const { action, fields } = response
  return c.html(FormPostPage({ application: bundle.application.name, action, fields, nonce }))
}

/**
 * The client's provider and, in the same statement, the browser session (remembered for `currentSession`) and the
 * pushed request `pushedHash` names: a signed-in authorization then costs two statements, this read and the write
 * that issues (DESIGN.md budgets).
 */
async function loadClient(c: AppContext, clientId: string, pushedHash: string | null) {
  const { bundle, session, pushed } = await loadProviderAndSession(c.var.db, clientId, await unreadSessionCookie(c),
    c.var.deps.clock.now(), pushedHash)
  if (session !== undefined) rememberSession(c, session)
  return { bundle, pushed }
}

/** The 400 page of a request whose client, redirect URI or request URI cannot be trusted: never a redirect. */
function untrustedPage(c: AppContext, err: UntrustedRequestError, clientId: string | null):
  Response | Promise<Response> {
  c.var.deps.log.log('warn', 'untrusted authorization request', {
    request_id: c.var.requestId, reason: err.reason, client_id: clientId,
  })
  protectPage(c)
  return c.html(UntrustedRequestPage({ kind: err.kind }), 400)
}

/** A validated authorization request: its raw parameters, its client and what they mean. */
export interface Authorization {
  params: URLSearchParams
  bundle: TrustedBundle
  request: AuthorizeRequest
  /** The door it came through: authentik's or GitHub's. */
  endpoint: AuthorizeEndpoint
  /** RFC 9126: the pushed request `params` come from (then they are exactly the pushed ones). */
  pushed?: PushedRequest | null
}

/**
 * §5.1 in order: the client, its pushed request when `request_uri` names one (RFC 9126 §4), and the redirect URI
 * (a 400 page when any cannot be trusted, never a redirect), then the rest (an error redirect), with the scopes
 * `endpoint` grants. The validated authorization, or the response to send.
 */
export async function loadAuthorization(c: AppContext, query: URLSearchParams, endpoint: AuthorizeEndpoint):
  Promise<Response | Authorization> {
  const clientId = param(query, 'client_id')
  const requestUri = param(query, 'request_uri')
  try {
    const pushedHash = requestUri === null ? null : await requestUriHash(requestUri)
    const loaded = clientId === null ? null : await loadClient(c, clientId, pushedHash)
    return validated(c, query, endpoint, loaded?.bundle ?? null, loaded?.pushed ?? null)
  } catch (err) {
    if (!(err instanceof UntrustedRequestError)) throw err
    return untrustedPage(c, err, clientId)
  }
}

/** {@link loadAuthorization} once the client (and its pushed request) were read. */
function validated(c: AppContext, query: URLSearchParams, endpoint: AuthorizeEndpoint, client: ProviderBundle | null,
  found: PushedRequest | null): Response | Promise<Response> | Authorization {
  const clientId = param(query, 'client_id')
  let params = query
  let trusted: ReturnType<typeof trustedTarget>
  let pushed: PushedRequest | null = null
  try {
    if (param(query, 'request_uri') !== null) {
      // RFC 9126 §4: the client first, then its pushed request, whose parameters alone count.
      assertTrustedClient(client)
      pushed = found
      params = pushedParams(clientId ?? '', pushed)
    }
    trusted = trustedTarget(client, params, origin(c))
  } catch (err) {
    if (!(err instanceof UntrustedRequestError)) throw err
    return untrustedPage(c, err, clientId)
  }
  const { bundle, target } = trusted
  try {
    assertPushedIfRequired(bundle, pushed)
    return { params, bundle, endpoint, pushed, request: validateAuthorizeRequest(bundle, params, target, endpoint) }
  } catch (err) {
    if (err instanceof OAuthError) return respond(c, bundle, authorizeErrorResponse(target, err))
    throw err
  }
}

/**
 * The parameters the next step (sign-in or consent) comes back with: the request's own, or for a pushed request a
 * new single-use reference to `carried` (RFC 9126 §7.3); null when the pushed request was used meanwhile.
 */
async function carryOn(c: AppContext, { params, bundle, pushed }: Authorization, carried = params):
  Promise<URLSearchParams | null> {
  if (!pushed) return carried
  return continuePushed(c.var.db, c.var.deps.clock.now(), pushed, bundle.provider.clientId, carried)
}

const usedMeanwhile = (c: AppContext, authorization: Authorization) => untrustedPage(c,
  new UntrustedRequestError('request_uri', 'request_uri_used_meanwhile'), authorization.bundle.provider.clientId)

/**
 * The consent page, carrying the request's parameters (or its new reference: `continued` when the issuing
 * statement already gave it) for `/consent` to validate again.
 */
async function showConsent(c: AppContext, authorization: Authorization, session: ActiveSession,
  continued?: URLSearchParams): Promise<Response> {
  const { bundle, request, endpoint } = authorization
  const params = continued ?? await carryOn(c, authorization)
  if (params === null) return usedMeanwhile(c, authorization)
  const reserved = new Set<string>([CSRF_FIELD, ...Object.values(CONSENT_FIELDS)])
  const hidden = [...params].filter(([name]) => !reserved.has(name))
  hidden.push([CSRF_FIELD, await csrfToken(c, 'consent')], [CONSENT_FIELDS.user, session.user.uuid],
    [CONSENT_FIELDS.endpoint, endpoint.name])
  const permissions = [...new Set(bundle.scopeMappings.filter((m) => request.scopes.includes(m.scopeName))
    .map((m) => m.description).filter(Boolean))]
  protectPage(c)
  return c.html(ConsentPage({
    application: bundle.application.name, username: session.user.username, permissions, hidden,
    openid: request.scopes.includes('openid'),
  }))
}

/**
 * Issue what the response type returns and answer; when a remembered consent was required and is missing, ask
 * (or fail silently).
 */
export async function complete(c: AppContext, authorization: Authorization, session: ActiveSession,
  consent: ConsentMode): Promise<Response> {
  const { bundle, request } = authorization
  const { deps } = c.var
  const issueContext = {
    now: deps.clock.now(), origin: origin(c), keys: deps.keys, secrets: await deriveSecrets(deps.config.secretKey),
  }
  const { pushed } = authorization
  // A pushed request that may need the consent page is continued by the issuing statement itself when it is not issued.
  const next = pushed && consent === 'required'
    ? await newContinuation(issueContext.now, bundle.provider.clientId, authorization.params) : null
  let values: Awaited<ReturnType<typeof issueAuthorization>>
  try {
    values = await issueAuthorization(c.var.db, issueContext, {
      bundle, request, session, consent, clientIp: clientIp(c) ?? null,
      pushed: pushed ? { request: pushed, next: next?.stored ?? null } : null,
    })
  } catch (err) {
    if (!(err instanceof PushedRequestGone)) throw err
    // RFC 9101 §6.2: used by a concurrent request; the redirect URI is the pushed one, verified.
    return respond(c, bundle, authorizeErrorResponse(request, authorizeError('invalid_request_uri',
      'The request_uri was used or has expired')))
  }
  if (values !== null) return respond(c, bundle, authorizeResponse(request, values))
  if (request.prompt.has('none')) {
    return respond(c, bundle, authorizeErrorResponse(request, authorizeError('consent_required')))
  }
  return showConsent(c, authorization, session, next?.params)
}

/** Act on what `nextStep` decided (authentik §5.2). */
export async function proceed(c: AppContext, authorization: Authorization, session: ActiveSession | null,
  step: NextStep): Promise<Response> {
  const { params, bundle, request, endpoint } = authorization
  switch (step.kind) {
    case 'login': {
      const next = await carryOn(c, authorization, paramsAfterSignIn(params))
      if (next === null) return usedMeanwhile(c, authorization)
      c.header('Cache-Control', 'no-store')
      return c.redirect(loginUrl(next, endpoint.path, param(params, 'login_hint')), redirectStatus(c))
    }
    case 'error':
      return respond(c, bundle, authorizeErrorResponse(request, step.error))
    case 'denied':
      protectPage(c)
      return c.html(PermissionDeniedPage({ application: bundle.application.name }))
  }
  if (!session) throw new Error('a session is needed past sign-in')
  if (step.kind === 'consent') return showConsent(c, authorization, session)
  return complete(c, authorization, session, step.consent)
}

/**
 * A signed-in authorization in one statement (DESIGN budgets): the statement that reads the client and the session
 * also wrote the authorization when the database allowed it; the request is validated as always, and the answer
 * given when it agrees, else what was written is undone and the request goes its usual way. Null: nothing could be
 * speculated (the usual way, from the start).
 */
async function speculatively(c: AppContext, params: URLSearchParams, endpoint: AuthorizeEndpoint):
  Promise<Response | null> {
  const spec = await speculationOf(params, endpoint, { sessionKeyHash: await unreadSessionCookie(c),
    clientIp: clientIp(c) ?? null, now: c.var.deps.clock.now() })
  if (!spec) return null
  const { speculation } = spec
  const { bundle, session, written } = await speculate(c.var.db, speculation)
  rememberSession(c, session)
  const undo = async () => {
    if (written) await undoSpeculation(c.var.db, speculation, written.eventId)
  }
  const authorization = validated(c, params, endpoint, bundle, null)
  if (!('request' in authorization)) {
    await undo()
    return authorization
  }
  const { request } = authorization
  const step = nextStep(request, session, authorization.bundle, speculation.now)
  const agrees = written && session && step.kind === 'issue' && written.scope === request.scopes.join(' ')
    && (written.codeId !== null) === request.returns.code && (written.access !== null) === request.returns.accessToken
  if (!agrees) {
    await undo()
    return proceed(c, authorization, session, step)
  }
  const { deps } = c.var
  const ctx = { now: speculation.now, origin: origin(c), keys: deps.keys, secrets: await deriveSecrets(deps.config.secretKey) }
  const { returns } = request
  const tokens = returns.idToken || returns.accessToken
    ? await issueFrontChannelTokens(ctx, { bundle: authorization.bundle, user: session.user, scopes: request.scopes,
      authTime: session.loginTime, amr: session.amr, sid: session.sessionKeyHash, resources: request.resources ?? null },
    { nonce: request.nonce, code: spec.code, idToken: returns.idToken, accessToken: returns.accessToken },
    spec.access && written.access ? { token: spec.access, expires: written.access.expires, facts: written.access.facts }
      : null)
    : null
  return respond(c, authorization.bundle, authorizeResponse(request, responseValues(spec.code, tokens)))
}

/**
 * The authorization endpoint's flow from its parameters (authentik §5): validate, then sign in, consent or issue,
 * as the session allows. `endpoint` is the door the request came through. A signed-in authorization that needs no
 * page is one statement (see `speculatively`).
 */
export async function authorizeThrough(c: AppContext, params: URLSearchParams, endpoint: AuthorizeEndpoint):
  Promise<Response> {
  const answered = await speculatively(c, params, endpoint)
  if (answered) return answered
  const authorization = await loadAuthorization(c, params, endpoint)
  if (authorization instanceof Response) return authorization
  const session = await currentSession(c)
  return proceed(c, authorization, session, nextStep(authorization.request, session, authorization.bundle,
    c.var.deps.clock.now()))
}
