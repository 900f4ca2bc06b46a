import { eq } from 'drizzle-orm'
import type { KeyMaterial } from '../crypto/keypair.ts'
import type { Secrets } from '../crypto/secret-box.ts'
import type { Db } from './client.ts'
import { keyPairs } from './schema.ts'

export type KeyPairRow = typeof keyPairs.$inferSelect
type Sealer = Pick<Secrets, 'seal'>

/** A stored key pair with its private key opened, for signing and decryption. */
export interface StoredKeyPair {
  id: string
  name: string
  certificatePem: string
  /** PKCS#8 PEM, or null for a certificate-only pair. */
  privateKeyPem: string | null
  kid: string
  keyType: 'rsa' | 'ecdsa'
  keySize: number
}

/** The columns `material` fills; the private key is sealed with the key derived from `SECRET_KEY`. */
export async function keyPairColumns(secrets: Sealer, material: KeyMaterial) {
  return {
    certificateData: material.certificatePem,
    keyDataSealed: material.privateKeyPem === null ? null : await secrets.seal(material.privateKeyPem),
    kid: material.kid,
    keyType: material.keyType,
    keySize: material.keySize,
    fingerprintSha256: material.fingerprintSha256,
    fingerprintSha1: material.fingerprintSha1,
    certSubject: material.certSubject,
    certExpiry: material.certExpiry,
  }
}

/** Store a new key pair; null when `name` is taken. */
export async function insertKeyPair(
  db: Db, secrets: Sealer, name: string, material: KeyMaterial, extra: { managed?: string; created?: Date } = {},
): Promise<KeyPairRow | null> {
  const [row] = await db.insert(keyPairs).values({ name, ...extra, ...(await keyPairColumns(secrets, material)) })
    .onConflictDoNothing({ target: keyPairs.name }).returning()
  return row ?? null
}

/**
 * Rename a key pair and/or replace its certificate and key; null when there is no such pair.
 * A taken name is thrown as a unique violation for the caller to render.
 */
export async function updateKeyPair(
  db: Db, secrets: Sealer, id: string, changes: { name?: string | undefined; material?: KeyMaterial | undefined },
): Promise<KeyPairRow | null> {
  const values = {
    ...(changes.name !== undefined && { name: changes.name }),
    ...(changes.material && (await keyPairColumns(secrets, changes.material))),
  }
  if (!Object.keys(values).length) {
    const [row] = await db.select().from(keyPairs).where(eq(keyPairs.id, id))
    return row ?? null
  }
  const [row] = await db.update(keyPairs).set(values).where(eq(keyPairs.id, id)).returning()
  return row ?? null
}

/** A key pair with its private key unsealed (never logged, never returned by the API); null when absent. */
export async function loadKeyPairMaterial(db: Db, secrets: Pick<Secrets, 'open'>, id: string): Promise<StoredKeyPair | null> {
  const [row] = await db.select().from(keyPairs).where(eq(keyPairs.id, id))
  if (!row) return null
  return {
    id: row.id, name: row.name, certificatePem: row.certificateData,
    privateKeyPem: row.keyDataSealed === null ? null : await secrets.open(row.keyDataSealed),
    kid: row.kid, keyType: row.keyType, keySize: row.keySize,
  }
}
