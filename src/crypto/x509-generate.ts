/**
 * RFC 5280 self-signed certificates for WebCrypto keys, written with der.ts: version 3, `CN=<name>` as subject and
 * issuer, basicConstraints (critical, not a CA), keyUsage (critical), subjectKeyIdentifier and, when given,
 * subjectAltName dNSNames. Signed with sha256WithRSAEncryption (RFC 4055 §5) or ecdsa-with-SHA* (RFC 5758 §3.2).
 */
import * as der from './der.ts'

type Bytes = Uint8Array<ArrayBuffer>

export interface SelfSignedOptions {
  keys: CryptoKeyPair
  /** ECDSA's hash follows the curve (RFC 5480 §4); RSA always signs with SHA-256. */
  signingAlgorithm: { name: 'RSASSA-PKCS1-v1_5' } | { name: 'ECDSA'; hash: 'SHA-256' | 'SHA-384' | 'SHA-512' }
  commonName: string
  subjectAltNames: string[]
  /** RFC 5280 §4.1.2.2: positive, at most 20 octets (big-endian magnitude). */
  serialNumber: Uint8Array
  notBefore: Date
  notAfter: Date
}

const OID = {
  commonName: '2.5.4.3',
  sha256WithRSAEncryption: '1.2.840.113549.1.1.11',
  'ecdsa-with-SHA-256': '1.2.840.10045.4.3.2',
  'ecdsa-with-SHA-384': '1.2.840.10045.4.3.3',
  'ecdsa-with-SHA-512': '1.2.840.10045.4.3.4',
  subjectKeyIdentifier: '2.5.29.14',
  keyUsage: '2.5.29.15',
  subjectAltName: '2.5.29.17',
  basicConstraints: '2.5.29.19',
} as const

// RFC 5280 §4.2.1.3 KeyUsage bits, numbered from the most significant bit of the first octet.
const DIGITAL_SIGNATURE = 0
const KEY_ENCIPHERMENT = 2

/** X.520 PrintableString characters; anything else is written as UTF8String (RFC 5280 §4.1.2.6). */
const PRINTABLE = /^[A-Za-z0-9 '()+,\-./:=?]*$/

function name(commonName: string): Bytes {
  const tag = PRINTABLE.test(commonName) ? der.TAG.PRINTABLE_STRING : der.TAG.UTF8_STRING
  return der.sequence(der.set(der.sequence(der.oid(OID.commonName), der.text(tag, commonName))))
}

function extension(oid: string, critical: boolean, value: Uint8Array): Bytes {
  return der.sequence(der.oid(oid), ...(critical ? [der.boolean(true)] : []), der.octetString(value))
}

/** X.690 §11.2.2: a named BIT STRING without trailing zero bits. */
function namedBits(bits: number[]): Bytes {
  const last = Math.max(...bits)
  const octets = new Uint8Array((last >> 3) + 1)
  for (const bit of bits) octets[bit >> 3] = (octets[bit >> 3] as number) | (0x80 >> (bit & 7))
  return der.bitString(octets, 7 - (last & 7))
}

/** RFC 3279 §2.2.3: WebCrypto's fixed-size r||s as Ecdsa-Sig-Value ::= SEQUENCE { r INTEGER, s INTEGER }. */
export function ecdsaSignatureToDer(signature: Uint8Array): Bytes {
  const half = signature.length / 2
  return der.sequence(der.integer(signature.subarray(0, half)), der.integer(signature.subarray(half)))
}

/** A self-signed certificate, DER. */
export async function createSelfSigned(options: SelfSignedOptions): Promise<Bytes> {
  const { keys, signingAlgorithm, commonName, subjectAltNames } = options
  const ecdsa = signingAlgorithm.name === 'ECDSA'
  const spki = new Uint8Array(await crypto.subtle.exportKey('spki', keys.publicKey))
  // RFC 5280 §4.2.1.2 method (1): SHA-1 of the subjectPublicKey BIT STRING's value.
  const publicKey = der.bitStringOctets(der.children(der.decode(spki))[1])
  const keyId = new Uint8Array(await crypto.subtle.digest('SHA-1', publicKey))
  const extensions = [
    extension(OID.basicConstraints, true, der.sequence()),
    extension(OID.keyUsage, true, namedBits(ecdsa ? [DIGITAL_SIGNATURE] : [DIGITAL_SIGNATURE, KEY_ENCIPHERMENT])),
    extension(OID.subjectKeyIdentifier, false, der.octetString(keyId)),
  ]
  if (subjectAltNames.length > 0) {
    const dnsNames = subjectAltNames.map((dns) => der.text(der.context(2, false), dns))
    extensions.push(extension(OID.subjectAltName, false, der.sequence(...dnsNames)))
  }
  const algorithm = ecdsa
    ? der.sequence(der.oid(OID[`ecdsa-with-${signingAlgorithm.hash}`]))
    : der.sequence(der.oid(OID.sha256WithRSAEncryption), der.nullValue())
  const subject = name(commonName)
  const tbs = der.sequence(
    der.encode(der.context(0), der.integer(new Uint8Array([2]))), // v3
    der.integer(options.serialNumber),
    algorithm,
    subject,
    der.sequence(der.time(options.notBefore), der.time(options.notAfter)),
    subject,
    spki,
    der.encode(der.context(3), der.sequence(...extensions)),
  )
  const webAlgorithm = ecdsa ? signingAlgorithm : { name: 'RSASSA-PKCS1-v1_5' }
  const signature = new Uint8Array(await crypto.subtle.sign(webAlgorithm, keys.privateKey, tbs))
  return der.sequence(tbs, algorithm, der.bitString(ecdsa ? ecdsaSignatureToDer(signature) : signature))
}
