import { Hono } from 'hono/tiny'
import type { AppEnv } from '../deps.ts'
import { adminAuth } from './auth.ts'
import { AdminError } from './http.ts'
import { OpenAPIRegistry } from './openapi.ts'
import { mountResource, type ResourceSpec } from './resource.ts'
import { scopeMappingResource } from './scope-mappings.ts'
import { keyPairResource, mountKeyPairActions } from './key-pairs.ts'
import { oauthSourceResource } from './oauth-sources.ts'
import { mountSetPassword, userResource } from './users.ts'
import { groupResource } from './groups.ts'
import { accessTokenResource, authorizationCodeResource, refreshTokenResource } from './issued-tokens.ts'
import { appTokenResource } from './app-tokens.ts'
import { mountViewKey } from './app-token-actions.ts'
import { sessionResource } from './sessions.ts'
import { logoutNotificationResource } from './logout-notifications.ts'
import { eventResource } from './events.ts'
import { providerResource } from './providers.ts'
import { mountRotateSigningKey } from './provider-actions.ts'
import { applicationResource } from './applications.ts'

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnySpec = ResourceSpec<any, any, any, any>

/** Every CRUD resource of the admin API: one module each, one line here. */
const resources: AnySpec[] = [
  scopeMappingResource,
  providerResource,
  applicationResource,
  { ...keyPairResource, noun: 'certificate-key pair' },
  oauthSourceResource,
  userResource,
  groupResource,
  accessTokenResource,
  refreshTokenResource,
  authorizationCodeResource,
  appTokenResource,
  sessionResource,
  logoutNotificationResource,
  eventResource,
]

/** Extra actions that are not plain CRUD (`generate`, `set_password`): each module mounts its own. */
const actions: Array<(app: Hono<AppEnv>, registry: OpenAPIRegistry) => void> = [
  mountKeyPairActions,
  mountSetPassword,
  mountViewKey,
  mountRotateSigningKey,
]

/** `/api/v3`: authentik's admin API shape, behind `Authorization: Bearer <ADMIN_TOKEN>` (src/admin/auth.ts). */
export function adminApi(): Hono<AppEnv> {
  const app = new Hono<AppEnv>()
  const registry = new OpenAPIRegistry()

  app.get('/schema/', (c) => c.json(registry.document()))
  app.use(adminAuth())
  for (const spec of resources) mountResource(app, registry, spec)
  for (const mount of actions) mount(app, registry)

  app.onError((err, c) => {
    if (err instanceof AdminError) {
      if (err.status === 401) c.header('WWW-Authenticate', 'Bearer realm="api"')
      for (const [name, value] of Object.entries(err.headers)) c.header(name, value)
      return c.json(err.body, err.status)
    }
    throw err
  })
  return app
}
