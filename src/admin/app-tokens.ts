import { and, asc, eq, not, sql } from 'drizzle-orm'
import * as z from 'zod'
import { sha256Hex } from '../crypto/hash.ts'
import { randomId } from '../crypto/random.ts'
import { appTokens, isLive } from '../db/schema.ts'
import { columnsFrom } from './columns.ts'
import { fieldError } from './http.ts'
import { pkFilter, searchAny, tablePage, whereEquals } from './list.ts'
import type { ResourceSpec } from './resource.ts'
import { invalidPk, withFieldErrors } from './violations.ts'

type Row = typeof appTokens.$inferSelect

const IDENTIFIER = /^[-a-zA-Z0-9_.]+$/
const MAX_PK = 2_147_483_647
/** Without an explicit `expires`, an app password lives a year. */
const DEFAULT_VALIDITY_MS = 365 * 86_400_000
const DATETIME_FORMAT = 'Datetime has wrong format. Use one of these formats instead: '
  + 'YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z].'

const noSuchUser = (iss: { input: unknown }) => invalidPk(iss.input)

const Input = z.object({
  identifier: z.string().min(1, 'This field may not be blank.')
    .max(255, 'Ensure this field has no more than 255 characters.')
    .regex(IDENTIFIER, 'Enter a valid "slug" consisting of letters, numbers, underscores, dots or hyphens.'),
  intent: z.string().optional().superRefine((v, ctx) => {
    // authentik also knows `api`, `recovery` and `verification`; only app passwords exist here.
    if (v !== undefined && v !== 'app_password') ctx.addIssue({ code: 'custom', message: `Invalid intent ${v}` })
  }),
  user: z.number({ error: (iss) => `Incorrect type. Expected pk value, received ${typeof iss.input}.` }).int()
    .min(1, { error: noSuchUser }).max(MAX_PK, { error: noSuchUser }),
  description: z.string().optional(),
  expires: z.iso.datetime({ offset: true, error: DATETIME_FORMAT }).transform((v) => new Date(v)).optional(),
  expiring: z.boolean({ error: 'Must be a valid boolean.' }).optional(),
})

/** authentik `TokenSerializer`; `key` only in the create answer. */
const Output = z.object({
  pk: z.uuid(),
  identifier: z.string(),
  intent: z.literal('app_password'),
  user: z.number().int(),
  description: z.string(),
  expires: z.iso.datetime().nullable(),
  expiring: z.boolean(),
  key: z.string().optional().describe('The app password, shown once in the create answer'),
})
type Out = z.output<typeof Output>

const Filters = z.object({
  identifier: z.string().optional(),
  intent: z.string().optional(),
  user: pkFilter.optional(),
  description: z.string().optional(),
})

/** Identifiers in the URL: anything that could not have been created is simply not found. */
export const identifierLookup = {
  name: 'identifier', schema: z.string(),
  parse: (raw: string): string | null => (IDENTIFIER.test(raw) ? raw : null),
}

function toApi(row: Row): Out {
  return {
    pk: row.id, identifier: row.identifier, intent: 'app_password', user: row.userId, description: row.description,
    expires: row.expires?.toISOString() ?? null, expiring: row.expiring,
  }
}

/** identifier, user and intent are fixed once created; only the columns below can change. */
const FIXED = 'This field cannot be changed once the token is created.'

const columnsOf = columnsFrom<z.output<typeof Input>, typeof appTokens.$inferInsert>({
  description: 'description', expiring: 'expiring', expires: 'expires',
})

const defaultExpiry = (now: Date) => new Date(now.getTime() + DEFAULT_VALIDITY_MS)

function futureOnly(expires: Date | undefined, now: Date): void {
  if (expires && expires.getTime() <= now.getTime()) throw fieldError('expires', 'Expiry must be in the future.')
}

/** The live token with this identifier (an expired one is absent). */
export const liveToken = (identifier: string, now: Date) => and(eq(appTokens.identifier, identifier), isLive(appTokens, now))

/** `/api/v3/core/tokens/`: app passwords. Only the SHA-256 of a key is stored; the key is shown once. */
export const appTokenResource: ResourceSpec<string, typeof Input, typeof Filters, Out> = {
  path: '/core/tokens/',
  tag: 'core_tokens',
  noun: 'app password token',
  lookup: identifierLookup,
  input: Input,
  output: Output,
  filters: Filters,
  async list(c, f, page) {
    const where = and(
      isLive(appTokens, c.var.deps.clock.now()),
      whereEquals(f, { identifier: appTokens.identifier, intent: appTokens.intent, user: appTokens.userId,
        description: appTokens.description }),
      searchAny(page.search, appTokens.identifier, appTokens.description),
    )
    return tablePage(c.var.db, appTokens, where, [asc(appTokens.identifier)], page, toApi)
  },
  async get(c, identifier) {
    const [row] = await c.var.db.select().from(appTokens).where(liveToken(identifier, c.var.deps.clock.now()))
    return row ? toApi(row) : null
  },
  async create(c, input) {
    const now = c.var.deps.clock.now()
    futureOnly(input.expires, now)
    const expiring = input.expiring ?? true
    const key = randomId(64)
    const values = {
      identifier: input.identifier, userId: input.user, intent: 'app_password', keyHash: await sha256Hex(key),
      description: input.description ?? '', expiring, created: now,
      expires: input.expires ?? (expiring ? defaultExpiry(now) : null),
    }
    // An expired token is absent: its identifier is taken over (until the purge it still holds the unique slot).
    const [row] = await withFieldErrors(() => c.var.db.insert(appTokens).values(values).onConflictDoUpdate({
      target: appTokens.identifier,
      set: { ...values, id: sql`gen_random_uuid()` },
      setWhere: not(isLive(appTokens, now)),
    }).returning(), { foreignKey: () => fieldError('user', invalidPk(input.user)) })
    if (!row) throw fieldError('identifier', 'token with this identifier already exists.')
    return { ...toApi(row), key }
  },
  async update(c, identifier, input) {
    const now = c.var.deps.clock.now()
    // A PUT repeats the fixed fields; one that names another token is refused rather than ignored.
    if (input.identifier !== undefined && input.identifier !== identifier) throw fieldError('identifier', FIXED)
    futureOnly(input.expires, now)
    const values = {
      ...columnsOf(input),
      // Turning expiry on for a token that had none gives it the default lifetime.
      ...(input.expiring === true && input.expires === undefined && {
        expires: sql`coalesce(${appTokens.expires}, ${defaultExpiry(now).toISOString()}::timestamptz)`,
      }),
    }
    const where = and(liveToken(identifier, now), input.user === undefined ? undefined : eq(appTokens.userId, input.user))
    const [row] = Object.keys(values).length
      ? await c.var.db.update(appTokens).set(values).where(where).returning()
      : await c.var.db.select().from(appTokens).where(where)
    if (row) return toApi(row)
    // Nothing matched: the token is gone, or the body names another user (failure path only).
    if (input.user !== undefined && await this.get(c, identifier)) throw fieldError('user', FIXED)
    return null
  },
  async remove(c, identifier) {
    const gone = await c.var.db.delete(appTokens).where(liveToken(identifier, c.var.deps.clock.now()))
      .returning({ id: appTokens.id })
    return gone.length > 0
  },
}
