import { sql, type SQL } from 'drizzle-orm'

/** What claims are made of: a user with its group names, as one JSON value any query can embed. */
export interface ClaimUser {
  id: number
  uuid: string
  username: string
  name: string
  email: string
  isActive: boolean
  type: string
  attributes: Record<string, unknown>
  groups: Array<{ id: string; name: string }>
}

/**
 * A SQL expression that builds the `ClaimUser` of the user whose pk is `userId` (a column or value), so that
 * a session, code or token lookup reads its user in the same statement. Null when there is no such user.
 */
export function claimUserJson(userId: SQL): SQL<ClaimUser | null> {
  return sql<ClaimUser | null>`(select json_build_object(
      'id', u.id, 'uuid', u.uuid, 'username', u.username, 'name', u.name, 'email', u.email,
      'isActive', u.is_active, 'type', u.type, 'attributes', u.attributes,
      'groups', coalesce((select json_agg(json_build_object('id', g.id, 'name', g.name) order by g.name)
        from group_memberships m join groups g on g.id = m.group_id where m.user_id = u.id), '[]'::json))
    from users u where u.id = ${userId})`
}
