import { and, asc, eq, isNotNull, isNull } from 'drizzle-orm'
import type { Context, Hono } from 'hono'
import { generateKeyPair, importKeyPair, KeyPairError, type KeyMaterial } from '../crypto/keypair.ts'
import { deriveSecrets } from '../crypto/secret-box.ts'
import { insertKeyPair, loadKeyPairMaterial, updateKeyPair, type KeyPairRow } from '../db/key-store.ts'
import { keyPairs } from '../db/schema.ts'
import type { AppEnv } from '../deps.ts'
import { AdminError, fieldError, notFound, parseBody } from './http.ts'
import { searchAny, tablePage, whereEquals } from './list.ts'
import { uuidLookup } from './lookups.ts'
import type { OpenAPIRegistry } from './openapi.ts'
import type { ResourceSpec } from './resource.ts'
import { GenerateInput, KeyPairFilters, KeyPairInput, KeyPairOutput, type KeyPairOut } from './key-pairs-schema.ts'
import { withFieldErrors } from './violations.ts'

const PATH = '/crypto/certificatekeypairs/'
const TAG = 'crypto_certificatekeypairs'
const lookup = uuidLookup('kp_uuid')

function toApi(row: KeyPairRow): KeyPairOut {
  return {
    pk: row.id, name: row.name, fingerprint_sha256: row.fingerprintSha256, fingerprint_sha1: row.fingerprintSha1,
    cert_expiry: row.certExpiry.toISOString(), cert_subject: row.certSubject,
    private_key_available: row.keyDataSealed !== null, key_type: row.keyType, kid: row.kid, managed: row.managed,
  }
}

const nameTaken = () => fieldError('name', 'Certificate-Key Pair with this name already exists.')
const secretsOf = (c: Context<AppEnv>) => deriveSecrets(c.var.deps.config.secretKey)

/** Validate an uploaded pair; its errors are field errors on `certificate_data` or `key_data`. */
async function validated(certificatePem: string, keyPem: string): Promise<KeyMaterial> {
  try {
    return await importKeyPair(certificatePem, keyPem)
  } catch (err) {
    if (err instanceof KeyPairError) throw fieldError(err.field, err.message)
    throw err
  }
}

/** `/api/v3/crypto/certificatekeypairs/`: import, list, rename, replace and delete key pairs. */
export const keyPairResource: ResourceSpec<string, typeof KeyPairInput, typeof KeyPairFilters, KeyPairOut> = {
  path: PATH,
  tag: TAG,
  lookup,
  input: KeyPairInput,
  output: KeyPairOutput,
  filters: KeyPairFilters,
  async list(c, f, page) {
    const where = and(
      whereEquals(f, { name: keyPairs.name, key_type: keyPairs.keyType }),
      f.has_key === undefined ? undefined : f.has_key ? isNotNull(keyPairs.keyDataSealed) : isNull(keyPairs.keyDataSealed),
      searchAny(page.search, keyPairs.name),
    )
    return tablePage(c.var.db, keyPairs, where, [asc(keyPairs.name)], page, toApi)
  },
  async get(c, id) {
    const [row] = await c.var.db.select().from(keyPairs).where(eq(keyPairs.id, id))
    return row ? toApi(row) : null
  },
  async create(c, input) {
    const material = await validated(input.certificate_data, input.key_data ?? '')
    const row = await insertKeyPair(c.var.db, await secretsOf(c), input.name, material,
      { created: c.var.deps.clock.now() })
    if (!row) throw nameTaken()
    return toApi(row)
  },
  async update(c, id, input) {
    const secrets = await secretsOf(c)
    let material: KeyMaterial | undefined
    if (input.certificate_data !== undefined || input.key_data !== undefined) {
      // A field left out keeps its stored value, and the resulting pair is validated as a whole.
      const current = await loadKeyPairMaterial(c.var.db, secrets, id)
      if (!current) return null
      material = await validated(input.certificate_data ?? current.certificatePem,
        input.key_data ?? current.privateKeyPem ?? '')
    }
    const row = await withFieldErrors(() => updateKeyPair(c.var.db, secrets, id, { name: input.name, material }),
      { unique: nameTaken })
    return row ? toApi(row) : null
  },
  async remove(c, id) {
    const rows = await c.var.db.delete(keyPairs).where(eq(keyPairs.id, id)).returning({ id: keyPairs.id })
    return rows.length > 0
  },
}

const GENERATE = `${PATH}generate/`
const VIEW_CERTIFICATE = `${PATH}:kp_uuid/view_certificate/`
const VIEW_PRIVATE_KEY = `${PATH}:kp_uuid/view_private_key/`

async function certificateOf(c: Context<AppEnv>): Promise<string> {
  const id = lookup.parse(c.req.param('kp_uuid') ?? '')
  const [row] = id === null ? [] : await c.var.db.select({ pem: keyPairs.certificateData }).from(keyPairs)
    .where(eq(keyPairs.id, id))
  if (!row) throw notFound()
  return row.pem
}

/** `generate/` (a fresh self-signed pair, answered 200 as authentik does) and the `view_*` actions. */
export function mountKeyPairActions(app: Hono<AppEnv>, registry: OpenAPIRegistry): void {
  app.post(GENERATE, async (c) => {
    const options = await parseBody(c, GenerateInput)
    const { db, deps } = c.var
    const taken = () => fieldError('common_name', 'Key-pair with this name already exists.')
    // Checked first so a taken name costs no key generation; the insert below still settles races.
    const [existing] = await db.select({ id: keyPairs.id }).from(keyPairs).where(eq(keyPairs.name, options.commonName))
    if (existing) throw taken()
    const now = deps.clock.now()
    const material = await generateKeyPair(options, now)
    const row = await insertKeyPair(db, await secretsOf(c), options.commonName, material, { created: now })
    if (!row) throw taken()
    return c.json(toApi(row), 200)
  })
  registry.create(GENERATE, TAG, GenerateInput, KeyPairOutput, `${TAG}_generate_create`)

  app.get(VIEW_CERTIFICATE, async (c) => c.json({ data: await certificateOf(c) }))
  app.get(VIEW_PRIVATE_KEY, async (c) => {
    await certificateOf(c)
    throw new AdminError(403, { detail: 'Private keys are never returned.' })
  })
  const parameters = [{ name: 'kp_uuid', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } }]
  registry.add('get', VIEW_CERTIFICATE, { tags: [TAG], operationId: `${TAG}_view_certificate_retrieve`, parameters,
    responses: { 200: { description: 'The certificate as PEM, `{"data": "..."}`' }, 404: { description: 'Not found' } } })
  registry.add('get', VIEW_PRIVATE_KEY, { tags: [TAG], operationId: `${TAG}_view_private_key_retrieve`, parameters,
    responses: { 403: { description: 'Private keys are never returned' }, 404: { description: 'Not found' } } })
}
