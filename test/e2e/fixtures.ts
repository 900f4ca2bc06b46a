/** What end-to-end tests set up through the admin API, as an operator would. */
import { deriveSecrets } from '../../src/crypto/secret-box.ts'
import { loadKeyPairMaterial } from '../../src/db/key-store.ts'
import { createTestContext, SECRET_KEY, type TestContext } from '../support/app.ts'
import { startHttpServer, unusedPort, type HttpServer } from '../support/http-server.ts'
import {
  createGroup, createProviderApp, createUserWithPassword, defaultMappingPks, EXPLICIT_CONSENT,
} from '../support/fixtures.ts'

export const SCOPE = 'openid profile email offline_access'

export interface E2EUser { pk: number; username: string; email: string; groups: string[] }

/** An active user with a password (`PASSWORD`) and one group. */
export async function createUser(t: TestContext, username: string, group: string): Promise<E2EUser> {
  const user = await createUserWithPassword(t, username)
  await createGroup(t, group, { users: [user.pk] })
  return { pk: user.pk, username, email: user.email, groups: [group] }
}

/** The stored private key (PEM) of a key pair, as the provider opens it with SECRET_KEY. */
export async function privateKeyPem(t: TestContext, pk: string): Promise<string> {
  const material = await loadKeyPairMaterial(t.db, await deriveSecrets(SECRET_KEY), pk)
  if (!material?.privateKeyPem) throw new Error(`key pair ${pk} has no private key`)
  return material.privateKeyPem
}

export interface E2EClient { slug: string; name: string; clientId: string; clientSecret: string; redirectUri: string }

export interface ClientSpec {
  slug: string
  /** The application's name; `App <slug>` unless given. */
  name?: string
  redirectUri: string
  signingKey?: string | null
  encryptionKey?: string
  /** Defaults to the explicit-consent flow. */
  flow?: string
}

/** A confidential provider with the managed scope mappings, a strict redirect URI, and its application. */
export async function createClient(t: TestContext, spec: ClientSpec): Promise<E2EClient> {
  const name = spec.name ?? `App ${spec.slug}`
  const provider = await createProviderApp(t, spec.slug, {
    name: `e2e-${spec.slug}`,
    authorization_flow: spec.flow ?? EXPLICIT_CONSENT,
    client_type: 'confidential',
    redirect_uris: [{ matching_mode: 'strict', url: spec.redirectUri }],
    property_mappings: await defaultMappingPks(t),
    signing_key: spec.signingKey ?? null,
    ...(spec.encryptionKey && { encryption_key: spec.encryptionKey }),
  }, { name })
  return {
    slug: spec.slug, name, clientId: provider.client_id, clientSecret: provider.client_secret,
    redirectUri: spec.redirectUri,
  }
}

/** The issuer of an application's provider (per-provider issuer mode) on the server at `base`. */
export function issuerOf(base: string, slug: string): URL {
  return new URL(`${base}/application/o/${slug}/`)
}

/** What an end-to-end file runs against: the app on a real HTTP server, a signed-up user, a redirect URI. */
export interface E2EServer { t: TestContext; server: HttpServer; user: E2EUser; redirectUri: string }

/**
 * The app of a fresh `TestContext` on a real HTTP server, with a user (`username`, in `group`) and a strict
 * redirect URI that nothing answers (a flow reads the Location and never goes there). The fixed clock starts at
 * the real time, because the client libraries check `iat` and `exp` against it.
 */
export async function startE2E(username: string, group: string): Promise<E2EServer> {
  const t = await createTestContext()
  t.clock.set(new Date())
  const server = await startHttpServer(t)
  const user = await createUser(t, username, group)
  return { t, server, user, redirectUri: `http://127.0.0.1:${await unusedPort()}/callback` }
}

/** Stop what `startE2E` started (what of it was started). */
export async function stopE2E(e: Partial<E2EServer> | undefined): Promise<void> {
  await e?.server?.close()
  await e?.t?.close()
}
