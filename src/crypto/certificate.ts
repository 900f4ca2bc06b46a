import { pemBlocks } from './encoding.ts'
import { KeyPairError } from './keypair-error.ts'
import { parseX509, type X509Certificate } from './x509.ts'

export type { X509Certificate } from './x509.ts'

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

const BRAINPOOL = [160, 192, 224, 256, 320, 384, 512].flatMap((bits, i) => [
  [`1.3.36.3.3.2.8.1.1.${2 * i + 1}`, `brainpoolP${bits}r1`],
  [`1.3.36.3.3.2.8.1.1.${2 * i + 2}`, `brainpoolP${bits}t1`],
])

/** RFC 5480 §2.1.1.1 (and RFC 5639 §4.1 brainpool) curve OIDs, by the names the messages use. */
export const CURVE_NAMES: Readonly<Record<string, string>> = {
  '1.2.840.10045.3.1.7': 'P-256',
  '1.3.132.0.34': 'P-384',
  '1.3.132.0.35': 'P-521',
  '1.3.132.0.10': 'K-256',
  ...Object.fromEntries(BRAINPOOL),
}

/** SPKI algorithm OIDs (RFC 8017 A.1, RFC 5480 §2.1.1, RFC 8410 §3), named as the error messages show them. */
const KEY_ALGORITHMS: Record<string, string> = {
  '1.2.840.113549.1.1.1': 'RSASSA-PKCS1-v1_5',
  '1.2.840.113549.1.1.10': 'RSA-PSS',
  '1.2.840.10045.2.1': 'ECDSA',
  '1.3.101.110': 'X25519',
  '1.3.101.111': 'ECDH-ES X448',
  '1.3.101.112': 'Ed25519',
  '1.3.101.113': 'EdDSA Ed448',
}

export function isNamedCurve(value: unknown): value is NamedCurve {
  return typeof value === 'string' && Object.hasOwn(CURVES, value)
}

/** RFC 5280 §4.1: parse the first certificate of a PEM text (authentik's "Unable to load certificate."). */
export function parseCertificate(pem: string): X509Certificate {
  const block = pemBlocks(pem).find((b) => b.label === 'CERTIFICATE')
  try {
    if (!block) throw new Error('no CERTIFICATE block')
    return parseX509(block.der)
  } catch {
    throw new KeyPairError('certificate_data', 'Unable to load certificate.')
  }
}

/** The certificate key's WebCrypto name and curve, e.g. `{ name: 'ECDSA', namedCurve: 'P-256' }`. */
export function keyAlgorithm(cert: X509Certificate): { name: string; namedCurve?: string } {
  const name = KEY_ALGORITHMS[cert.keyAlgorithm] ?? cert.keyAlgorithm
  if (name !== 'ECDSA') return { name }
  const curve = cert.keyParameter === null ? undefined : (CURVE_NAMES[cert.keyParameter] ?? cert.keyParameter)
  return curve === undefined ? { name } : { name, namedCurve: curve }
}

/** RFC 5280 §4.1.2.7: the certificate's key; only RSA ≥ 2048 bits and P-256/384/521 are supported. */
export async function certificateKey(cert: X509Certificate): Promise<CertificateKey> {
  const algorithm = keyAlgorithm(cert)
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
    key = await crypto.subtle.importKey('spki', cert.spki, importParams, true, ['verify'])
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
