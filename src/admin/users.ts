import { and, asc, count, eq, ilike, or, type SQL } from 'drizzle-orm'
import type { Context, Hono } from 'hono'
import * as z from 'zod'
import { hashPassword } from '../crypto/password.ts'
import type { Db } from '../db/client.ts'
import { isForeignKeyViolation, isUniqueViolation } from '../db/errors.ts'
import { recordEvent } from '../db/events.ts'
import { users } from '../db/schema.ts'
import { createUser, missingGroup, setPassword, updateUser, type NewUser } from '../db/user-store.ts'
import type { AppEnv } from '../deps.ts'
import { fieldError, notFound, parseBody } from './http.ts'
import { intLookup } from './lookups.ts'
import type { OpenAPIRegistry } from './openapi.ts'
import type { ResourceSpec } from './resource.ts'
import { PasswordInput, UserFilters, UserInput, UserOutput, type UserOut } from './users-schema.ts'

const withGroups = {
  columns: { passwordHash: false },
  with: { memberships: { with: { group: { columns: { id: true, name: true, isSuperuser: true } } } } },
} as const

type Loaded = NonNullable<Awaited<ReturnType<typeof loadUser>>>

function loadUser(db: Db, id: number) {
  return db.query.users.findFirst({ where: eq(users.id, id), ...withGroups })
}

function toApi(row: Loaded): UserOut {
  const groups = row.memberships.map((m) => m.group).sort((a, b) => a.name.localeCompare(b.name))
  return {
    pk: row.id, username: row.username, name: row.name, is_active: row.isActive,
    last_login: row.lastLogin?.toISOString() ?? null, date_joined: row.dateJoined.toISOString(),
    is_superuser: groups.some((g) => g.isSuperuser), groups: groups.map((g) => g.id),
    groups_obj: groups.map((g) => ({ pk: g.id, name: g.name })), email: row.email, attributes: row.attributes,
    path: row.path, type: row.type as UserOut['type'], uuid: row.uuid,
    password_change_date: row.passwordChangeDate?.toISOString() ?? null,
  }
}

type Input = z.output<typeof UserInput>

function columnsOf(input: Partial<Input>): Partial<NewUser> {
  return {
    ...(input.username !== undefined && { username: input.username }),
    ...(input.name !== undefined && { name: input.name }),
    ...(input.email !== undefined && { email: input.email }),
    ...(input.is_active !== undefined && { isActive: input.is_active }),
    ...(input.attributes !== undefined && { attributes: input.attributes }),
    ...(input.type !== undefined && { type: input.type }),
    ...(input.path !== undefined && { path: input.path }),
  }
}

const usernameTaken = () => fieldError('username', 'A user with that username already exists.')

/** Run a write; unique and foreign-key violations become DRF field errors. */
async function writing<T>(c: Context<AppEnv>, groupIds: readonly string[] | undefined, write: () => Promise<T>): Promise<T> {
  try {
    return await write()
  } catch (err) {
    if (isUniqueViolation(err)) throw usernameTaken()
    if (isForeignKeyViolation(err) && groupIds) {
      const missing = await missingGroup(c.var.db, groupIds)
      throw fieldError('groups', `Invalid pk "${missing ?? ''}" - object does not exist.`)
    }
    throw err
  }
}

async function mustLoad(c: Context<AppEnv>, id: number): Promise<UserOut> {
  const row = await loadUser(c.var.db, id)
  if (!row) throw notFound()
  return toApi(row)
}

/** `/api/v3/core/users/`: authentik's users. The password hash is never read back, let alone returned. */
export const userResource: ResourceSpec<number, typeof UserInput, typeof UserFilters, UserOut> = {
  path: '/core/users/',
  tag: 'core_users',
  lookup: intLookup('id'),
  input: UserInput,
  output: UserOutput,
  filters: UserFilters,
  async list(c, f, page) {
    const where: SQL[] = []
    if (f.username !== undefined) where.push(eq(users.username, f.username))
    if (f.email !== undefined) where.push(eq(users.email, f.email))
    if (f.name !== undefined) where.push(eq(users.name, f.name))
    if (f.is_active !== undefined) where.push(eq(users.isActive, f.is_active))
    if (f.type !== undefined) where.push(eq(users.type, f.type))
    if (page.search) {
      const like = `%${page.search}%`
      where.push(or(ilike(users.username, like), ilike(users.name, like), ilike(users.email, like))!)
    }
    const cond = and(...where)
    const [rows, [total]] = await Promise.all([
      c.var.db.query.users.findMany({ where: cond, orderBy: asc(users.username), limit: page.pageSize,
        offset: (page.page - 1) * page.pageSize, ...withGroups }),
      c.var.db.select({ n: count() }).from(users).where(cond),
    ])
    return { count: total?.n ?? 0, results: rows.map(toApi) }
  },
  async get(c, id) {
    const row = await loadUser(c.var.db, id)
    return row ? toApi(row) : null
  },
  async create(c, input) {
    const values = { ...columnsOf(input), username: input.username, dateJoined: c.var.deps.clock.now() }
    const id = await writing(c, input.groups, () => createUser(c.var.db, values, input.groups))
    if (id === null) throw usernameTaken()
    return mustLoad(c, id)
  },
  async update(c, id, input) {
    const found = await writing(c, input.groups,
      () => updateUser(c.var.db, id, { values: columnsOf(input), groupIds: input.groups }))
    return found ? mustLoad(c, id) : null
  },
  async remove(c, id) {
    const rows = await c.var.db.delete(users).where(eq(users.id, id)).returning({ id: users.id })
    return rows.length > 0
  },
}

const SET_PASSWORD = '/core/users/:id/set_password/'

function passwordSchema(): Record<string, unknown> {
  const { $schema: _, ...schema } = z.toJSONSchema(PasswordInput, { io: 'input' })
  return schema
}

/** `POST /core/users/<pk>/set_password/`: hash with PBKDF2 (Django's format), answer 204, audit `password_set`. */
export function mountSetPassword(app: Hono<AppEnv>, registry: OpenAPIRegistry): void {
  const lookup = intLookup('id')
  app.post(SET_PASSWORD, async (c) => {
    const id = lookup.parse(c.req.param('id') ?? '')
    if (id === null) throw notFound()
    const { password } = await parseBody(c, PasswordInput)
    const { deps, db } = c.var
    const hash = await hashPassword(password, { iterations: deps.config.passwordIterations })
    const user = await setPassword(db, id, hash, deps.clock.now())
    if (!user) throw notFound()
    await recordEvent(db, { action: 'password_set', user }, deps.clock.now())
    return c.body(null, 204)
  })
  registry.add('post', SET_PASSWORD, {
    tags: ['core_users'], operationId: 'core_users_set_password_create',
    parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'integer' } }],
    requestBody: { required: true, content: { 'application/json': { schema: passwordSchema() } } },
    responses: { 204: { description: 'Password set' }, 400: { description: 'Validation errors' },
      404: { description: 'Not found' } },
  })
}
