import { generateKeyPairSync, sign, verify } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import * as der from '../../src/crypto/der.ts'
import { hex } from '../../src/crypto/encoding.ts'
import { ecdsaSignatureToDer } from '../../src/crypto/x509-generate.ts'
import { nameText } from '../../src/crypto/x509-name.ts'
import { openssl } from './openssl.ts'

const bytes = (h: string): Uint8Array<ArrayBuffer> => Uint8Array.from(h.match(/../g) ?? [], (b) => parseInt(b, 16))

describe('DER writer', () => {
  it('encodes OBJECT IDENTIFIERs as openssl does, and reads them back', () => {
    const cases = [
      ['1.2.840.113549.1.1.11', 'sha256WithRSAEncryption'], ['2.5.29.17', 'X509v3 Subject Alternative Name'],
      ['1.3.6.1.4.1.311.60.2.1.3', 'jurisdictionCountryName'], ['2.999.1', '2.999.1'], ['0.9.2342.19200300.100.1.25', 'domainComponent'],
    ]
    for (const [oid = '', name] of cases) {
      const encoded = der.oid(oid)
      const parsed = openssl(['asn1parse', '-inform', 'DER', '-in', 'oid.der'], { 'oid.der': encoded }).stdout
      expect(parsed).toMatch(new RegExp(`OBJECT\\s+:${name}\\s*$`))
      expect(der.oidText(der.decode(encoded))).toBe(oid)
    }
    expect(hex(der.oid('1.2.840.113549.1.1.11'))).toBe('06092a864886f70d01010b')
    expect(hex(der.oid('2.999.1'))).toBe('0603883701')
  })

  it('writes minimal non-negative INTEGERs', () => {
    expect(hex(der.integer(bytes('00007f')))).toBe('02017f')
    expect(hex(der.integer(bytes('80')))).toBe('02020080')
    expect(hex(der.integer(bytes('0000')))).toBe('020100')
    expect(hex(der.integer(new Uint8Array()))).toBe('020100')
    expect(hex(der.unsignedInteger(der.decode(bytes('02020080'))))).toBe('80')
    expect(() => der.unsignedInteger(der.decode(bytes('0201ff')))).toThrow(der.DerError)
  })

  it('writes short and long definite lengths, and reads them back', () => {
    for (const size of [0, 127, 128, 255, 256, 70_000]) {
      const encoded = der.octetString(new Uint8Array(size).fill(7))
      const element = der.decode(encoded)
      expect(element.tag).toBe(der.TAG.OCTET_STRING)
      expect(element.contents.length).toBe(size)
    }
    expect(hex(der.octetString(new Uint8Array(128))).slice(0, 6)).toBe('048180')
    expect(hex(der.octetString(new Uint8Array(256))).slice(0, 8)).toBe('04820100')
  })

  it('writes UTCTime through 2049 and GeneralizedTime from 2050 and before 1950, in whole seconds', () => {
    const t = (iso: string) => String.fromCharCode(...der.time(new Date(iso)))
    expect(t('2049-12-31T23:59:59.999Z')).toBe('\x17\x0d491231235959Z')
    expect(t('2050-01-01T00:00:00Z')).toBe('\x18\x0f20500101000000Z')
    expect(t('1949-12-31T23:59:59Z')).toBe('\x18\x0f19491231235959Z')
    expect(t('1950-01-01T00:00:00Z')).toBe('\x17\x0d500101000000Z')
  })

  it('converts WebCrypto r||s ECDSA signatures to the DER that OpenSSL verifies', () => {
    const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
    const data = Buffer.from('tbs')
    for (let i = 0; i < 64; i++) {
      const raw = sign('sha256', data, { key: privateKey, dsaEncoding: 'ieee-p1363' })
      expect(verify('sha256', data, { key: publicKey, dsaEncoding: 'der' }, ecdsaSignatureToDer(raw))).toBe(true)
    }
    const r = `0000${'7f'.repeat(30)}`
    const s = 'ff'.repeat(32)
    expect(hex(ecdsaSignatureToDer(bytes(r + s)))).toBe(`3043021e${'7f'.repeat(30)}022100${'ff'.repeat(32)}`)
  })
})

describe('DER reader', () => {
  it('rejects indefinite lengths, truncation, trailing bytes and multi-octet tags', () => {
    for (const input of ['3080020100 0000', '3004020100', '300302010000', '0201', '1f2001ff', '3085ffffffffff', '']) {
      expect(() => der.decode(bytes(input.replace(/ /g, '')))).toThrow(der.DerError)
    }
  })

  it('returns views of its input for SEQUENCE children', () => {
    const input = bytes('3006020101040100')
    const [a, b] = der.children(der.decode(input))
    expect(a?.raw.buffer).toBe(input.buffer)
    expect(hex(a?.raw ?? new Uint8Array())).toBe('020101')
    expect(b?.tag).toBe(der.TAG.OCTET_STRING)
    expect(() => der.children(der.decode(input), der.TAG.SET)).toThrow(der.DerError)
  })

  it('reads UTCTime (YY < 50 is 20YY) and GeneralizedTime with fractions; rejects impossible and local times', () => {
    const read = (tag: number, text: string) => der.timeOf(der.decode(der.text(tag, text)))
    expect(read(der.TAG.UTC_TIME, '491231235959Z').toISOString()).toBe('2049-12-31T23:59:59.000Z')
    expect(read(der.TAG.UTC_TIME, '500101000000Z').toISOString()).toBe('1950-01-01T00:00:00.000Z')
    expect(read(der.TAG.GENERALIZED_TIME, '21260508120000.5Z').toISOString()).toBe('2126-05-08T12:00:00.500Z')
    expect(read(der.TAG.GENERALIZED_TIME, '00500101000000Z').getUTCFullYear()).toBe(50)
    for (const [tag, text] of [[der.TAG.GENERALIZED_TIME, '20260230000000Z'], [der.TAG.UTC_TIME, '260601120000+0100'],
      [der.TAG.UTC_TIME, '20260601120000Z'], [der.TAG.UTC_TIME, '260601120000.5Z']] as const) {
      expect(() => read(tag, text)).toThrow(der.DerError)
    }
  })
})

describe('nameText', () => {
  const attribute = (oid: string, value: Uint8Array) => der.set(der.sequence(der.oid(oid), value))

  it('renders BMPString, UniversalString and TeletexString values, and other values as #hex of their DER', () => {
    const name = der.sequence(
      attribute('2.5.4.3', der.encode(der.TAG.BMP_STRING, bytes('00e4006200630020d83dde00'))),
      attribute('2.5.4.10', der.encode(der.TAG.UNIVERSAL_STRING, bytes('000000e40001f600'))),
      attribute('2.5.4.11', der.encode(der.TAG.TELETEX_STRING, bytes('e9'))),
      attribute('1.2.3.4', der.integer(bytes('05'))),
    )
    expect(nameText(der.decode(name))).toBe('CN=äbc 😀, O=ä😀, OU=é, 1.2.3.4=#020105')
  })
})
