import { Hono } from 'hono/tiny'
import type { Handler } from 'hono'
import { adminApi } from './admin/index.ts'
import type { AppEnv, Deps } from './deps.ts'
import { isDatabaseUnavailable, isUnstorableText } from './db/errors.ts'
import { describeError } from './log.ts'
import type { MetadataEndpoint, ServedEndpoints } from './oauth/discovery.ts'
import { authorize } from './routes/authorize.ts'
import { consent } from './routes/consent.ts'
import { githubAuthorize } from './routes/github-authorize.ts'
import { endSession } from './routes/end-session.ts'
import { device, devicePage } from './routes/device.ts'
import { deviceAuthorization } from './routes/device-authorization.ts'
import { login, loginPage } from './routes/login.ts'
import { logout, logoutPage } from './routes/logout.ts'
import { pushedAuthorization } from './routes/par.ts'
import { UnreadableRequest } from './routes/form.ts'
import { favicon } from './routes/favicon.ts'
import { githubTeamsEndpoint, githubUserEndpoint } from './routes/github.ts'
import { home } from './routes/home.ts'
import { hostAllowed, notFound, responseHeaders } from './routes/response-headers.ts'
import { introspect } from './routes/introspect.ts'
import { discovery, jwks, providerRoot, webfinger } from './routes/metadata.ts'
import { revoke } from './routes/revoke.ts'
import { token } from './routes/token.ts'
import { userinfo } from './routes/userinfo.ts'

type Method = 'GET' | 'POST' | 'OPTIONS'

/** One endpoint: its methods, its path, its handler, and the discovery member that names it, if any. */
interface Route {
  methods: readonly Method[]
  path: string
  handler: Handler<AppEnv>
  advertise?: MetadataEndpoint
}

/** Endpoint paths of authentik's layout (DESIGN.md). Fixed paths come before the `:slug` patterns. */
const routes: Route[] = [
  { methods: ['GET'], path: '/', handler: home },
  { methods: ['GET'], path: '/favicon.ico', handler: favicon },
  { methods: ['GET'], path: '/.well-known/webfinger', handler: webfinger },
  { methods: ['GET'], path: '/login', handler: loginPage },
  { methods: ['POST'], path: '/login', handler: login },
  { methods: ['GET'], path: '/logout', handler: logoutPage },
  { methods: ['POST'], path: '/logout', handler: logout },
  { methods: ['GET'], path: '/device', handler: devicePage },
  { methods: ['POST'], path: '/device', handler: device },
  { methods: ['GET', 'POST', 'OPTIONS'], path: '/application/o/userinfo/', handler: userinfo,
    advertise: 'userinfo_endpoint' },
  { methods: ['GET', 'POST'], path: '/application/o/authorize/', handler: authorize, advertise: 'authorization_endpoint' },
  { methods: ['POST'], path: '/consent', handler: consent },
  { methods: ['GET', 'POST'], path: '/login/oauth/authorize', handler: githubAuthorize },
  { methods: ['POST', 'OPTIONS'], path: '/application/o/token/', handler: token, advertise: 'token_endpoint' },
  { methods: ['POST', 'OPTIONS'], path: '/application/o/par/', handler: pushedAuthorization,
    advertise: 'pushed_authorization_request_endpoint' },
  { methods: ['POST', 'OPTIONS'], path: '/application/o/introspect/', handler: introspect,
    advertise: 'introspection_endpoint' },
  { methods: ['POST', 'OPTIONS'], path: '/application/o/revoke/', handler: revoke, advertise: 'revocation_endpoint' },
  { methods: ['POST', 'OPTIONS'], path: '/login/oauth/access_token', handler: token },
  { methods: ['GET'], path: '/user', handler: githubUserEndpoint },
  { methods: ['GET'], path: '/user/teams', handler: githubTeamsEndpoint },
  { methods: ['POST', 'OPTIONS'], path: '/application/o/device/', handler: deviceAuthorization,
    advertise: 'device_authorization_endpoint' },
  { methods: ['GET'], path: '/.well-known/oauth-authorization-server/application/o/:slug/', handler: discovery },
  { methods: ['GET'], path: '/.well-known/oauth-authorization-server/application/o/:slug', handler: discovery },
  { methods: ['GET'], path: '/application/o/:slug/.well-known/openid-configuration', handler: discovery },
  { methods: ['GET'], path: '/application/o/:slug/jwks/', handler: jwks, advertise: 'jwks_uri' },
  { methods: ['GET', 'POST'], path: '/application/o/:slug/end-session/', handler: endSession, advertise: 'end_session_endpoint' },
  { methods: ['GET'], path: '/application/o/:slug/', handler: providerRoot },
]

/** What discovery may advertise: exactly the endpoints of the table above. */
const SERVED: ServedEndpoints = Object.fromEntries(
  routes.flatMap((r) => (r.advertise ? [[r.advertise, r.path]] : [])))

/** How long a client should wait when the database cannot be reached (RFC 9110 §10.2.3). */
const DATABASE_RETRY_AFTER_SECONDS = 5

/** Build the one app both runtimes serve. */
export function createApp(deps: Deps): Hono<AppEnv> {
  const app = new Hono<AppEnv>()

  app.use(async (c, next) => {
    const requestId = crypto.randomUUID()
    c.set('requestId', requestId)
    c.set('deps', deps)
    c.set('served', SERVED)
    const handle = deps.database.open()
    c.set('db', handle.db)
    const started = Date.now()
    try {
      await next()
    } finally {
      c.res.headers.set('X-Request-Id', requestId)
      // The path only: query strings carry codes, tokens and credentials.
      deps.log.log('info', 'request', {
        request_id: requestId, method: c.req.method, path: c.req.path, status: c.res.status, ms: Date.now() - started,
      })
      const closing = handle.close().catch((err) => deps.log.log('warn', 'database close failed', describeError(err)))
      try {
        c.executionCtx.waitUntil(closing)
      } catch {
        await closing
      }
    }
  })

  app.use(responseHeaders(deps.config), hostAllowed)
  for (const { methods, path, handler } of routes) app.on([...methods], path, handler)
  app.route('/api/v3', adminApi())

  app.notFound(notFound)
  app.onError((err, c) => {
    c.header('X-Request-Id', c.var.requestId)
    c.header('Cache-Control', 'no-store')
    // Whatever an endpoint family renders, a request we cannot even read is the client's error, never a 500.
    if (err instanceof UnreadableRequest || isUnstorableText(err)) {
      const description = err instanceof UnreadableRequest ? err.message : 'the request contains text that cannot be stored'
      return c.json({ error: 'invalid_request', error_description: description, request_id: c.var.requestId }, 400)
    }
    if (isDatabaseUnavailable(err)) {
      // Every write is one statement or one batch, so nothing was left half-written: the client may retry.
      deps.log.log('warn', 'database unavailable', { request_id: c.var.requestId, path: c.req.path, ...describeError(err) })
      c.header('Retry-After', String(DATABASE_RETRY_AFTER_SECONDS))
      return c.json({ error: 'temporarily_unavailable', error_description: 'The service is temporarily unavailable',
        request_id: c.var.requestId }, 503)
    }
    deps.log.log('error', 'unhandled error', { request_id: c.var.requestId, path: c.req.path, ...describeError(err) })
    return c.json({ error: 'server_error', request_id: c.var.requestId }, 500)
  })
  return app
}
