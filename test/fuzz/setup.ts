/**
 * The world the fuzzed requests meet, made through the admin API and the real pages: a confidential provider
 * with a signing key, a public one with a regex redirect URI, one with explicit consent, a user with a password
 * and an app password, a signed-in browser, and live codes, tokens and device codes (re-minted now and then, so
 * requests keep reaching the code paths behind a valid artefact).
 */
import { sha256Base64url } from '../../src/crypto/hash.ts'
import { TestAgent } from '../support/browser-forms.ts'
import { ADMIN_TOKEN, SECRET_KEY, type TestContext } from '../support/app.ts'
import { adminJson, createProviderApp, createUserWithPassword, defaultMappingPks, EXPLICIT_CONSENT, generateKeyPair,
  PASSWORD, type Provider } from '../support/fixtures.ts'

export const REDIRECT = 'http://local.invalid/callback'
export const REGEX_REDIRECT = 'https://app.example/cb'
export const VERIFIER = 'fuzz-verifier-0123456789-abcdefghijklmnopqrstuvwxyz'
export const CHALLENGE = await sha256Base64url(VERIFIER)
const ALL_GRANTS = ['authorization_code', 'implicit', 'hybrid', 'refresh_token', 'client_credentials', 'password',
  'device_code']

export interface World {
  conf: Provider
  pub: Provider
  exp: Provider
  appKey: string
  agent: TestAgent
  /** What must never appear in an answer: the admin token, SECRET_KEY, the password, secrets and app password. */
  secrets: string[]
  /** Live artefacts by placeholder (`$code`, `$access`, ...): the newest first. */
  pool: Record<string, string[]>
  mints: { ok: number; failed: number }
}

export async function createWorld(t: TestContext): Promise<World> {
  const key = await generateKeyPair(t, 'fuzz', { alg: 'ecdsa', key_size: 256 })
  const property_mappings = await defaultMappingPks(t)
  const common = { property_mappings, grant_types: ALL_GRANTS }
  const conf = await createProviderApp(t, 'conf', { ...common, signing_key: key.pk,
    redirect_uris: [{ matching_mode: 'strict', url: REDIRECT }] })
  const pub = await createProviderApp(t, 'pub', { ...common, client_type: 'public',
    redirect_uris: [{ matching_mode: 'regex', url: 'https://app\\.example/.*' }] })
  const exp = await createProviderApp(t, 'exp', { ...common, authorization_flow: EXPLICIT_CONSENT,
    redirect_uris: [{ matching_mode: 'strict', url: REDIRECT }] })
  const alice = await createUserWithPassword(t, 'alice')
  const { key: appKey } = await adminJson<{ key: string }>(t, 'POST', '/core/tokens/',
    { identifier: 'fuzz-app-password', user: alice.pk, intent: 'app_password', expiring: false }, 201)
  const world: World = {
    conf, pub, exp, appKey, agent: new TestAgent(t),
    secrets: [ADMIN_TOKEN, SECRET_KEY, PASSWORD, conf.client_secret, pub.client_secret, exp.client_secret, appKey],
    pool: { $code: [], $access: [], $refresh: [], $id_token: [], $device_code: [], $user_code: [] },
    mints: { ok: 0, failed: 0 },
  }
  await mint(t, world)
  return world
}

/** Keep `value` first in the pool `name` (a few per pool). */
export function remember(world: World, name: string, value: unknown): void {
  if (typeof value !== 'string' || !value) return
  const list = world.pool[name]!
  list.unshift(value)
  list.length = Math.min(list.length, 4)
}

/** `s` with each placeholder replaced by a live artefact (the `n`th newest, cycling). */
export function resolve(world: World, s: string, n = 0): string {
  return s.replace(/\$(code|access|refresh|id_token|device_code|user_code)/g, (name) => {
    const list = world.pool[name]!
    return list.length ? list[n % list.length]! : name
  })
}

/** A fresh sign-in, code, token set and device code; a failure (a limit the fuzzing reached) keeps the old ones. */
export async function mint(t: TestContext, world: World): Promise<void> {
  try {
    const agent = new TestAgent(t)
    const signedIn = await agent.submit('/login', { username: 'alice', password: PASSWORD })
    if (signedIn.status !== 303) throw new Error(`sign-in ${signedIn.status}`)
    world.agent = agent
    const code = await codeFor(agent, world)
    const form = (fields: Record<string, string>) => ({ method: 'POST', body: new URLSearchParams({
      client_id: world.conf.client_id, client_secret: world.conf.client_secret, ...fields }),
    headers: { 'CF-Connecting-IP': '10.250.0.1' } })
    const tokens = await t.request('/application/o/token/', form({ grant_type: 'authorization_code', code,
      redirect_uri: REDIRECT, code_verifier: VERIFIER }))
    const body = (await tokens.json()) as Record<string, unknown>
    if (!body.access_token) throw new Error(`token ${tokens.status} ${JSON.stringify(body)}`)
    remember(world, '$access', body.access_token)
    remember(world, '$refresh', body.refresh_token)
    remember(world, '$id_token', body.id_token)
    remember(world, '$code', await codeFor(agent, world))
    const device = await t.request('/application/o/device/', form({ scope: 'openid' }))
    const d = (await device.json()) as Record<string, unknown>
    remember(world, '$device_code', d.device_code)
    remember(world, '$user_code', d.user_code)
    world.mints.ok++
  } catch {
    world.mints.failed++
  }
}

/** A code for `conf` from the signed-in `agent` (implicit consent, PKCE S256 with `VERIFIER`). */
async function codeFor(agent: TestAgent, world: World): Promise<string> {
  const res = await agent.get(`/application/o/authorize/?${new URLSearchParams({
    client_id: world.conf.client_id, redirect_uri: REDIRECT, response_type: 'code', state: 's', nonce: 'n',
    scope: 'openid email profile offline_access', code_challenge: CHALLENGE, code_challenge_method: 'S256' })}`)
  const code = new URL(res.headers.get('Location') ?? 'x:', 'http://localhost').searchParams.get('code')
  if (!code) throw new Error(`authorize ${res.status}`)
  return code
}
