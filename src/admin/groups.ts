import { and, asc, eq } from 'drizzle-orm'
import type { Context } from 'hono'
import * as z from 'zod'
import type { Db } from '../db/client.ts'
import { groups } from '../db/schema.ts'
import { createGroup, missingUser, updateGroup, type NewGroup } from '../db/user-store.ts'
import type { AppEnv } from '../deps.ts'
import { columnsFrom } from './columns.ts'
import { uniqueName } from './provider-schema.ts'
import { fieldError, notFound } from './http.ts'
import { pageOf, queryBool, searchAny, whereEquals, windowTotal } from './list.ts'
import { uuidLookup } from './lookups.ts'
import type { ResourceSpec } from './resource.ts'
import { missingReference, withFieldErrors } from './violations.ts'

const Input = z.object({
  name: uniqueName(),
  is_superuser: z.boolean().optional(),
  attributes: z.record(z.string(), z.unknown()).optional(),
  users: z.array(z.number().int().positive().max(2_147_483_647)).transform((v) => [...new Set(v)]).optional(),
})

const Output = z.object({
  pk: z.uuid(),
  num_pk: z.number().int(),
  name: z.string(),
  is_superuser: z.boolean(),
  attributes: z.record(z.string(), z.unknown()),
  users: z.array(z.number().int()),
  users_obj: z.array(z.object({ pk: z.number().int(), username: z.string(), name: z.string() })),
})
type Out = z.output<typeof Output>

const Filters = z.object({ name: z.string().optional(), is_superuser: queryBool().optional() })

const withUsers = {
  with: { memberships: { with: { user: { columns: { id: true, username: true, name: true } } } } },
} as const

type Loaded = NonNullable<Awaited<ReturnType<typeof loadGroup>>>

function loadGroup(db: Db, id: string) {
  return db.query.groups.findFirst({ where: eq(groups.id, id), ...withUsers })
}

/** authentik `Group.num_pk`: the first five decimal digits of the uuid read as a 128-bit integer. */
export function numPk(uuid: string): number {
  return Number(BigInt(`0x${uuid.replaceAll('-', '')}`).toString().slice(0, 5))
}

function toApi(row: Loaded): Out {
  const members = row.memberships.map((m) => m.user).sort((a, b) => a.username.localeCompare(b.username))
  return {
    pk: row.id, num_pk: numPk(row.id), name: row.name, is_superuser: row.isSuperuser, attributes: row.attributes,
    users: members.map((u) => u.id), users_obj: members.map((u) => ({ pk: u.id, username: u.username, name: u.name })),
  }
}

const columnsOf = columnsFrom<z.output<typeof Input>, NewGroup>({
  name: 'name', is_superuser: 'isSuperuser', attributes: 'attributes',
})

const nameTaken = () => fieldError('name', 'Group with this name already exists.')

/** Run a write; a taken name and a member that does not exist become DRF field errors. */
function writing<T>(c: Context<AppEnv>, userIds: readonly number[] | undefined, write: () => Promise<T>): Promise<T> {
  return withFieldErrors(write, {
    unique: nameTaken, foreignKey: missingReference('users', userIds, (ids) => missingUser(c.var.db, ids)),
  })
}

async function mustLoad(c: Context<AppEnv>, id: string): Promise<Out> {
  const row = await loadGroup(c.var.db, id)
  if (!row) throw notFound()
  return toApi(row)
}

/** `/api/v3/core/groups/`: authentik's groups; writing `users` makes the membership exactly that list. */
export const groupResource: ResourceSpec<string, typeof Input, typeof Filters, Out> = {
  path: '/core/groups/',
  tag: 'core_groups',
  noun: 'group',
  lookup: uuidLookup('group_uuid'),
  input: Input,
  output: Output,
  filters: Filters,
  async list(c, f, page) {
    const { db } = c.var
    const where = and(
      whereEquals(f, { name: groups.name, is_superuser: groups.isSuperuser }), searchAny(page.search, groups.name))
    return pageOf(db, groups, where, page, (range) => db.query.groups.findMany({
      where, orderBy: asc(groups.name), ...range, ...withUsers, extras: { total: windowTotal().as('total') },
    }), (r) => toApi(r))
  },
  async get(c, id) {
    const row = await loadGroup(c.var.db, id)
    return row ? toApi(row) : null
  },
  async create(c, input) {
    const values = { ...columnsOf(input), name: input.name, created: c.var.deps.clock.now() }
    const id = await writing(c, input.users, () => createGroup(c.var.db, values, input.users))
    if (id === null) throw nameTaken()
    return mustLoad(c, id)
  },
  async update(c, id, input) {
    const found = await writing(c, input.users, () => updateGroup(c.var.db, id, columnsOf(input), input.users))
    return found ? mustLoad(c, id) : null
  },
  async remove(c, id) {
    const rows = await c.var.db.delete(groups).where(eq(groups.id, id)).returning({ id: groups.id })
    return rows.length > 0
  },
}
