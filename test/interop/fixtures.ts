import type { JWTPayload } from 'jose'
import { KeyCache } from '../../src/crypto/key-cache.ts'
import { deriveSecrets } from '../../src/crypto/secret-box.ts'
import { loadProviderBySlug } from '../../src/db/providers.ts'
import { encode } from '../../src/tokens/encode.ts'
import { signingContext } from '../../src/tokens/signing-context.ts'
import { SECRET_KEY, type TestContext } from '../support/app.ts'
import { createProviderApp, generateKeyPair, type GeneratedKeyPair, type KeySpec } from '../support/fixtures.ts'
import { privateKeyPem } from '../e2e/fixtures.ts'

/** One token for verify.py to check, with everything a relying party would know. */
export interface InteropCase {
  name: string
  token: string
  /** The provider's JWKS exactly as `/application/o/<slug>/jwks/` served it. */
  jwks: Record<string, unknown>
  expected: { alg: string; kid: string | null; typ: string }
  payload: JWTPayload
  /** HS256 only: the client secret from the provider API's answer. */
  client_secret?: string
  /** JWE only: the encryption key pair's private key and the JWE header the token must carry. */
  encryption?: { private_key_pem: string; header: Record<string, string> }
}

interface ProviderSpec { name: string; alg: string; signing: KeySpec | null; encryption?: KeySpec; typ?: string }

const ORIGIN = 'http://localhost'

/** The providers of DESIGN.md "Tests": every signing algorithm, HS256 without a key, and a nested JWE. */
export const PROVIDERS: ProviderSpec[] = [
  { name: 'rs256-2048', alg: 'RS256', signing: { alg: 'rsa', key_size: 2048 } },
  { name: 'rs256-4096', alg: 'RS256', signing: { alg: 'rsa', key_size: 4096 } },
  { name: 'es256', alg: 'ES256', signing: { alg: 'ecdsa', key_size: 256 } },
  { name: 'es384', alg: 'ES384', signing: { alg: 'ecdsa', key_size: 384 }, typ: 'logout+jwt' },
  { name: 'es512', alg: 'ES512', signing: { alg: 'ecdsa', key_size: 521 } },
  { name: 'hs256', alg: 'HS256', signing: null },
  { name: 'rs256-jwe', alg: 'RS256', signing: { alg: 'rsa', key_size: 2048 }, encryption: { alg: 'rsa', key_size: 2048 } },
]

/** A key pair the provider generates, with its private key as the provider opens it. */
async function keyPair(t: TestContext, name: string, spec: KeySpec): Promise<GeneratedKeyPair & { privateKeyPem: string }> {
  const key = await generateKeyPair(t, `interop-${name}`, { validity_days: 30, ...spec })
  return { ...key, privateKeyPem: await privateKeyPem(t, key.pk) }
}

/** Claims like an ID token's, with non-ASCII text so that UTF-8 handling is compared too. */
function payloadFor(t: TestContext, slug: string, clientId: string): JWTPayload {
  const iat = Math.floor(t.clock.now().getTime() / 1000)
  return {
    iss: `${ORIGIN}/application/o/${slug}/`, sub: 'b8f2c0e6d1a94f7e', aud: clientId, iat, exp: iat + 600,
    auth_time: iat - 5, nonce: 'n-0S6_WzA2Mj', name: 'Zoë Ångström 日本語', email: 'zoe@example.com',
    groups: ['admins', 'ünïcode'], amr: ['pwd'],
  }
}

/** Creates each provider through the admin API and signs (and encrypts) one token with its stored keys. */
export async function buildCases(t: TestContext): Promise<InteropCase[]> {
  const keys = new KeyCache()
  const cases: InteropCase[] = []
  for (const spec of PROVIDERS) {
    const signing = spec.signing && await keyPair(t, `${spec.name}-sig`, spec.signing)
    const encryption = spec.encryption && await keyPair(t, `${spec.name}-enc`, spec.encryption)
    const slug = `interop-${spec.name}`
    const provider = await createProviderApp(t, slug, {
      ...(signing && { signing_key: signing.pk }), ...(encryption && { encryption_key: encryption.pk }),
    })
    const res = await t.request(`/application/o/${slug}/jwks/`)
    if (res.status !== 200) throw new Error(`JWKS of ${slug}: ${res.status} ${await res.text()}`)
    const jwks = (await res.json()) as Record<string, unknown>

    // The provider's own signing context, as the token endpoint builds it from the stored (sealed) keys.
    const bundle = await loadProviderBySlug(t.db, slug)
    if (!bundle) throw new Error(`no provider behind ${slug}`)
    const ctx = await signingContext(bundle, await deriveSecrets(SECRET_KEY))
    const payload = payloadFor(t, slug, provider.client_id)
    const typ = spec.typ ?? 'JWT'
    cases.push({
      name: spec.name,
      token: await encode(ctx, payload, { keys, typ }),
      jwks,
      expected: { alg: spec.alg, kid: signing?.kid ?? null, typ },
      payload,
      ...(!signing && { client_secret: provider.client_secret }),
      ...(encryption && {
        encryption: {
          private_key_pem: encryption.privateKeyPem,
          header: { alg: 'RSA-OAEP-256', enc: 'A256CBC-HS512', typ: 'JWE', kid: encryption.kid },
        },
      }),
    })
  }
  return cases
}
