import { and, eq, inArray, sql } from 'drizzle-orm'
import type { Context } from 'hono'
import * as z from 'zod'
import { randomId } from '../crypto/random.ts'
import { deriveSecrets } from '../crypto/secret-box.ts'
import {
  checkProviderReferences, deleteProvider, findProviders, getProvider, insertProvider, updateProvider,
  type ProviderChanges, type ProviderLinks, type ProviderRecord,
} from '../db/provider-store.ts'
import { applications, providers, type GrantType } from '../db/schema.ts'
import type { AppEnv } from '../deps.ts'
import { SERVED_GRANT_TYPES } from '../oauth/served.ts'
import { columnsFrom } from './columns.ts'
import { clientSecretHash } from '../oauth/client-secret.ts'
import { parseDuration } from '../oauth/duration.ts'
import { AdminError, fieldError, notFound, type FieldErrors } from './http.ts'
import { pageOf, searchAny, whereEquals } from './list.ts'
import { intLookup } from './lookups.ts'
import { ProviderInput, ProviderOutput, providerToApi, type ProviderInputData, type ProviderOut } from './provider-schema.ts'
import type { ResourceSpec } from './resource.ts'
import { invalidPk, withFieldErrors } from './violations.ts'

type C = Context<AppEnv>
type Input = Partial<ProviderInputData>

/**
 * The grants RFC 9700 has no objection to, of those that are served (src/oauth/served.ts); implicit, hybrid and
 * password must be enabled explicitly (RFC 9700 §2.1.2 and §2.4, DESIGN.md).
 */
export const DEFAULT_GRANT_TYPES: GrantType[] = (['authorization_code', 'refresh_token', 'client_credentials',
  'device_code'] as const).filter((g) => SERVED_GRANT_TYPES.has(g))

const Filters = z.object({
  name: z.string().optional(),
  client_id: z.string().optional(),
  application: z.string().optional(),
  authorization_flow: z.string().optional(),
})

const NAME_TAKEN = 'Provider with this name already exists.'
const CLIENT_ID_TAKEN = 'OAuth2/OpenID Provider with this Client ID already exists.'

const secrets = (c: C) => deriveSecrets(c.var.deps.config.secretKey)

async function toApi(c: C, record: ProviderRecord): Promise<ProviderOut> {
  return providerToApi(record, await (await secrets(c)).open(record.clientSecretSealed))
}

async function mustLoad(c: C, id: number): Promise<ProviderOut> {
  const record = await getProvider(c.var.db, id)
  if (!record) throw notFound()
  return toApi(c, record)
}

function linksOf(input: Input): ProviderLinks {
  return {
    scopeMappingIds: input.property_mappings,
    federationSourceIds: input.jwt_federation_sources,
    federationProviderIds: input.jwt_federation_providers,
  }
}

/**
 * Every reference of a write checked in one read, so that nothing is written when one is wrong: all their field
 * errors at once, in DRF's shape. 404 when the provider being updated does not exist.
 */
