import {
  ECParameters,
  ECPrivateKey,
  id_ecPublicKey,
  id_secp256r1,
  id_secp384r1,
  id_secp521r1,
} from '@peculiar/asn1-ecc'
import { PrivateKey, PrivateKeyInfo } from '@peculiar/asn1-pkcs8'
import { RSAPrivateKey, rsaEncryption } from '@peculiar/asn1-rsa'
import { AsnConvert } from '@peculiar/asn1-schema'
import { AlgorithmIdentifier } from '@peculiar/asn1-x509'
import type { NamedCurve } from './certificate.ts'
import { pemBlocks } from './encoding.ts'
import { KeyPairError } from './keypair-error.ts'

/** A private key normalised to PKCS#8, with the facts needed to match it against a certificate. */
export interface Pkcs8Key {
  der: Uint8Array<ArrayBuffer>
  keyType: 'rsa' | 'ecdsa' | 'other'
  /** Curve named inside the key, when it names one (SEC1 keys may leave it to the certificate). */
  namedCurve: NamedCurve | null
}

const CURVE_OIDS: Record<string, NamedCurve> = {
  [id_secp256r1]: 'P-256',
  [id_secp384r1]: 'P-384',
  [id_secp521r1]: 'P-521',
}

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
      case 'RSA PRIVATE KEY':
        AsnConvert.parse(block.der, RSAPrivateKey)
        return wrap(block.der, rsaEncryption)
      case 'EC PRIVATE KEY': {
        const sec1 = AsnConvert.parse(block.der, ECPrivateKey)
        const oid = sec1.parameters?.namedCurve ?? curveOid(certificateCurve)
        const parameters = AsnConvert.serialize(new ECParameters({ namedCurve: oid }))
        return wrap(block.der, new AlgorithmIdentifier({ algorithm: id_ecPublicKey, parameters }))
      }
    }
  } catch (error) {
    if (error instanceof KeyPairError) throw error
  }
  throw new KeyPairError('key_data', LOAD_ERROR)
}

function describe(der: Uint8Array<ArrayBuffer>): Pkcs8Key {
  const info = AsnConvert.parse(der, PrivateKeyInfo)
  const { algorithm, parameters } = info.privateKeyAlgorithm
  if (algorithm === rsaEncryption.algorithm) return { der, keyType: 'rsa', namedCurve: null }
  if (algorithm !== id_ecPublicKey) return { der, keyType: 'other', namedCurve: null }
  const namedCurve = parameters ? AsnConvert.parse(parameters, ECParameters).namedCurve : undefined
  return { der, keyType: 'ecdsa', namedCurve: (namedCurve && CURVE_OIDS[namedCurve]) || null }
}

function wrap(inner: Uint8Array<ArrayBuffer>, privateKeyAlgorithm: AlgorithmIdentifier): Pkcs8Key {
  const info = new PrivateKeyInfo({ privateKeyAlgorithm, privateKey: new PrivateKey(inner) })
  return describe(new Uint8Array(AsnConvert.serialize(info)))
}

function curveOid(curve: NamedCurve | null): string {
  const oid = Object.keys(CURVE_OIDS).find((key) => CURVE_OIDS[key] === curve)
  if (!oid) throw new KeyPairError('key_data', 'EC private key does not name its curve.')
  return oid
}
