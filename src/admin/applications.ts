import type { Context } from 'hono'
import * as z from 'zod'
import { and } from 'drizzle-orm'
import {
  checkApplicationReferences, deleteApplication, findApplications, getApplication, insertApplication, updateApplication,
  type ApplicationRecord, type NewApplication,
} from '../db/application-store.ts'
import { applications } from '../db/schema.ts'
import type { AppEnv } from '../deps.ts'
import { isForbiddenScheme } from '../oauth/redirect-uri.ts'
import { columnsFrom } from './columns.ts'
import { AdminError, fieldError, notFound, type FieldErrors } from './http.ts'
import { pageOf, searchAny, whereEquals } from './list.ts'
import { slugLookup } from './lookups.ts'
import {
  bool, intRef, maxLength, MAX_NAME_LENGTH, nonBlank, ProviderBaseOutput, providerBaseToApi, str, uniqueName, uuidRef,
} from './provider-schema.ts'
import type { ResourceSpec } from './resource.ts'
import { invalidPk, withFieldErrors } from './violations.ts'

type C = Context<AppEnv>

/** Slugs that would shadow the fixed endpoints under `/application/o/`. */
const RESERVED_SLUGS = new Set(['authorize', 'token', 'userinfo', 'introspect', 'revoke', 'device'])

const Input = z.object({
  name: nonBlank().max(MAX_NAME_LENGTH, maxLength(MAX_NAME_LENGTH)),
  slug: uniqueName()
    .regex(/^[-a-zA-Z0-9_]+$/, 'Enter a valid "slug" consisting of letters, numbers, underscores or hyphens.')
    .refine((s) => !RESERVED_SLUGS.has(s.toLowerCase()), {
      error: (iss) => `The slug "${String(iss.input)}" is reserved for the endpoint /application/o/${String(iss.input)}/.`,
    }),
  provider: intRef().nullable().optional(),
  group: uuidRef().nullable().optional(),
  // A launch URL is shown as a link: never a script.
  meta_launch_url: str().refine((v) => !isForbiddenScheme(v), 'Enter a valid URL.').optional(),
  meta_description: str().optional(),
  meta_publisher: str().optional(),
  open_in_new_tab: bool().optional(),
})
type Input = Partial<z.output<typeof Input>>

const Output = z.object({
  pk: z.uuid(),
  name: z.string(),
  slug: z.string(),
  provider: z.int().nullable(),
  provider_obj: ProviderBaseOutput.nullable(),
  launch_url: z.string().nullable(),
  open_in_new_tab: z.boolean(),
  meta_launch_url: z.string(),
  meta_icon: z.null(),
  meta_description: z.string(),
  meta_publisher: z.string(),
  group: z.uuid().nullable(),
})
type Out = z.output<typeof Output>

const Filters = z.object({
  name: z.string().optional(),
  slug: z.string().optional(),
  group: z.uuid('Select a valid choice. That choice is not one of the available choices.').optional(),
})

/** authentik `Application.get_launch_url`: the configured URL, else the origin of the provider's first redirect URI. */
export function launchUrl(r: ApplicationRecord): string | null {
  if (r.metaLaunchUrl) return r.metaLaunchUrl
  const first = r.provider?.redirectUris[0]?.url
  if (first === undefined) return null
  try {
    const u = new URL(first)
    return u.host ? `${u.protocol}//${u.host}` : null
  } catch {
    return null
  }
}

function toApi(r: ApplicationRecord): Out {
  const provider = r.provider && providerBaseToApi(r.provider, r.provider.scopeMappingIds, { slug: r.slug, name: r.name })
  return {
    pk: r.id, name: r.name, slug: r.slug, provider: r.providerId, provider_obj: provider, launch_url: launchUrl(r),
    open_in_new_tab: r.openInNewTab, meta_launch_url: r.metaLaunchUrl, meta_icon: null,
    meta_description: r.metaDescription, meta_publisher: r.metaPublisher, group: r.groupId,
  }
}

