import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ADMIN_TOKEN, createTestContext, SECRET_KEY, type TestContext } from '../support/app.ts'

let t: TestContext
beforeAll(async () => {
  t = await createTestContext()
})
afterAll(() => t.close())

describe('logs', () => {
  it('hold one JSON-safe object per request and never a secret the admin API handled', async () => {
    const key = await t.admin('POST', '/crypto/certificatekeypairs/generate/', { common_name: 'k' })
    expect(key.status).toBe(200)
    const provider = await t.admin('POST', '/providers/oauth2/', { name: 'p', authorization_flow: 'default-provider-authorization-explicit-consent' })
    const { client_secret } = (await provider.json()) as { client_secret: string }
    const user = await t.admin('POST', '/core/users/', { username: 'alice' })
    const { pk } = (await user.json()) as { pk: number }
    const password = 'correct horse battery staple'
    expect((await t.admin('POST', `/core/users/${pk}/set_password/`, { password })).status).toBe(204)
    const token = await t.admin('POST', '/core/tokens/', { identifier: 'app-pw', user: pk, intent: 'app_password' })
    const { key: appPassword } = (await token.json()) as { key: string }

    const text = t.log.lines.map((l) => JSON.stringify(l)).join('\n')
    expect(t.log.lines.filter((l) => l.msg === 'request')).toHaveLength(5)
    for (const secret of [client_secret, password, appPassword, ADMIN_TOKEN, SECRET_KEY, 'PRIVATE KEY']) {
      expect(text).not.toContain(secret)
    }
  })
})
