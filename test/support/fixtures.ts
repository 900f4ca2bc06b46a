/**
 * Set-up through the admin API, as an operator makes it: providers and applications, users, groups, key pairs.
 * Shared by the Node, browser, interop and Worker tests, so it imports nothing at run time (no vitest, no
 * node:, no PGlite): a set-up call that is not answered as expected throws with the answer's text.
 */

/** What can call the admin API: a `TestContext`, or `{ admin }` of the Worker tests. */
export interface AdminApi {
  admin(method: string, path: string, body?: unknown): Promise<Response>
}

export const PASSWORD = 'correct horse battery staple'
export const IMPLICIT_CONSENT = 'default-provider-authorization-implicit-consent'
export const EXPLICIT_CONSENT = 'default-provider-authorization-explicit-consent'

export interface Provider { pk: number; name: string; client_id: string; client_secret: string }
export interface User { pk: number; uuid: string; username: string; name: string; email: string }
export interface Group { pk: string; name: string }
export interface ScopeMapping { pk: string; name: string; scope_name: string }
export interface KeySpec { alg: 'rsa' | 'ecdsa'; key_size: number; validity_days?: number }
export interface GeneratedKeyPair { pk: string; kid: string }

/** A response's JSON body. */
export async function json<T = Record<string, unknown>>(res: Response | Promise<Response>): Promise<T> {
  return (await (await res).json()) as T
}

/** An admin API call that must be answered with `status`; its JSON body (undefined when empty). */
export async function adminJson<T>(api: AdminApi, method: string, path: string, body: unknown, status: number): Promise<T> {
  const res = await api.admin(method, path, body)
  const text = await res.text()
  if (res.status !== status) throw new Error(`${method} /api/v3${path}: ${res.status} (expected ${status}) ${text}`)
  return (text ? JSON.parse(text) : undefined) as T
}

/** The pks of the managed scope mappings (openid, email, profile, offline_access, entitlements). */
export async function defaultMappingPks(api: AdminApi): Promise<string[]> {
  const page = await adminJson<{ results: Array<{ pk: string; managed: string | null }> }>(
    api, 'GET', '/propertymappings/provider/scope/?page_size=100', undefined, 200)
  return page.results.filter((m) => m.managed).map((m) => m.pk)
}

/** A scope mapping of `fields` (`name`, `scope_name`, `expression`, ...). */
export function createScopeMapping(api: AdminApi, fields: { name: string; scope_name: string } & Record<string, unknown>):
  Promise<ScopeMapping> {
  return adminJson<ScopeMapping>(api, 'POST', '/propertymappings/provider/scope/', fields, 201)
}

/** An OAuth2 provider; `fields` on top of the implicit-consent flow. */
export function createProvider(api: AdminApi, fields: { name: string } & Record<string, unknown>): Promise<Provider> {
  return adminJson<Provider>(api, 'POST', '/providers/oauth2/', { authorization_flow: IMPLICIT_CONSENT, ...fields }, 201)
}

/**
 * A provider named `slug` (implicit consent, `provider` on top) and its application `slug` (named `slug`,
 * `application` on top); answers the provider.
 */
export async function createProviderApp(api: AdminApi, slug: string, provider: Record<string, unknown> = {},
  application: Record<string, unknown> = {}): Promise<Provider> {
  const p = await createProvider(api, { name: slug, ...provider })
  await adminJson(api, 'POST', '/core/applications/', { name: slug, slug, provider: p.pk, ...application }, 201)
  return p
}

/** A user named `<username> Example` with the email `<username>@example.com`, `fields` on top. */
export function createUser(api: AdminApi, username: string, fields: Record<string, unknown> = {}): Promise<User> {
  return adminJson<User>(api, 'POST', '/core/users/', {
    username, name: `${username} Example`, email: `${username}@example.com`, ...fields,
  }, 201)
}

/** `set_password/` of a user (`PASSWORD` unless given). */
export async function setPassword(api: AdminApi, userPk: number, password = PASSWORD): Promise<void> {
  await adminJson(api, 'POST', `/core/users/${userPk}/set_password/`, { password }, 204)
}

/** `createUser`, then its password (`PASSWORD` unless given). */
export async function createUserWithPassword(api: AdminApi, username: string, fields: Record<string, unknown> = {},
  password = PASSWORD): Promise<User> {
  const user = await createUser(api, username, fields)
  await setPassword(api, user.pk, password)
  return user
}

/** A group named `name`, `fields` (e.g. `users`) on top. */
export function createGroup(api: AdminApi, name: string, fields: Record<string, unknown> = {}): Promise<Group> {
  return adminJson<Group>(api, 'POST', '/core/groups/', { name, ...fields }, 201)
}

/** A key pair the provider generates (`/crypto/certificatekeypairs/generate/`, answered 200). */
export function generateKeyPair(api: AdminApi, commonName: string, spec: KeySpec): Promise<GeneratedKeyPair> {
  return adminJson<GeneratedKeyPair>(api, 'POST', '/crypto/certificatekeypairs/generate/',
    { common_name: commonName, ...spec }, 200)
}
