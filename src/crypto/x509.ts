/**
 * RFC 5280 §4.1 certificates, read with the small DER reader in der.ts: what a key pair needs to know about
 * its certificate (subject, validity, public key) and the DER itself, from which thumbprints are computed.
 */
import { bitStringOctets, children, context, decode, expectTag, oidText, TAG, timeOf, type Der } from './der.ts'
import { hex } from './encoding.ts'
import { nameText } from './x509-name.ts'

type Bytes = Uint8Array<ArrayBuffer>

/** A parsed certificate; every byte array is a view of `raw`. */
export interface X509Certificate {
  /** The whole certificate, DER. */
  raw: Bytes
  /** RFC 5280 §4.1.2.2, lowercase hex of the INTEGER's contents. */
  serialNumber: string
  /** RFC 5280 §4.1.2.4/§4.1.2.6 as text (x509-name.ts). */
  issuer: string
  subject: string
  notBefore: Date
  notAfter: Date
  /** RFC 5280 §4.1.2.7 SubjectPublicKeyInfo, DER (WebCrypto's `spki` format). */
  spki: Bytes
  /** The SPKI's algorithm OID and, when it names one, its parameter OID (an EC curve). */
  keyAlgorithm: string
  keyParameter: string | null
  /** RFC 5280 §4.1.1.2 signatureAlgorithm OID. */
  signatureAlgorithm: string
}

/** RFC 5280 §4.1: parses a DER certificate; throws DerError (or another Error) when it is malformed. */
export function parseX509(der: Bytes): X509Certificate {
  const root = decode(der)
  const [tbs, signatureAlgorithm, signature] = children(root)
  bitStringOctets(signature)
  const fields = children(tbs)
  // The version is [0] EXPLICIT and DEFAULT v1, so absent from v1 certificates.
  if (fields[0]?.tag === context(0)) children(fields.shift(), context(0))
  const [serial, signatureInTbs, issuer, validity, subject, spki] = fields
  const [notBefore, notAfter] = children(validity)
  const [algorithm, publicKey] = children(spki)
  const [keyAlgorithm, keyParameter] = children(algorithm)
  bitStringOctets(publicKey)
  const outerAlgorithm = oidText(children(signatureAlgorithm)[0])
  if (oidText(children(signatureInTbs)[0]) !== outerAlgorithm) throw new TypeError('signature algorithms differ')
  return {
    raw: root.raw,
    serialNumber: hex(expectTag(serial, TAG.INTEGER, 'serialNumber').contents),
    issuer: nameText(issuer),
    subject: nameText(subject),
    notBefore: timeOf(notBefore),
    notAfter: timeOf(notAfter),
    spki: (spki as Der).raw,
    keyAlgorithm: oidText(keyAlgorithm),
    keyParameter: keyParameter?.tag === TAG.OID ? oidText(keyParameter) : null,
    signatureAlgorithm: outerAlgorithm,
  }
}
