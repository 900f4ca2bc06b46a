import { and, asc, eq, isNotNull, sql } from 'drizzle-orm'
import { alias } from 'drizzle-orm/pg-core'
import type { KeyMaterial } from '../crypto/keypair.ts'
import type { Secrets } from '../crypto/secret-box.ts'
import type { Db } from './client.ts'
import { rowsOf } from './client.ts'
import { eventInsertSql, type NewEvent } from './events.ts'
import { keyPairColumns } from './key-store.ts'
import { instant as at, keyPairs, providers } from './schema.ts'

/** What a rotation decision needs about one key pair. */
export interface RotationKey {
  id: string
  keyType: 'rsa' | 'ecdsa'
  keySize: number
  created: Date
  hasPrivateKey: boolean
}

/** A provider as key rotation sees it: its rotation columns and its active and next key. */
export interface RotationState {
  id: number
  name: string
  clientId: string
  created: Date
  accessTokenValidity: string
  signingKeyRotation: string | null
  signingKeyRotated: Date | null
  previousSigningKeyExpires: Date | null
  /** When the next key was set (and JWKS began to publish it). */
  nextSigningKeyPublished: Date | null
  active: RotationKey | null
  next: RotationKey | null
}

const active = alias(keyPairs, 'active_key')
const next = alias(keyPairs, 'next_key')
const keyOf = (k: typeof active | typeof next) => ({ id: k.id, keyType: k.keyType, keySize: k.keySize, created: k.created,
  hasPrivateKey: sql<boolean>`${k.keyDataSealed} is not null` })

function stateQuery(db: Db) {
  return db.select({
    id: providers.id, name: providers.name, clientId: providers.clientId, created: providers.created,
    accessTokenValidity: providers.accessTokenValidity, signingKeyRotation: providers.signingKeyRotation,
    signingKeyRotated: providers.signingKeyRotated, previousSigningKeyExpires: providers.previousSigningKeyExpires,
    nextSigningKeyPublished: providers.nextSigningKeyPublished, active: keyOf(active), next: keyOf(next),
  }).from(providers)
    .leftJoin(active, eq(active.id, providers.signingKeyId))
    .leftJoin(next, eq(next.id, providers.nextSigningKeyId))
}

type Selected = Awaited<ReturnType<ReturnType<typeof stateQuery>['execute']>>[number]

// A left join of nothing selects an object of nulls; and `created` of a nested select comes back as a Date.
function toState(row: Selected): RotationState {
  const key = (k: Selected['active']): RotationKey | null => (k?.id ? k as RotationKey : null)
  return { ...row, active: key(row.active), next: key(row.next) }
}

/** The rotation state of provider `id`, or null (one statement). */
export async function loadRotationState(db: Db, id: number): Promise<RotationState | null> {
  const [row] = await stateQuery(db).where(eq(providers.id, id))
  return row ? toState(row) : null
}

/**
 * Up to `limit` providers with automatic rotation and a signing key, the longest unrotated first (one statement).
 * Whether each is due is decided by the caller: the period is a duration string, parsed as authentik parses it.
 */
export async function loadAutomaticRotations(db: Db, limit: number): Promise<RotationState[]> {
  const rows = await stateQuery(db)
    .where(and(isNotNull(providers.signingKeyRotation), isNotNull(providers.signingKeyId)))
    .orderBy(asc(sql`coalesce(${providers.signingKeyRotated}, ${providers.created})`), asc(providers.id))
    .limit(limit)
  return rows.map(toState)
}

export interface RotateOptions {
  /** When the key being replaced leaves JWKS: now + the longest lifetime of what it signed. */
  previousExpires: Date
  /** The next key must have been published since then (at least the lead time). */
  publishedBefore: Date
  event: NewEvent
}

/**
 * Make the next key active, the active key the previous one (kept in JWKS until `previousExpires`), and record
 * `event`: one conditional statement, which changes nothing (false) unless the provider is still as `seen` (same
 * active and next key, same access token validity), its previous key has left JWKS and the next key can sign.
 */
export async function rotateSigningKey(db: Db, seen: RotationState, now: Date, options: RotateOptions): Promise<boolean> {
  if (!seen.next) return false
  const result = await db.execute(sql`with rotated as (
      update ${providers} set signing_key_id = next_signing_key_id, previous_signing_key_id = signing_key_id,
        previous_signing_key_expires = ${at(options.previousExpires)}, next_signing_key_id = null,
        next_signing_key_published = null, signing_key_rotated = ${at(now)}
      where id = ${seen.id}::int and next_signing_key_id = ${seen.next.id}::uuid
        and signing_key_id is not distinct from ${seen.active?.id ?? null}::uuid
        and access_token_validity = ${seen.accessTokenValidity}::text
        and (previous_signing_key_expires is null or previous_signing_key_expires <= ${at(now)})
        and next_signing_key_published <= ${at(options.publishedBefore)}
        and exists (select 1 from ${keyPairs} k where k.id = ${seen.next.id}::uuid and k.key_data_sealed is not null)
      returning id),
    recorded as (${eventInsertSql(options.event, now, sql`from rotated`)})
    select count(*)::int as rotated from rotated`)
  return (rowsOf<{ rotated: number }>(result)[0]?.rotated ?? 0) > 0
}

/**
 * Store `material` as key pair `keyId` named `name` and make it the next signing key of provider `seen`, with
 * `event`: one statement, which stores nothing (false) unless the provider still has no next key, still rotates
 * automatically and still signs with the same key (the row is locked, so concurrent runs add one key, not two).
 */
export async function addNextSigningKey(db: Db, secrets: Pick<Secrets, 'seal'>, seen: RotationState, now: Date,
  key: { id: string; name: string; material: KeyMaterial }, event: NewEvent): Promise<boolean> {
  const c = await keyPairColumns(secrets, key.material)
  const result = await db.execute(sql`with target as (
      select id from ${providers} where id = ${seen.id}::int and next_signing_key_id is null
        and signing_key_rotation is not null and signing_key_id is not distinct from ${seen.active?.id ?? null}::uuid
      for update),
    stored as (
      insert into ${keyPairs} (id, name, certificate_data, key_data_sealed, kid, key_type, key_size, fingerprint_sha256,
        fingerprint_sha1, cert_subject, cert_expiry, created)
      select ${key.id}::uuid, ${key.name}::text, ${c.certificateData}::text, ${c.keyDataSealed}::text, ${c.kid}::text,
        ${c.keyType}::text, ${c.keySize}::int, ${c.fingerprintSha256}::text, ${c.fingerprintSha1}::text,
        ${c.certSubject}::text, ${at(c.certExpiry)}, ${at(now)} from target
      on conflict (name) do nothing returning id),
    linked as (
      update ${providers} p set next_signing_key_id = stored.id, next_signing_key_published = ${at(now)}
      from stored where p.id = ${seen.id}::int returning p.id),
    recorded as (${eventInsertSql(event, now, sql`from linked`)})
    select count(*)::int as added from linked`)
  return (rowsOf<{ added: number }>(result)[0]?.added ?? 0) > 0
}