async function mustLoad(c: C, slug: string): Promise<Out> {
  const record = await getApplication(c.var.db, slug)
  if (!record) throw notFound()
  return toApi(record)
}

const SLUG_TAKEN = 'Application with this slug already exists.'
const PROVIDER_TAKEN = 'Application with this provider already exists.'

/** The provider, group and slug of a write checked in one read; 404 when the application being updated is gone. */
async function referenceErrors(c: C, input: Input, selfSlug?: string): Promise<FieldErrors> {
  const found = await checkApplicationReferences(c.var.db, {
    providerId: input.provider, groupId: input.group, slug: input.slug, ...(selfSlug !== undefined && { selfSlug }),
  })
  if (selfSlug !== undefined && !found.selfExists) throw notFound()
  const errors: FieldErrors = {}
  if (found.slugTaken) errors.slug = [SLUG_TAKEN]
  if (input.provider != null) {
    if (!found.providerExists) errors.provider = [invalidPk(input.provider)]
    else if (found.providerOwner !== null) errors.provider = [PROVIDER_TAKEN]
  }
  if (input.group != null && !found.groupExists) errors.group = [invalidPk(input.group)]
  return errors
}

/** {@link referenceErrors}, thrown as one 400 when there is any. */
async function checkReferences(c: C, input: Input, selfSlug?: string): Promise<void> {
  const errors = await referenceErrors(c, input, selfSlug)
  if (Object.keys(errors).length) throw new AdminError(400, errors)
}

const plainColumnsOf = columnsFrom<z.output<typeof Input>, NewApplication>({
  name: 'name', slug: 'slug', provider: 'providerId', meta_launch_url: 'metaLaunchUrl',
  meta_description: 'metaDescription', meta_publisher: 'metaPublisher', open_in_new_tab: 'openInNewTab',
})

/** The columns an input sets; a group is stored by its lower-case uuid. */
function columnsOf(input: Input): Partial<NewApplication> {
  return { ...plainColumnsOf(input), ...(input.group !== undefined && { groupId: input.group?.toLowerCase() ?? null }) }
}

/** A constraint violation that slipped past the check (a concurrent write), as the field error it means. */
function writing<T>(input: Input, write: () => Promise<T>): Promise<T> {
  return withFieldErrors(write, {
    unique: (constraint) => constraint.includes('provider')
      ? fieldError('provider', PROVIDER_TAKEN) : fieldError('slug', SLUG_TAKEN),
    foreignKey: (constraint) => constraint.includes('group')
      ? fieldError('group', invalidPk(input.group)) : fieldError('provider', invalidPk(input.provider)),
  })
}

/** `/api/v3/core/applications/`: authentik's applications, looked up by slug. */
export const applicationResource: ResourceSpec<string, typeof Input, typeof Filters, Out> = {
  path: '/core/applications/',
  tag: 'core_applications',
  noun: 'application',
  lookup: slugLookup('slug'),
  input: Input,
  output: Output,
  filters: Filters,
  async list(c, f, page) {
    const { db } = c.var
    const where = and(
      whereEquals({ ...f, group: f.group?.toLowerCase() },
        { name: applications.name, slug: applications.slug, group: applications.groupId }),
      searchAny(page.search, applications.name, applications.slug),
    )
    return pageOf(db, applications, where, page, (range) => findApplications(db, where, range), (r) => toApi(r))
  },
  async get(c, slug) {
    const record = await getApplication(c.var.db, slug)
    return record ? toApi(record) : null
  },
  async create(c, input) {
    await checkReferences(c, input)
    const values = { ...columnsOf(input), name: input.name, slug: input.slug, created: c.var.deps.clock.now() }
    return mustLoad(c, await writing(input, () => insertApplication(c.var.db, values)))
  },
  async update(c, slug, input) {
    await checkReferences(c, input, slug)
    const updated = await writing(input, () => updateApplication(c.var.db, slug, columnsOf(input)))
    return updated === null ? null : mustLoad(c, updated)
  },
  async remove(c, slug) {
    return deleteApplication(c.var.db, slug)
  },
  check: referenceErrors,
}
