import { CompactEncrypt, SignJWT, type JWTHeaderParameters, type JWTPayload } from 'jose'
import type { AsymmetricJWSAlg } from '../crypto/certificate.ts'
import { utf8 } from '../crypto/encoding.ts'
import type { KeyCache } from '../crypto/key-cache.ts'

/** A secret as is, or opened on first use (a sealed value is decrypted only when a key must be imported). */
export type Secret = string | (() => Promise<string>)

/** The secret's value. */
export const reveal = (secret: Secret): Promise<string> | string => typeof secret === 'string' ? secret : secret()

/** The keys a provider signs (and optionally encrypts) its tokens with. */
export interface SigningContext {
  clientSecret: Secret
  signingKey: { kid: string; jwsAlg: AsymmetricJWSAlg; privateKeyPem: Secret } | null
  encryptionKey: { kid: string; certificatePem: string } | null
}

/** RFC 7518 §3.1 `alg` values a provider's tokens can carry. */
export type TokenSigningAlg = 'HS256' | AsymmetricJWSAlg

/** Options of {@link encode}: the JOSE `typ` and the per-isolate key cache. */
export interface EncodeOptions {
  /** JOSE `typ` header (RFC 7515 §4.1.9); "JWT" unless e.g. "logout+jwt". */
  typ?: string
  keys: KeyCache
  /**
   * RFC 7519 §5.3: the `jti` replicated in a JWE's protected header, so that an encrypted access token is found
   * by it without being decrypted (src/oauth/presented-jti.ts).
   */
  jti?: string
}

/** authentik §3.3: the provider's key algorithm, or HS256 with the client secret when it has none. */
export function signingAlg(ctx: SigningContext): TokenSigningAlg {
  return ctx.signingKey?.jwsAlg ?? 'HS256'
}

/**
 * authentik `OAuth2Provider.encode` (§3.3): RFC 7519 JWT signed per {@link signingAlg}, then, with
 * an encryption key, nested in an RFC 7516 compact JWE (RSA-OAEP-256 / A256CBC-HS512).
 */
export async function encode(ctx: SigningContext, payload: JWTPayload, options: EncodeOptions): Promise<string> {
  const { keys, typ = 'JWT' } = options
  const alg = signingAlg(ctx)
  const header: JWTHeaderParameters = { alg, typ }
  let key: CryptoKey
  if (ctx.signingKey) {
    header.kid = ctx.signingKey.kid
    key = await keys.getSigningKey(ctx.signingKey.kid, ctx.signingKey.privateKeyPem, ctx.signingKey.jwsAlg)
  } else {
    key = await keys.getHmacKey(await reveal(ctx.clientSecret))
  }
  const jws = await new SignJWT(payload).setProtectedHeader(header).sign(key)
  if (!ctx.encryptionKey) return jws
  const { kid, certificatePem } = ctx.encryptionKey
  const encryptionKey = await keys.getEncryptionKey(kid, certificatePem)
  return new CompactEncrypt(utf8(jws))
    .setProtectedHeader({ alg: 'RSA-OAEP-256', enc: 'A256CBC-HS512', typ: 'JWE', kid,
      ...(options.jti !== undefined && { jti: options.jti }) })
    .encrypt(encryptionKey)
}