async function referenceErrors(c: C, input: Input, selfId?: number): Promise<FieldErrors> {
  const keyIds = [input.signing_key, input.encryption_key, input.next_signing_key]
    .filter((k): k is string => typeof k === 'string')
  const found = await checkProviderReferences(c.var.db, {
    ...linksOf(input), keyIds, name: input.name, clientId: input.client_id, ...(selfId !== undefined && { selfId }),
  })
  if (selfId !== undefined && !found.selfExists) throw notFound()
  const errors: FieldErrors = {}
  const missing = <T>(field: string, given: readonly T[] | undefined, known: Set<T>, norm: (v: T) => T) => {
    const bad = given?.find((v) => !known.has(norm(v)))
    if (bad !== undefined) errors[field] = [invalidPk(bad)]
  }
  const lower = (v: string) => v.toLowerCase()
  missing('property_mappings', input.property_mappings, found.scopeMappingIds, lower)
  missing('jwt_federation_sources', input.jwt_federation_sources, found.federationSourceIds, lower)
  missing('jwt_federation_providers', input.jwt_federation_providers, found.federationProviderIds, (v) => v)
  if (typeof input.signing_key === 'string') {
    const key = found.keys.get(input.signing_key.toLowerCase())
    if (!key) errors.signing_key = [invalidPk(input.signing_key)]
    else if (!key.hasPrivateKey) errors.signing_key = ['Only key pairs with a private key can be used for signing.']
  }
  if (typeof input.next_signing_key === 'string') {
    const key = found.keys.get(input.next_signing_key.toLowerCase())
    if (!key) errors.next_signing_key = [invalidPk(input.next_signing_key)]
    else if (!key.hasPrivateKey) errors.next_signing_key = ['Only key pairs with a private key can be used for signing.']
  }
  if (typeof input.encryption_key === 'string') {
    const key = found.keys.get(input.encryption_key.toLowerCase())
    if (!key) errors.encryption_key = [invalidPk(input.encryption_key)]
    else if (key.keyType !== 'rsa') errors.encryption_key = ['Only RSA keys can be used for encryption.']
  }
  if (found.nameTaken) errors.name = [NAME_TAKEN]
  if (found.clientIdTaken) errors.client_id = [CLIENT_ID_TAKEN]
  return errors
}

/** {@link referenceErrors}, thrown as one 400 when there is any. */
async function checkReferences(c: C, input: Input, selfId?: number): Promise<void> {
  const errors = await referenceErrors(c, input, selfId)
  if (Object.keys(errors).length) throw new AdminError(400, errors)
}

const plainColumnsOf = columnsFrom<ProviderInputData, ProviderChanges>({
  name: 'name', authorization_flow: 'authorizationFlow', authentication_flow: 'authenticationFlow',
  invalidation_flow: 'invalidationFlow', client_type: 'clientType', client_id: 'clientId',
  access_code_validity: 'accessCodeValidity', access_token_validity: 'accessTokenValidity',
  refresh_token_validity: 'refreshTokenValidity', refresh_token_threshold: 'refreshTokenThreshold',
  include_claims_in_id_token: 'includeClaimsInIdToken', redirect_uris: 'redirectUris', logout_uri: 'logoutUri',
  logout_method: 'logoutMethod', sub_mode: 'subMode', issuer_mode: 'issuerMode', grant_types: 'grantTypes',
  dpop_bound_access_tokens: 'dpopBoundAccessTokens', dpop_require_nonce: 'dpopRequireNonce',
  require_pushed_authorization_requests: 'requirePushedAuthorizationRequests',
  access_token_format: 'accessTokenFormat', allowed_resources: 'allowedResources',
  signing_key_rotation: 'signingKeyRotation', refresh_token_reuse_interval: 'refreshTokenReuseInterval',
})

/**
 * `next_signing_key` and when it was published: set now when the key changes (an update naming the same key keeps
 * the time), so the rotation's lead time counts from when JWKS first showed it, whatever the key pair's age.
 */
function nextKeyColumns(c: C, input: Input, update: boolean): ProviderChanges {
  if (input.next_signing_key === undefined) return {}
  const id = input.next_signing_key?.toLowerCase() ?? null
  const now = c.var.deps.clock.now()
  const published = id === null ? null : update
    ? sql`case when ${providers.nextSigningKeyId} is not distinct from ${id}::uuid
        then ${providers.nextSigningKeyPublished} else ${now.toISOString()}::timestamptz end`
    : now
  return { nextSigningKeyId: id, nextSigningKeyPublished: published as Date | null }
}

