import type { TestContext } from './app.ts'
import { TestAgent } from './browser-forms.ts'
import { adminJson, createProviderApp, createUserWithPassword, defaultMappingPks, PASSWORD } from './fixtures.ts'

/**
 * The requests whose statements get kept functions (src/db/kept-statements.ts): what `npm run db:kept` records
 * to write the migration, and what its test records to hold the table to the code. The hot path, from a known
 * address (`CF-Connecting-IP`, as at the edge): a sign-in, a signed-in authorize, the code exchange, a refresh,
 * client credentials, the password grant, the device flow, userinfo, introspection (with and without a hint)
 * and a revocation. Throws on any answer
 * but the expected one; `slug` names its provider, application and user. Imports no vitest: the script runs it too.
 */
export async function runKeptFlows(t: TestContext, slug = 'kept'): Promise<void> {
  const redirect = 'http://local.invalid/callback'
  const provider = await createProviderApp(t, slug, { redirect_uris: [{ matching_mode: 'strict', url: redirect }],
    property_mappings: await defaultMappingPks(t),
    grant_types: ['authorization_code', 'refresh_token', 'client_credentials', 'password', 'device_code'] })
  const user = await createUserWithPassword(t, `${slug}-user`)
  const appPassword = await adminJson<{ key: string }>(t, 'POST', '/core/tokens/',
    { identifier: `${slug}-app-password`, user: user.pk }, 201)
  const from = { 'CF-Connecting-IP': '192.0.2.7' }
  const expect = async (res: Response, status: number, what: string) => {
    if (res.status !== status) throw new Error(`${what}: ${res.status} ${await res.text()}`)
    return res
  }
  const agent = new TestAgent(t)
  const fields = agent.formFields(await (await expect(await agent.get('/login', from), 200, 'GET /login')).text())
  await expect(await agent.post('/login', { ...fields, username: `${slug}-user`, password: PASSWORD }, from), 303,
    'sign-in')
  const authorized = await expect(await agent.get(`/application/o/authorize/?${new URLSearchParams({
    client_id: provider.client_id, redirect_uri: redirect, response_type: 'code',
    scope: 'openid email profile offline_access', state: 's' })}`, from), 302, 'authorize')
  const code = new URL(authorized.headers.get('Location')!).searchParams.get('code')
  if (!code) throw new Error(`authorize: no code in ${authorized.headers.get('Location')}`)

  const auth = { client_id: provider.client_id, client_secret: provider.client_secret }
  const post = async (path: string, params: Record<string, string>) => {
    const res = await t.request(path, { method: 'POST', headers: from, body: new URLSearchParams({ ...auth, ...params }) })
    return (await (await expect(res, 200, `${path} ${params.grant_type ?? ''}`)).json()) as Record<string, string>
  }
  const tokens = await post('/application/o/token/', { grant_type: 'authorization_code', code, redirect_uri: redirect })
  const refreshed = await post('/application/o/token/', { grant_type: 'refresh_token',
    refresh_token: tokens.refresh_token! })
  await post('/application/o/token/', { grant_type: 'client_credentials', scope: 'openid' })
  await post('/application/o/token/', { grant_type: 'password', scope: 'openid', username: `${slug}-user`,
    password: appPassword.key })
  // The device flow: its authorization, the user's approval on /device, the device's poll.
  const device = await post('/application/o/device/', { scope: 'openid' })
  const entry = agent.formFields(await (await expect(await agent.get(`/device?code=${device.user_code}`, from), 200,
    'GET /device')).text(), '/device')
  const asked = await expect(await agent.post('/device', entry, from), 200, 'the device code')
  await expect(await agent.post('/device', { ...agent.formFields(await asked.text(), '/device'), action: 'allow' },
    from), 200, 'the device approval')
  await post('/application/o/token/', { grant_type: 'urn:ietf:params:oauth:grant-type:device_code',
    device_code: device.device_code! })
  await expect(await t.request('/application/o/userinfo/', { headers: { ...from,
    Authorization: `Bearer ${refreshed.access_token}` } }), 200, 'userinfo')
  await post('/application/o/introspect/', { token: refreshed.access_token! })
  await post('/application/o/introspect/', { token: refreshed.access_token!, token_type_hint: 'access_token' })
  await post('/application/o/revoke/', { token: refreshed.refresh_token! })
}
