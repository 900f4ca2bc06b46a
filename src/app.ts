import { Hono, type Handler } from 'hono'
import { adminApi } from './admin/index.ts'
import type { AppEnv, Deps } from './deps.ts'
import { isUnstorableText } from './db/errors.ts'
import { describeError } from './log.ts'
import { authorize } from './routes/authorize.ts'
import { consent } from './routes/consent.ts'
import { login, loginPage } from './routes/login.ts'
import { logout, logoutPage } from './routes/logout.ts'
import { UnreadableRequest } from './routes/form.ts'
import { home } from './routes/home.ts'
import { discovery, jwks, providerRoot, webfinger } from './routes/metadata.ts'
import { token } from './routes/token.ts'
import { userinfo } from './routes/userinfo.ts'

type Route = [method: 'GET' | 'POST' | 'OPTIONS', path: string, handler: Handler<AppEnv>]

/** Endpoint paths of authentik's layout (DESIGN.md). Fixed paths come before the `:slug` patterns. */
const routes: Route[] = [
  ['GET', '/', home],
  ['GET', '/.well-known/webfinger', webfinger],
  ['GET', '/login', loginPage],
  ['POST', '/login', login],
  ['GET', '/logout', logoutPage],
  ['POST', '/logout', logout],
  ['GET', '/application/o/userinfo/', userinfo],
  ['POST', '/application/o/userinfo/', userinfo],
  ['OPTIONS', '/application/o/userinfo/', userinfo],
  ['GET', '/application/o/authorize/', authorize],
  ['POST', '/application/o/authorize/', authorize],
  ['POST', '/consent', consent],
  ['POST', '/application/o/token/', token], ['OPTIONS', '/application/o/token/', token],
  ['GET', '/.well-known/oauth-authorization-server/application/o/:slug/', discovery],
  ['GET', '/.well-known/oauth-authorization-server/application/o/:slug', discovery],
  ['GET', '/application/o/:slug/.well-known/openid-configuration', discovery],
  ['GET', '/application/o/:slug/jwks/', jwks],
  ['GET', '/application/o/:slug/', providerRoot],
]

/** Build the one app both runtimes serve. */
export function createApp(deps: Deps): Hono<AppEnv> {
  const app = new Hono<AppEnv>()

  app.use(async (c, next) => {
    const requestId = crypto.randomUUID()
    c.set('requestId', requestId)
    c.set('deps', deps)
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

  for (const [method, path, handler] of routes) app.on(method, path, handler)
  app.route('/api/v3', adminApi())

  app.notFound((c) => c.json({ detail: 'Not found.' }, 404))
  app.onError((err, c) => {
    c.header('X-Request-Id', c.var.requestId)
    c.header('Cache-Control', 'no-store')
    // Whatever an endpoint family renders, a request we cannot even read is the client's error, never a 500.
    if (err instanceof UnreadableRequest || isUnstorableText(err)) {
      const description = err instanceof UnreadableRequest ? err.message : 'the request contains text that cannot be stored'
      return c.json({ error: 'invalid_request', error_description: description, request_id: c.var.requestId }, 400)
    }
    deps.log.log('error', 'unhandled error', { request_id: c.var.requestId, path: c.req.path, ...describeError(err) })
    return c.json({ error: 'server_error', request_id: c.var.requestId }, 500)
  })
  return app
}
