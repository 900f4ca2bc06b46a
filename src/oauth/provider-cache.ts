import type { Db } from '../db/client.ts'
import { loadProviderBySlug, type ProviderBundle } from '../db/providers.ts'
import type { Deps } from '../deps.ts'

/** The provider behind `slug`, from the per-isolate cache when warm (unknown slugs are cached too). */
export async function cachedProviderBySlug(deps: Deps, db: Db, slug: string): Promise<ProviderBundle | null> {
  const now = deps.clock.now()
  const cached = deps.metadata.providers.get(slug, now)
  if (cached !== undefined) return cached
  const bundle = await loadProviderBySlug(db, slug)
  deps.metadata.providers.set(slug, bundle, now)
  return bundle
}

/** Forget every cached provider and key set, after the admin API changed something. */
export function invalidateMetadata(deps: Deps): void {
  deps.metadata.providers.clear()
  deps.metadata.jwks.clear()
}
