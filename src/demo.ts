import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { eq, inArray } from 'drizzle-orm'
import type { Config } from './config.ts'
import { generateKeyPair } from './crypto/keypair.ts'
import { hashPassword } from './crypto/password.ts'
import { randomId } from './crypto/random.ts'
import { deriveSecrets } from './crypto/secret-box.ts'
import type { Db } from './db/client.ts'
import { insertKeyPair } from './db/key-store.ts'
import { insertApplication } from './db/application-store.ts'
import { insertProvider } from './db/provider-store.ts'
import { applications, GRANT_TYPES, providers, scopeMappings } from './db/schema.ts'
import { createUser } from './db/user-store.ts'
import { clientSecretHash } from './oauth/client-secret.ts'

export const DEFAULT_SCOPE_MAPPINGS = ['openid', 'email', 'profile', 'offline_access', 'entitlements']
  .map((scope) => `goauthentik.io/providers/oauth2/scope-${scope}`)

export interface DemoInfo {
  slug: string
  clientId: string
  clientSecret: string
  redirectUri: string
  username: string
  password: string
}

const SLUG = 'demo'
const REDIRECT_URI = 'http://localhost:8000/callback'

/**
 * The demo application of `npm start`, created on first start: a confidential client with a strict redirect
 * URI, an RS256 key, the default scope mappings and every grant type, and a demo user. The demo user's
 * password is kept in `demo.json` in the data folder (mode 0600) so it can be printed at every start.
 */
export async function ensureDemo(db: Db, config: Config, dataDir: string, now: Date): Promise<DemoInfo> {
  const secrets = await deriveSecrets(config.secretKey)
  const file = join(dataDir, 'demo.json')
  const [existing] = await db.select({ clientId: providers.clientId, sealed: providers.clientSecretSealed })
    .from(applications).innerJoin(providers, eq(providers.id, applications.providerId))
    .where(eq(applications.slug, SLUG))
  if (existing) {
    let stored: { username?: string; password?: string } = {}
    try {
      stored = JSON.parse(readFileSync(file, 'utf8'))
    } catch {
      // the file was removed: the password can still be set through the admin API
    }
    return {
      slug: SLUG, clientId: existing.clientId, clientSecret: await secrets.open(existing.sealed),
      redirectUri: REDIRECT_URI, username: stored.username ?? 'demo',
      password: stored.password ?? '(unknown: set one with POST /api/v3/core/users/<pk>/set_password/)',
    }
  }

  const material = await generateKeyPair({ commonName: 'edge-oidc demo', validityDays: 365, alg: 'rsa', keySize: 2048 }, now)
  const key = await insertKeyPair(db, secrets, 'edge-oidc demo signing key', material)
  if (!key) throw new Error('a key pair named "edge-oidc demo signing key" exists without the demo application')
  const mappings = await db.select({ id: scopeMappings.id }).from(scopeMappings)
    .where(inArray(scopeMappings.managed, DEFAULT_SCOPE_MAPPINGS))
  const clientId = randomId(40)
  const clientSecret = randomId(128)
  const providerId = await insertProvider(db, {
    name: 'demo', authorizationFlow: 'default-provider-authorization-explicit-consent',
    invalidationFlow: 'default-provider-invalidation-flow', clientId,
    clientSecretSealed: await secrets.seal(clientSecret), clientSecretHash: await clientSecretHash(secrets, clientSecret),
    redirectUris: [{ matching_mode: 'strict', url: REDIRECT_URI, redirect_uri_type: 'authorization' }],
    signingKeyId: key.id, grantTypes: [...GRANT_TYPES],
  }, { scopeMappingIds: mappings.map((m) => m.id) })
  await insertApplication(db, { name: 'Demo application', slug: SLUG, providerId, metaLaunchUrl: 'http://localhost:8000/' })

  const password = randomId(20)
  const userId = await createUser(db, {
    username: 'demo', name: 'Demo User', email: 'demo@example.com',
    passwordHash: await hashPassword(password, { iterations: config.passwordIterations }), passwordChangeDate: now,
  })
  if (userId === null) throw new Error('a user named "demo" exists without the demo application')
  writeFileSync(file, JSON.stringify({ username: 'demo', password }, null, 2), { mode: 0o600 })
  return { slug: SLUG, clientId, clientSecret, redirectUri: REDIRECT_URI, username: 'demo', password }
}
