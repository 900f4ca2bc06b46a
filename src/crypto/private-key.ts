import { CURVE_NAMES, isNamedCurve, type NamedCurve } from './certificate.ts'
import * as der from './der.ts'
import { pemBlocks } from './encoding.ts'
import { KeyPairError } from './keypair-error.ts'

/** A private key normalised to PKCS#8, with the facts needed to match it against a certificate. */
export interface Pkcs8Key {
  der: Uint8Array<ArrayBuffer>
  keyType: 'rsa' | 'ecdsa' | 'other'
  /** Curve named inside the key, when it names one (SEC1 keys may leave it to the certificate). */
  namedCurve: NamedCurve | null
}

const RSA_ENCRYPTION = '1.2.840.113549.1.1.1'
const EC_PUBLIC_KEY = '1.2.840.10045.2.1'
const LOAD_ERROR = 'Unable to load private key (possibly encrypted?).'

/**
 * RFC 5958 §2 PKCS#8 from PEM; also wraps RFC 8017 A.1.2 `RSA PRIVATE KEY` and RFC 5915 §3
 * `EC PRIVATE KEY` (needs the certificate's curve when the key does not name one).
 */
export function toPkcs8(pem: string, certificateCurve: NamedCurve | null): Pkcs8Key {
  const block = pemBlocks(pem).find((b) => b.label.endsWith('PRIVATE KEY'))
  if (!block || block.label === 'ENCRYPTED PRIVATE KEY') throw new KeyPairError('key_data', LOAD_ERROR)
  try {
    switch (block.label) {
      case 'PRIVATE KEY':
        return describe(block.der)
      case 'RSA PRIVATE KEY': {
        // RSAPrivateKey ::= SEQUENCE { version, n, e, d, p, q, dP, dQ, qInv (INTEGERs), otherPrimeInfos OPTIONAL }
        const fields = der.children(der.decode(block.der))
        for (let i = 0; i < 9; i++) der.expectTag(fields[i], der.TAG.INTEGER, 'RSAPrivateKey INTEGER')
        return wrap(block.der, der.sequence(der.oid(RSA_ENCRYPTION), der.nullValue()))
      }
      case 'EC PRIVATE KEY': {
        // ECPrivateKey ::= SEQUENCE { version, privateKey OCTET STRING, [0] ECParameters OPTIONAL, [1] publicKey OPTIONAL }
        const [version, privateKey, ...optional] = der.children(der.decode(block.der))
        der.expectTag(version, der.TAG.INTEGER, 'version')
        der.expectTag(privateKey, der.TAG.OCTET_STRING, 'privateKey')
        const parameters = optional.find((field) => field.tag === der.context(0))
        const [named] = parameters ? der.children(parameters, der.context(0)) : []
        const curve = named?.tag === der.TAG.OID ? der.oidText(named) : curveOid(certificateCurve)
        return wrap(block.der, der.sequence(der.oid(EC_PUBLIC_KEY), der.oid(curve)))
      }
    }
  } catch (error) {
    if (error instanceof KeyPairError) throw error
  }
  throw new KeyPairError('key_data', LOAD_ERROR)
}

function describe(bytes: Uint8Array<ArrayBuffer>): Pkcs8Key {
  // PrivateKeyInfo ::= SEQUENCE { version INTEGER, privateKeyAlgorithm AlgorithmIdentifier, privateKey OCTET STRING, ... }
  const [version, algorithm, privateKey] = der.children(der.decode(bytes))
  der.expectTag(version, der.TAG.INTEGER, 'version')
  der.expectTag(privateKey, der.TAG.OCTET_STRING, 'privateKey')
  const [oid, parameters] = der.children(algorithm)
  const algorithmOid = der.oidText(oid)
  if (algorithmOid === RSA_ENCRYPTION) return { der: bytes, keyType: 'rsa', namedCurve: null }
  if (algorithmOid !== EC_PUBLIC_KEY) return { der: bytes, keyType: 'other', namedCurve: null }
  const curve = parameters?.tag === der.TAG.OID ? CURVE_NAMES[der.oidText(parameters)] : undefined
  return { der: bytes, keyType: 'ecdsa', namedCurve: isNamedCurve(curve) ? curve : null }
}

/** RFC 5958 §2 version 0 PrivateKeyInfo around a PKCS#1 or SEC1 key. */
function wrap(inner: Uint8Array<ArrayBuffer>, privateKeyAlgorithm: Uint8Array): Pkcs8Key {
  return describe(der.sequence(der.integer(new Uint8Array([0])), privateKeyAlgorithm, der.octetString(inner)))
}

function curveOid(curve: NamedCurve | null): string {
  const oid = Object.keys(CURVE_NAMES).find((key) => curve !== null && CURVE_NAMES[key] === curve)
  if (!oid) throw new KeyPairError('key_data', 'EC private key does not name its curve.')
  return oid
}
