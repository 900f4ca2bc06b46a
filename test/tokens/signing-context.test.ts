import { compactDecrypt, decodeProtectedHeader, importPKCS8, importX509, jwtVerify } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { deriveSecrets } from '../../src/crypto/secret-box.ts'
import { loadKeyPairMaterial } from '../../src/db/key-store.ts'
import { loadProviderBySlug } from '../../src/db/providers.ts'
import { encode, reveal } from '../../src/tokens/encode.ts'
import { signingContext } from '../../src/tokens/signing-context.ts'
import { createTestContext, SECRET_KEY, type TestContext } from '../support/app.ts'
import { createProviderApp, generateKeyPair } from '../support/fixtures.ts'

let t: TestContext
const keys: Record<string, string> = {}
const payload = { iss: 'http://localhost/application/o/x/', sub: 'alice', aud: 'client', iat: 1780315200 }

const provider = (slug: string, fields: Record<string, unknown>) =>
  createProviderApp(t, slug, { authorization_flow: 'default-provider-authorization-explicit-consent', ...fields })

beforeAll(async () => {
  t = await createTestContext()
  for (const [name, alg, key_size] of [['rsa', 'rsa', 2048], ['ec', 'ecdsa', 384]] as const) {
    keys[name] = (await generateKeyPair(t, name, { alg, key_size })).pk
  }
}, 60_000)
afterAll(() => t.close())

describe('a stored provider\'s signing context', () => {
  it('signs HS256 with the unsealed client secret', async () => {
    const { client_secret } = await provider('hs', {})
    const bundle = await loadProviderBySlug(t.db, 'hs')
    const ctx = await signingContext(bundle!, await deriveSecrets(SECRET_KEY))
    expect(ctx).toMatchObject({ signingKey: null, encryptionKey: null })
    expect(await reveal(ctx.clientSecret)).toBe(client_secret)
    const token = await encode(ctx, payload, { keys: t.deps.keys })
    const { protectedHeader } = await jwtVerify(token, new TextEncoder().encode(client_secret),
      { currentDate: t.clock.now() })
    expect(protectedHeader).toEqual({ alg: 'HS256', typ: 'JWT' })
  })

  it('signs ES384 with the stored key and encrypts to the RSA encryption key', async () => {
    await provider('es', { signing_key: keys.ec, encryption_key: keys.rsa })
    const bundle = await loadProviderBySlug(t.db, 'es')
    const ctx = await signingContext(bundle!, await deriveSecrets(SECRET_KEY))
    expect(ctx.signingKey).toMatchObject({ jwsAlg: 'ES384', kid: bundle!.signingKey!.kid })
    const jwe = await encode(ctx, payload, { keys: t.deps.keys })
    expect(decodeProtectedHeader(jwe)).toEqual({
      alg: 'RSA-OAEP-256', enc: 'A256CBC-HS512', typ: 'JWE', kid: bundle!.encryptionKey!.kid,
    })
    const secrets = await deriveSecrets(SECRET_KEY)
    const enc = await loadKeyPairMaterial(t.db, secrets, keys.rsa!)
    const { plaintext } = await compactDecrypt(jwe, await importPKCS8(enc!.privateKeyPem!, 'RSA-OAEP-256'))
    const verified = await jwtVerify(new TextDecoder().decode(plaintext),
      await importX509(bundle!.signingKey!.certificateData, 'ES384'), { currentDate: t.clock.now() })
    expect(verified.payload).toEqual(payload)
  })
})