/** The durations a token request's one statement reads as milliseconds, beside the strings the API shows. */
const DURATION_MS = {
  access_code_validity: 'accessCodeValidityMs', access_token_validity: 'accessTokenValidityMs',
  refresh_token_validity: 'refreshTokenValidityMs', refresh_token_threshold: 'refreshTokenThresholdMs',
  refresh_token_reuse_interval: 'refreshTokenReuseIntervalMs',
} as const satisfies Partial<Record<keyof ProviderInputData, keyof ProviderChanges>>

function durationColumns(input: Input): ProviderChanges {
  return Object.fromEntries(Object.entries(DURATION_MS).flatMap(([field, column]) => {
    const value = input[field as keyof typeof DURATION_MS]
    return value === undefined ? [] : [[column, parseDuration(value)]]
  }))
}

/**
 * The columns an input sets; key pairs are referred to by their lower-case uuid, the client secret is sealed at
 * rest beside its keyed hash (src/oauth/client-secret.ts), the durations kept as milliseconds too.
 */
async function columnsOf(c: C, input: Input, update = false): Promise<ProviderChanges> {
  const box = await secrets(c)
  return {
    ...plainColumnsOf(input),
    ...durationColumns(input),
    ...(input.signing_key !== undefined && { signingKeyId: input.signing_key?.toLowerCase() ?? null }),
    ...nextKeyColumns(c, input, update),
    ...(input.encryption_key !== undefined && { encryptionKeyId: input.encryption_key?.toLowerCase() ?? null }),
    ...(input.client_secret !== undefined && { clientSecretSealed: await box.seal(input.client_secret),
      clientSecretHash: await clientSecretHash(box, input.client_secret) }),
  }
}

/** A unique violation that slipped past the check (a concurrent write), as the field error it means. */
const taken = { unique: (constraint: string) => constraint.includes('client_id')
  ? fieldError('client_id', CLIENT_ID_TAKEN) : fieldError('name', NAME_TAKEN) }

/** `/api/v3/providers/oauth2/`: authentik's OAuth2/OpenID providers. */
export const providerResource: ResourceSpec<number, typeof ProviderInput, typeof Filters, ProviderOut> = {
  path: '/providers/oauth2/',
  tag: 'providers_oauth2',
  noun: 'OAuth2 provider',
  lookup: intLookup('id'),
  input: ProviderInput,
  output: ProviderOutput,
  filters: Filters,
  async list(c, f, page) {
    const { db } = c.var
    const assignedTo = (slug: string) => inArray(providers.id, db.select({ id: sql<number>`${applications.providerId}` })
      .from(applications).where(eq(applications.slug, slug)))
    const where = and(
      whereEquals(f, { name: providers.name, client_id: providers.clientId, authorization_flow: providers.authorizationFlow }),
      f.application === undefined ? undefined : assignedTo(f.application),
      searchAny(page.search, providers.name, providers.clientId),
    )
    return pageOf(db, providers, where, page, (range) => findProviders(db, where, range), (r) => toApi(c, r))
  },
  async get(c, id) {
    const record = await getProvider(c.var.db, id)
    return record ? toApi(c, record) : null
  },
  async create(c, data) {
    const input: ProviderInputData = {
      ...data, client_id: data.client_id ?? randomId(40), client_secret: data.client_secret ?? randomId(128),
      grant_types: data.grant_types ?? DEFAULT_GRANT_TYPES,
    }
    await checkReferences(c, input)
    const values = { ...(await columnsOf(c, input)), created: c.var.deps.clock.now() }
    const id = await withFieldErrors(
      () => insertProvider(c.var.db, values as Parameters<typeof insertProvider>[1], linksOf(input)), taken)
    return mustLoad(c, id)
  },
  async update(c, id, input) {
    await checkReferences(c, input, id)
    const found = await withFieldErrors(
      async () => updateProvider(c.var.db, id, await columnsOf(c, input, true), linksOf(input)), taken)
    return found ? mustLoad(c, id) : null
  },
  async remove(c, id) {
    return deleteProvider(c.var.db, id)
  },
  check: referenceErrors,
}
