import { and, asc, eq, sql } from 'drizzle-orm'
import * as z from 'zod'
import { accessTokens, authorizationCodes, isLive, providers, refreshTokens, users } from '../db/schema.ts'
import { pageOf, pkFilter, whereEquals, windowTotal } from './list.ts'
import { uuidLookup } from './lookups.ts'
import type { ResourceSpec } from './resource.ts'

type GrantTable = typeof accessTokens | typeof refreshTokens | typeof authorizationCodes

const UserSummary = z.object({ pk: z.number().int(), username: z.string(), name: z.string(), email: z.string() })
const ProviderSummary = z.object({ pk: z.number().int(), name: z.string(), client_id: z.string() })

/** authentik `ExpiringBaseGrantModelSerializer` (+ `revoked`): never the code, the token or their hashes. */
const CodeOutput = z.object({
  pk: z.uuid(),
  provider: ProviderSummary,
  user: UserSummary,
  is_expired: z.boolean(),
  expires: z.iso.datetime().nullable(),
  scope: z.array(z.string()),
  revoked: z.boolean(),
})
/** authentik `TokenModelSerializer`: `id_token` is the stored claims as a JSON string (`json.dumps(..., indent=4)`). */
const TokenOutput = CodeOutput.extend({ id_token: z.string() })
type Out = z.output<typeof CodeOutput> & { id_token?: string }

const Filters = z.object({ user: pkFilter.optional(), provider: pkFilter.optional() })
const NoInput = z.object({})

type Spec = ResourceSpec<string, typeof NoInput, typeof Filters, Out>

function selection(table: GrantTable) {
  return {
    id: table.id,
    expires: table.expires,
    scope: table.scope,
    revoked: table.revoked,
    idToken: 'idToken' in table ? table.idToken : sql<null>`null`,
    user: { pk: users.id, username: users.username, name: users.name, email: users.email },
    provider: { pk: providers.id, name: providers.name, client_id: providers.clientId },
  }
}

type Row = {
  id: string; expires: Date | null; scope: string; revoked: boolean; idToken: Record<string, unknown> | null
  user: z.output<typeof UserSummary>; provider: z.output<typeof ProviderSummary>
}

function toApi(row: Row, withIdToken: boolean): Out {
  return {
    pk: row.id,
    provider: row.provider,
    user: row.user,
    // Expired rows are never read (isLive), so every row shown is live.
    is_expired: false,
    expires: row.expires?.toISOString() ?? null,
    scope: row.scope.split(' ').filter(Boolean),
    revoked: row.revoked,
    ...(withIdToken && { id_token: JSON.stringify(row.idToken ?? {}, null, 4) }),
  }
}

/** One read-only (list, retrieve, delete) resource over a grant table; each read is one joined statement. */
function issuedResource(path: string, tag: string, table: GrantTable, output: z.ZodType<Out>, noun: string): Spec {
  const withIdToken = 'idToken' in table
  // `total` is the window count of the filtered rows, so a page and its count come in one statement.
  const joined = (c: Parameters<Spec['get']>[0]) =>
    c.var.db.select({ ...selection(table), total: windowTotal() })
      .from(table as typeof accessTokens)
      .innerJoin(users, eq(users.id, table.userId))
      .innerJoin(providers, eq(providers.id, table.providerId))
  return {
    path,
    tag,
    noun,
    lookup: uuidLookup('id'),
    input: NoInput,
    output,
    filters: Filters,
    async list(c, f, page) {
      const where = and(
        isLive(table, c.var.deps.clock.now()), whereEquals(f, { user: table.userId, provider: table.providerId }))
      return pageOf(c.var.db, table, where, page, (range) => joined(c).where(where)
        .orderBy(asc(table.providerId), asc(table.expires), asc(table.id)).limit(range.limit).offset(range.offset),
      (r) => toApi(r as Row, withIdToken))
    },
    async get(c, id) {
      const [row] = await joined(c).where(and(eq(table.id, id), isLive(table, c.var.deps.clock.now())))
      return row ? toApi(row as Row, withIdToken) : null
    },
    async remove(c, id) {
      // Revocation of exactly this row; an expired row is already gone as far as the API is concerned.
      const gone = await c.var.db.delete(table).where(and(eq(table.id, id), isLive(table, c.var.deps.clock.now())))
        .returning({ id: table.id })
      return gone.length > 0
    },
  }
}

/** `/api/v3/oauth2/access_tokens/`: authentik's issued access tokens (list, retrieve, revoke). */
export const accessTokenResource = issuedResource(
  '/oauth2/access_tokens/', 'oauth2_access_tokens', accessTokens, TokenOutput, 'access token',
)

/** `/api/v3/oauth2/refresh_tokens/`: deleting one revokes only that refresh token. */
export const refreshTokenResource = issuedResource(
  '/oauth2/refresh_tokens/', 'oauth2_refresh_tokens', refreshTokens, TokenOutput, 'refresh token',
)

/** `/api/v3/oauth2/authorization_codes/`: pending codes (never the code itself). */
export const authorizationCodeResource = issuedResource(
  '/oauth2/authorization_codes/', 'oauth2_authorization_codes', authorizationCodes, CodeOutput, 'authorization code',
)
