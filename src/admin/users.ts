import { and, asc, eq } from 'drizzle-orm'
import type { Context, Hono } from 'hono'
import * as z from 'zod'
import { hashPassword } from '../crypto/password.ts'
import type { Db } from '../db/client.ts'
import { recordEvent } from '../db/events.ts'
import { users } from '../db/schema.ts'
import { sendLogoutsAfterResponse } from '../oauth/logout-dispatch.ts'
import { createUser, missingGroup, setPassword, updateUser, type NewUser } from '../db/user-store.ts'
import type { AppEnv } from '../deps.ts'
import { columnsFrom } from './columns.ts'
import { fieldError, notFound, parseBody } from './http.ts'
import { pageOf, searchAny, whereEquals, windowTotal } from './list.ts'
import { intLookup } from './lookups.ts'
import type { OpenAPIRegistry } from './openapi.ts'
import type { ResourceSpec } from './resource.ts'
import { PasswordInput, UserFilters, UserInput, UserOutput, type UserOut } from './users-schema.ts'
import { missingReference, withFieldErrors } from './violations.ts'

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

const columnsOf = columnsFrom<z.output<typeof UserInput>, NewUser>({
  username: 'username', name: 'name', email: 'email', is_active: 'isActive', attributes: 'attributes', type: 'type',
  path: 'path',
})

const usernameTaken = () => fieldError('username', 'A user with that username already exists.')

/** Run a write; unique and foreign-key violations become DRF field errors. */
function writing<T>(c: Context<AppEnv>, groupIds: readonly string[] | undefined, write: () => Promise<T>): Promise<T> {
  return withFieldErrors(write, {
    unique: usernameTaken, foreignKey: missingReference('groups', groupIds, (ids) => missingGroup(c.var.db, ids)),
  })
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
  noun: 'user',
  lookup: intLookup('id'),
  input: UserInput,
  output: UserOutput,
  filters: UserFilters,
  async list(c, f, page) {
    const { db } = c.var
    const where = and(
      whereEquals(f, { username: users.username, email: users.email, name: users.name, is_active: users.isActive,
        type: users.type }),
      searchAny(page.search, users.username, users.name, users.email),
    )
    return pageOf(db, users, where, page, (range) => db.query.users.findMany({
      where, orderBy: asc(users.username), ...range, ...withGroups, extras: { total: windowTotal().as('total') },
    }), (r) => toApi(r))
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
      () => updateUser(c.var.db, id, { values: columnsOf(input), groupIds: input.groups, now: c.var.deps.clock.now() }))
    if (found) sendLogoutsAfterResponse(c, found.notifications)
    return found ? mustLoad(c, id) : null
  },
  async remove(c, id) {
    const rows = await c.var.db.delete(users).where(eq(users.id, id)).returning({ id: users.id })
    return rows.length > 0
  },
}

const SET_PASSWORD = '/core/users/:id/set_password/'

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
    summary: "Set a user's password", tags: ['core_users'], operationId: 'core_users_set_password_create',
    parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'integer' } }],
    requestBody: { required: true, content: { 'application/json': { schema: registry.schema(PasswordInput, 'input') } } },
    responses: { 204: { description: 'Password set' }, 400: { description: 'Validation errors' },
      404: { description: 'Not found' } },
  })
}
