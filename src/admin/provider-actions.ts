import type { Hono } from 'hono'
import { loadRotationState, rotateSigningKey } from '../db/key-rotation.ts'
import type { AppEnv } from '../deps.ts'
import { previousKeyExpires, publishLeadMs, rotationEvent, rotationRefusal } from '../oauth/key-rotation.ts'
import { invalidateMetadata } from '../oauth/provider-cache.ts'
import { AdminError, fieldError, notFound } from './http.ts'
import { intLookup } from './lookups.ts'
import type { OpenAPIRegistry } from './openapi.ts'
import { ProviderOutput } from './provider-schema.ts'
import { providerResource } from './providers.ts'

const ROTATE = '/providers/oauth2/:id/rotate_signing_key/'
const TAG = 'providers_oauth2'

/**
 * `POST /api/v3/providers/oauth2/<pk>/rotate_signing_key/` (past authentik, README "Key rotation"): the next key
 * becomes active, the active key becomes the previous one, published until every token it signed has expired. Refused
 * (400, field errors) without a next key, when the next key has not been published for twice METADATA_CACHE_SECONDS
 * (a relying party's cached key set might not hold it yet), when it signs with another algorithm, and while the
 * previous key is still published. Answers the provider.
 */
export function mountRotateSigningKey(app: Hono<AppEnv>, registry: OpenAPIRegistry): void {
  const lookup = intLookup('id')
  app.post(ROTATE, async (c) => {
    const id = lookup.parse(c.req.param('id') ?? '')
    if (id === null) throw notFound()
    const { db, deps } = c.var
    const now = deps.clock.now()
    const state = await loadRotationState(db, id)
    if (!state) throw notFound()
    const leadMs = publishLeadMs(deps.config)
    const refusal = rotationRefusal(state, now, leadMs)
    if (refusal) throw fieldError(refusal.field, refusal.message)
    const previousExpires = previousKeyExpires(state, now)
    const rotated = await rotateSigningKey(db, state, now, { previousExpires,
      publishedBefore: new Date(now.getTime() - leadMs), event: rotationEvent(state, previousExpires, false) })
    if (!rotated) throw new AdminError(409, { detail: 'The provider changed during the rotation; try again.' })
    invalidateMetadata(deps)
    const provider = await providerResource.get!(c, id)
    if (!provider) throw notFound()
    return c.json(provider)
  })
  registry.add('post', ROTATE, {
    summary: "Rotate a provider's signing key to its next key", tags: [TAG],
    operationId: `${TAG}_rotate_signing_key_create`,
    parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'integer' } }],
    responses: {
      200: { description: 'The provider, rotated', content: { 'application/json': {
        schema: registry.schema(ProviderOutput, 'output') } } },
      400: { description: 'No next key, not published long enough, another algorithm, or the previous key still published' },
      404: { description: 'Not found' }, 409: { description: 'The provider changed meanwhile' },
    },
  })
}
