import { pemBlocks } from './encoding.ts'
import { KeyPairError } from './keypair-error.ts'
import { x509 } from './x509.ts'

/** Asymmetric JWS algorithms a key pair can sign with (RFC 7518 §3.3, §3.4). */
export type AsymmetricJWSAlg = 'RS256' | 'ES256' | 'ES384' | 'ES512'
/** NIST curves supported for ECDSA keys (RFC 7518 §6.2.1.1). */
export type NamedCurve = 'P-256' | 'P-384' | 'P-521'

/** What the certificate's public key is, and how WebCrypto imports its private half. */
export interface CertificateKey {
  keyType: 'rsa' | 'ecdsa'
  keySize: number
  jwsAlg: AsymmetricJWSAlg
  importParams: RsaHashedImportParams | EcKeyImportParams
  publicJwk: JsonWebKey
}

const CURVES: Record<NamedCurve, { keySize: number; jwsAlg: AsymmetricJWSAlg }> = {
  'P-256': { keySize: 256, jwsAlg: 'ES256' },
  'P-384': { keySize: 384, jwsAlg: 'ES384' },
  'P-521': { keySize: 521, jwsAlg: 'ES512' },
}

function isNamedCurve(value: unknown): value is NamedCurve {
  return typeof value === 'string' && Object.hasOwn(CURVES, value)
}

/** RFC 5280 §4.1: parse the first certificate of a PEM text (authentik's "Unable to load certificate."). */
export function parseCertificate(pem: string): x509.X509Certificate {
  const block = pemBlocks(pem).find((b) => b.label === 'CERTIFICATE')
  try {
    if (!block) throw new Error('no CERTIFICATE block')
    return new x509.X509Certificate(block.der)
  } catch {
    throw new KeyPairError('certificate_data', 'Unable to load certificate.')
  }
}

/** RFC 5280 §4.1.2.7: the certificate's key; only RSA ≥ 2048 bits and P-256/384/521 are supported. */
export async function certificateKey(cert: x509.X509Certificate): Promise<CertificateKey> {
  const algorithm = cert.publicKey.algorithm as Partial<EcKeyAlgorithm> & Algorithm
  let importParams: RsaHashedImportParams | EcKeyImportParams
  if (algorithm.name === 'RSASSA-PKCS1-v1_5') {
    importParams = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }
  } else if (algorithm.name === 'ECDSA' && isNamedCurve(algorithm.namedCurve)) {
    importParams = { name: 'ECDSA', namedCurve: algorithm.namedCurve }
  } else {
    const detail = algorithm.namedCurve ? `${algorithm.name} ${algorithm.namedCurve}` : algorithm.name
    throw unsupported(`${detail}; use RSA (2048 bits or more) or ECDSA P-256/P-384/P-521`)
  }
  let key: CryptoKey
  try {
    key = await cert.publicKey.export(importParams, ['verify'])
  } catch {
    throw unsupported('the public key cannot be imported')
  }
  const publicJwk = await crypto.subtle.exportKey('jwk', key)
  if (importParams.name === 'ECDSA') {
    const curve = (importParams as EcKeyImportParams).namedCurve as NamedCurve
    return { keyType: 'ecdsa', ...CURVES[curve], importParams, publicJwk }
  }
  const keySize = (key.algorithm as RsaHashedKeyAlgorithm).modulusLength
  if (keySize < 2048) throw unsupported(`RSA keys must be at least 2048 bits, got ${keySize}`)
  return { keyType: 'rsa', keySize, jwsAlg: 'RS256', importParams, publicJwk }
}

function unsupported(detail: string): KeyPairError {
  return new KeyPairError('certificate_data', `Unsupported key type: ${detail}.`)
}
