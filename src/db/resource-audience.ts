import { sql, type SQL } from 'drizzle-orm'

/**
 * RFC 8707 §2 at the token endpoint, decided in the statement against the provider's `allowed_resources`
 * (`p.allowed_resources`, compared as exact strings): `asked` are the request's resources (deduplicated, in their
 * order; null when none were asked) and `syntaxOk` whether each is an absolute URI without a fragment (checked
 * before, src/oauth/resource.ts). `granted` is the grant's recorded resources (a code's, a refresh token's; null
 * for a grant that records none, e.g. client_credentials, where the request is checked alone).
 */
export interface ResourceRequest {
  asked: readonly string[] | null
  syntaxOk: boolean
}

const jsonb = (list: readonly string[] | null): SQL => (list === null ? sql`null::jsonb` : sql`${JSON.stringify(list)}::jsonb`)

/**
 * Whether the request's resources may be granted: each asked one allowed; and for a grant that recorded some, a
 * subset of those still allowed (none asked: all of them, which must not have become none); for one that
 * recorded none, none asked (a grant without resources is no wildcard, §2.2).
 */
export function resourcesGrantable(request: ResourceRequest, granted: SQL | null): SQL {
  const asked = jsonb(request.asked)
  const allowedAsked = sql`(${asked} is null or p.allowed_resources @> ${asked})`
  if (granted === null) return sql`(${request.syntaxOk}::boolean and ${allowedAsked})`
  const recorded = sql`coalesce(jsonb_array_length(${granted}), 0) > 0`
  const stillAllowed = sql`exists (select 1 from jsonb_array_elements_text(${granted}) r
    where p.allowed_resources @> jsonb_build_array(r))`
  return sql`(${request.syntaxOk}::boolean and ${allowedAsked} and case
    when not ${recorded} then ${asked} is null
    when ${asked} is null then ${stillAllowed}
    else ${granted} @> ${asked} end)`
}

/**
 * The access token's audience (a jsonb array, or null: the default audience, the client): the asked resources,
 * else a grant's recorded ones that are still allowed, in their order. For use once `resourcesGrantable` held.
 */
export function grantedAudience(request: ResourceRequest, granted: SQL | null): SQL {
  const asked = jsonb(request.asked)
  if (granted === null) return asked
  return sql`coalesce(${asked}, (select jsonb_agg(r order by n) from jsonb_array_elements_text(${granted})
    with ordinality as e(r, n) where p.allowed_resources @> jsonb_build_array(r)))`
}
