import type { ApplicationRow, ProviderRow, ScopeMappingRow } from '../db/providers.ts'
import type { ClaimUser } from '../db/user-claims.ts'
import { sha256Hex } from '../crypto/hash.ts'
import { evaluateExpression, type ClaimContext } from '../oauth/claims.ts'

/**
 * What claims read of a provider: a `ProviderBundle` satisfies it, and so does the lighter shape the userinfo
 * lookup reads in its one statement. `scopeMappings` must be ordered by scope name.
 */
export interface ClaimProvider {
  provider: Pick<ProviderRow, 'id' | 'name' | 'clientId'>
  application: Pick<ApplicationRow, 'id' | 'name' | 'slug' | 'metaLaunchUrl'> | null
  scopeMappings: ReadonlyArray<Pick<ScopeMappingRow, 'scopeName' | 'expression'>>
}

/** The data scope mappings read (`user.*`, `provider.*`, `application.*` paths). */
export function claimContext(user: ClaimUser, bundle: ClaimProvider): ClaimContext {
  const entitlements = user.attributes.entitlements
  return {
    user: {
      pk: user.id, uuid: user.uuid, username: user.username, name: user.name, email: user.email,
      is_active: user.isActive, type: user.type, attributes: user.attributes,
      groups: user.groups.map((g) => g.name),
      entitlements: Array.isArray(entitlements) ? entitlements : [],
    },
    provider: { pk: bundle.provider.id, name: bundle.provider.name, client_id: bundle.provider.clientId },
    application: bundle.application
      ? { pk: bundle.application.id, name: bundle.application.name, slug: bundle.application.slug,
        meta_launch_url: bundle.application.metaLaunchUrl }
      : {},
  }
}

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v)

/** authentik's merge of mapping results: lists are concatenated, objects merged, anything else replaced. */
export function deepMerge(target: Record<string, unknown>, source: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...target }
  for (const [key, value] of Object.entries(source)) {
    const existing = out[key]
    if (Array.isArray(existing) && Array.isArray(value)) out[key] = [...existing, ...value]
    else if (isPlainObject(existing) && isPlainObject(value)) out[key] = deepMerge(existing, value)
    else out[key] = value
  }
  return out
}

/** authentik `get_claims` (§6): the mappings whose scope was granted, by scope name, deep-merged. */
export function scopeClaims(bundle: ClaimProvider, scopes: readonly string[], user: ClaimUser): Record<string, unknown> {
  const granted = new Set(scopes)
  const context = claimContext(user, bundle)
  let claims: Record<string, unknown> = {}
  for (const mapping of bundle.scopeMappings) {
    if (granted.has(mapping.scopeName)) claims = deepMerge(claims, evaluateExpression(mapping.expression, context))
  }
  return claims
}

export type SubMode = 'hashed_user_id' | 'user_id' | 'user_uuid' | 'user_email' | 'user_username' | 'user_upn'

/** authentik §3.4 `sub` by `sub_mode`; the hashed id is SHA-256 of `<pk>-<install id>` (install id from SECRET_KEY). */
export async function subject(mode: string, user: ClaimUser, installId: string): Promise<string> {
  switch (mode as SubMode) {
    case 'user_id':
      return String(user.id)
    case 'user_uuid':
      return user.uuid
    case 'user_email':
      return user.email
    case 'user_username':
      return user.username
    case 'user_upn': {
      const upn = user.attributes.upn
      if (typeof upn === 'string' && upn !== '') return upn
      return sha256Hex(`${user.id}-${installId}`)
    }
    default:
      return sha256Hex(`${user.id}-${installId}`)
  }
}
