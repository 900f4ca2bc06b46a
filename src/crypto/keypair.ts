import {
  certificateKey,
  parseCertificate,
  type AsymmetricJWSAlg,
  type CertificateKey,
  type NamedCurve,
  type X509Certificate,
} from './certificate.ts'
import { base64urlEncode, hex, toPem, utf8 } from './encoding.ts'
import { KeyPairError } from './keypair-error.ts'
import { toPkcs8 } from './private-key.ts'
import { createSelfSigned, type SelfSignedOptions } from './x509-generate.ts'
import { parseX509 } from './x509.ts'

export { KeyPairError } from './keypair-error.ts'
export type { AsymmetricJWSAlg } from './certificate.ts'

/** A certificate-key pair as authentik's CertificateKeyPair exposes it. */
export interface KeyMaterial {
  certificatePem: string
  /** Normalised PKCS#8 PEM, or null for a certificate-only pair. */
  privateKeyPem: string | null
  kid: string
  keyType: 'rsa' | 'ecdsa'
  /** RSA modulus bits, or 256/384/521 for the curve. */
  keySize: number
  jwsAlg: AsymmetricJWSAlg
  /** Lowercase hex, colon-separated (authentik `fingerprint_sha256`). */
  fingerprintSha256: string
  fingerprintSha1: string
  certSubject: string
  certExpiry: Date
  certNotBefore: Date
}

/** Parameters of authentik's "Generate" certificate action. */
export interface GenerateKeyPairOptions {
  commonName: string
  subjectAltNames?: string[]
  validityDays: number
  alg: 'rsa' | 'ecdsa'
  /** RSA: 2048 | 3072 | 4096; ECDSA: 256 | 384 | 521. */
  keySize: number
}

const RSA_SIZES = [2048, 3072, 4096]
const EC_PARAMS: Record<number, { curve: NamedCurve; hash: 'SHA-256' | 'SHA-384' | 'SHA-512' }> = {
  256: { curve: 'P-256', hash: 'SHA-256' },
  384: { curve: 'P-384', hash: 'SHA-384' },
  521: { curve: 'P-521', hash: 'SHA-512' },
}
const DAY_MS = 86_400_000

/** RFC 5280 self-signed certificate + fresh RSA (RFC 8017) or ECDSA (FIPS 186-5) key, valid from `now`. */
export async function generateKeyPair(options: GenerateKeyPairOptions, now: Date): Promise<KeyMaterial> {
  const { commonName, subjectAltNames = [], validityDays, alg, keySize } = options
  if (commonName === '') throw new RangeError('commonName must not be empty')
  if (!Number.isInteger(validityDays) || validityDays < 1) {
    throw new RangeError('validityDays must be a positive integer')
  }
  const ec = EC_PARAMS[keySize]
  let keyParams: RsaHashedKeyGenParams | EcKeyGenParams
  let signingAlgorithm: SelfSignedOptions['signingAlgorithm']
  if (alg === 'rsa' && RSA_SIZES.includes(keySize)) {
    const hash = 'SHA-256'
    keyParams = { name: 'RSASSA-PKCS1-v1_5', modulusLength: keySize, publicExponent: new Uint8Array([1, 0, 1]), hash }
    signingAlgorithm = { name: 'RSASSA-PKCS1-v1_5' }
  } else if (alg === 'ecdsa' && ec) {
    keyParams = { name: 'ECDSA', namedCurve: ec.curve }
    signingAlgorithm = { name: 'ECDSA', hash: ec.hash }
  } else {
    throw new RangeError(`unsupported ${alg} key size ${keySize}`)
  }
  const keys = (await crypto.subtle.generateKey(keyParams, true, ['sign', 'verify'])) as CryptoKeyPair
  const der = await createSelfSigned({
    keys,
    signingAlgorithm,
    commonName,
    subjectAltNames,
    serialNumber: randomSerial(),
    notBefore: now,
    notAfter: new Date(now.getTime() + validityDays * DAY_MS),
  })
  const cert = parseX509(der)
  const pkcs8 = await crypto.subtle.exportKey('pkcs8', keys.privateKey)
  return describe(cert, await certificateKey(cert), toPem(pkcs8, 'PRIVATE KEY'))
}

/**
 * Validates and normalises an uploaded pair (authentik CertificateKeyPairSerializer): the
 * certificate must parse, its key must be supported, and the private key (if any) must match it.
 */
export async function importKeyPair(certificatePem: string, privateKeyPem: string): Promise<KeyMaterial> {
  const cert = parseCertificate(certificatePem)
  const certKey = await certificateKey(cert)
  if (privateKeyPem.trim() === '') return describe(cert, certKey, null)
  const curve = certKey.keyType === 'ecdsa' ? (certKey.importParams as EcKeyImportParams).namedCurve : null
  const pkcs8 = toPkcs8(privateKeyPem, curve as NamedCurve | null)
  const sameCurve = pkcs8.namedCurve === null || pkcs8.namedCurve === curve
  if (pkcs8.keyType !== certKey.keyType || !sameCurve) throw mismatch()
  let privateJwk: JsonWebKey
  try {
    const key = await crypto.subtle.importKey('pkcs8', pkcs8.der, certKey.importParams, true, ['sign'])
    privateJwk = await crypto.subtle.exportKey('jwk', key)
  } catch {
    throw new KeyPairError('key_data', 'Unable to load private key (possibly encrypted?).')
  }
  const members = certKey.keyType === 'rsa' ? (['n', 'e'] as const) : (['crv', 'x', 'y'] as const)
  if (members.some((m) => privateJwk[m] !== certKey.publicJwk[m])) throw mismatch()
  return describe(cert, certKey, toPem(pkcs8.der, 'PRIVATE KEY'))
}

async function describe(
  cert: X509Certificate,
  { keyType, keySize, jwsAlg }: CertificateKey,
  privateKeyPem: string | null,
): Promise<KeyMaterial> {
  const certificatePem = toPem(cert.raw, 'CERTIFICATE')
  // authentik's kid: base64url(SHA-512(PEM text of the private key)), without padding.
  const kid = base64urlEncode(await crypto.subtle.digest('SHA-512', utf8(privateKeyPem ?? certificatePem)))
  return {
    certificatePem,
    privateKeyPem,
    kid,
    keyType,
    keySize,
    jwsAlg,
    fingerprintSha256: hex(await crypto.subtle.digest('SHA-256', cert.raw), ':'),
    fingerprintSha1: hex(await crypto.subtle.digest('SHA-1', cert.raw), ':'),
    certSubject: cert.subject,
    certExpiry: cert.notAfter,
    certNotBefore: cert.notBefore,
  }
}

function mismatch(): KeyPairError {
  return new KeyPairError('key_data', 'Private key does not match the certificate.')
}

// RFC 5280 §4.1.2.2: positive, non-zero, at most 20 octets; 16 random octets with the top bit clear.
function randomSerial(): Uint8Array {
  const bytes = crypto.getRandomValues(new Uint8Array(16))
  bytes[0] = ((bytes[0] as number) & 0x7f) | 0x01
  return bytes
}
