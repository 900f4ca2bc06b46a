import type { Hono } from 'hono'
import { appTokens } from '../db/schema.ts'
import type { AppEnv } from '../deps.ts'
import { identifierLookup, liveToken } from './app-tokens.ts'
import { AdminError, notFound } from './http.ts'
import type { OpenAPIRegistry } from './openapi.ts'

/**
 * `GET /api/v3/core/tokens/<identifier>/view_key/`. authentik shows the stored key again; we keep only its
 * SHA-256, so we cannot, and deliberately so: a leaked admin token must not reveal every app password.
 */
export function mountViewKey(app: Hono<AppEnv>, registry: OpenAPIRegistry): void {
  const path = '/core/tokens/:identifier/view_key/'
  app.get(path, async (c) => {
    const identifier = identifierLookup.parse(c.req.param('identifier') ?? '')
    if (identifier === null) throw notFound()
    const [row] = await c.var.db.select({ id: appTokens.id }).from(appTokens)
      .where(liveToken(identifier, c.var.deps.clock.now()))
    if (!row) throw notFound()
    throw new AdminError(403, { detail: 'Keys are shown only when the token is created.' })
  })
  registry.add('get', path, {
    summary: "View a token's key (refused: keys are shown only once)", tags: ['core_tokens'],
    operationId: 'core_tokens_view_key_retrieve',
    parameters: [{ name: 'identifier', in: 'path', required: true, schema: { type: 'string' } }],
    responses: { 403: { description: 'Keys are shown only when the token is created' },
      404: { description: 'Not found' } },
  })
}
