import { sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { rowsOf } from '../../src/db/client.ts'
import { openPglite } from '../../src/db/pglite.ts'
import { grantedAudience, resourcesGrantable, type ResourceRequest } from '../../src/db/resource-audience.ts'
import { resourceRequest } from '../../src/oauth/resource.ts'

const A = 'https://a.example/'
const B = 'https://b.example/'
const C = 'urn:example:c'

let handle: Awaited<ReturnType<typeof openPglite>>
beforeAll(async () => { handle = await openPglite() }, 60_000)
afterAll(() => handle.client.close())

const list = (v: readonly string[] | null) => (v === null ? sql`null::jsonb` : sql`${JSON.stringify(v)}::jsonb`)

/** RFC 8707 §2.2 as the token statements decide it: whether `asked` may be granted, and the audience then. */
async function decide(asked: string[] | undefined, granted: string[] | null | 'none', allowed: string[]) {
  const request: ResourceRequest = resourceRequest(asked)
  const recorded = granted === 'none' ? null : list(granted)
  const [row] = rowsOf<{ ok: boolean; audience: string[] | null }>(await handle.db.execute(sql`select
      ${resourcesGrantable(request, recorded)} as ok, ${grantedAudience(request, recorded)} as audience
    from (select ${list(allowed)} as allowed_resources) p`))
  return row!.ok ? row!.audience : 'invalid_target'
}

describe('the resources a token request may be granted (src/db/resource-audience.ts)', () => {
  it('narrows a grant to a subset, defaults to all of it, and never widens it (§2.2)', async () => {
    expect(await decide(undefined, [A, B], [A, B, C])).toEqual([A, B])
    expect(await decide([B], [A, B], [A, B, C])).toEqual([B])
    expect(await decide([C], [A, B], [A, B, C])).toBe('invalid_target')
    expect(await decide([A, C], [A, B], [A, B, C])).toBe('invalid_target')
  })

  it('grants nothing later for a grant that named no resource: it is no wildcard (§2.2)', async () => {
    expect(await decide(undefined, null, [A])).toBeNull()
    expect(await decide(undefined, [], [A])).toBeNull()
    expect(await decide([C], null, [A, B, C])).toBe('invalid_target')
    expect(await decide([A, B], [], [A, B])).toBe('invalid_target')
  })

  it('drops a granted resource the provider no longer allows', async () => {
    expect(await decide(undefined, [A, B], [B])).toEqual([B])
    expect(await decide([A], [A, B], [B])).toBe('invalid_target')
    expect(await decide(undefined, [A], [])).toBe('invalid_target')
  })

  it('checks a request of its own (client_credentials) against the allowed resources alone', async () => {
    expect(await decide([B, A], 'none', [A, B])).toEqual([B, A])
    expect(await decide(undefined, 'none', [A])).toBeNull()
    expect(await decide([C], 'none', [A, B])).toBe('invalid_target')
    expect(await decide([`${A}#x`], 'none', [`${A}#x`])).toBe('invalid_target')
  })
})
