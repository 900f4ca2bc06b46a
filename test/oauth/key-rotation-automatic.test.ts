import { eq } from 'drizzle-orm'
import type { JSONWebKeySet } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { keyPairs } from '../../src/db/schema.ts'
import { rotateSigningKeys } from '../../src/oauth/key-rotation-run.ts'
import { runScheduled } from '../../src/oauth/logout-dispatch.ts'
import { createTestContext, START, type TestContext } from '../support/app.ts'
import { adminJson, generateKeyPair, json } from '../support/fixtures.ts'
import { eventsOf, MINUTE } from '../routes/token/support.ts'
import { at, DAY, jwksPath, kids, LEAD, rotationKit, SECOND } from './rotation-support.ts'

let t: TestContext
let k: ReturnType<typeof rotationKit>

beforeAll(async () => {
  t = await createTestContext()
  k = rotationKit(t)
}, 60_000)
afterAll(() => t.close())

describe('automatic rotation (signing_key_rotation, the scheduled run)', () => {
  it('generates the next key, rotates once the period has passed, and records both', async () => {
    t.clock.set(START)
    const { client, key: a } = await k.rsaClient('auto', { signing_key_rotation: 'days=1' })
    const run = () => rotateSigningKeys(t.deps, t.db, t.clock.now())
    expect(await run()).toMatchObject({ generated: 1, rotated: 0, failed: 0 })
    const { next_signing_key: next } = await k.provider(client)
    const [generated] = await t.db.select().from(keyPairs).where(eq(keyPairs.id, next!))
    expect(generated).toMatchObject({ keyType: 'rsa', keySize: 2048, created: t.clock.now() })
    expect(generated!.keyDataSealed).not.toBeNull()
    expect(kids(await json<JSONWebKeySet>(t.request(jwksPath(client))))).toEqual([a.kid, generated!.kid])
    const [created] = await eventsOf(t, 'model_created', client)
    expect(created?.context).toMatchObject({ model: { app: 'authentik_crypto', model_name: 'certificatekeypair',
      pk: next, name: `auto signing key ${START}` }, provider: { pk: client.pk, name: 'auto' } })

    // Not due yet: nothing happens, however often the run comes.
    t.clock.set(at(DAY - SECOND))
    expect(await run()).toMatchObject({ generated: 0, rotated: 0 })
    expect(await k.provider(client)).toMatchObject({ signing_key: a.pk, next_signing_key: next })

    // Due (a day after the provider was created): rotated by the handler's own function, runScheduled.
    t.clock.set(at(DAY))
    expect((await runScheduled(t.deps, t.db, t.clock.now(), undefined)).rotation)
      .toMatchObject({ generated: 0, rotated: 1, failed: 0 })
    expect(await k.provider(client)).toMatchObject({ signing_key: next, previous_signing_key: a.pk,
      next_signing_key: null, signing_key_rotated: at(DAY).toISOString(),
      previous_signing_key_expires: at(DAY + 10 * MINUTE).toISOString() })
    expect((await k.issue(client)).kid).toBe(generated!.kid)
    const [rotatedEvent] = await eventsOf(t, 'secret_rotate', client)
    expect(rotatedEvent?.context).toMatchObject({ automatic: true, signing_key: next, previous_signing_key: a.pk })

    // The next run publishes a new next key at once; the one after the next period rotates again.
    t.clock.set(at(DAY + 5 * MINUTE))
    expect(await run()).toMatchObject({ generated: 1, rotated: 0 })
    const { next_signing_key: third } = await k.provider(client)
    expect(third).not.toBeNull()
    expect(third).not.toBe(next)
    t.clock.set(at(2 * DAY))
    expect(await run()).toMatchObject({ generated: 0, rotated: 1 })
    expect(await k.provider(client)).toMatchObject({ signing_key: third, previous_signing_key: next })
  })

  it('waits for a next key an operator set until it has been published long enough', async () => {
    t.clock.set(START)
    const { client } = await k.rsaClient('auto-manual', { signing_key_rotation: 'hours=1' })
    t.clock.set(at(2 * DAY))
    const b = await generateKeyPair(t, 'auto-manual-b', { alg: 'rsa', key_size: 2048 })
    await adminJson(t, 'PATCH', `/providers/oauth2/${client.pk}/`, { next_signing_key: b.pk }, 200)
    const run = () => rotateSigningKeys(t.deps, t.db, t.clock.now(), { generate: 0 })
    expect(await run()).toMatchObject({ generated: 0, rotated: 0 })
    t.clock.advance(LEAD)
    expect(await run()).toMatchObject({ generated: 0, rotated: 1 })
    expect(await k.provider(client)).toMatchObject({ signing_key: b.pk })
  })

  it('does bounded work per run and leaves providers without automatic rotation alone', async () => {
    t.clock.set(at(10 * DAY))
    const manual = await k.rsaClient('auto-off')
    const auto = await Promise.all(['auto-1', 'auto-2'].map((s) => k.rsaClient(s, { signing_key_rotation: 'days=30' })))
    // At most one key per run here: earlier providers of this file that lack a next key get theirs first.
    let runs = 0
    while ((await rotateSigningKeys(t.deps, t.db, t.clock.now(), { generate: 1, rotate: 0 })).generated === 1) {
      runs++
      if (runs > 10) throw new Error('generation does not end')
    }
    expect(runs).toBeGreaterThanOrEqual(2)
    for (const { client } of auto) expect((await k.provider(client)).next_signing_key).not.toBeNull()
    expect(await k.provider(manual.client)).toMatchObject({ next_signing_key: null, signing_key_rotation: null })
    t.counter.reset()
    expect(await rotateSigningKeys(t.deps, t.db, t.clock.now())).toMatchObject({ generated: 0, rotated: 0 })
    expect(t.counter.count).toBe(1)
  })
})
