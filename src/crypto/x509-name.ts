/**
 * RFC 5280 §4.1.2.4 Name as text, the way authentik-compatible clients have always seen `cert_subject` here:
 * RDNs in certificate order joined by ", ", multi-valued RDNs by "+", short names for the usual attribute types,
 * RFC 4514 §2.4 escaping, and `#hex` for values that are not strings.
 */
import { children, DerError, oidText, TAG, type Der } from './der.ts'
import { hex, utf8 } from './encoding.ts'

const SHORT_NAMES: Record<string, string> = {
  '2.5.4.3': 'CN', '2.5.4.7': 'L', '2.5.4.8': 'ST', '2.5.4.10': 'O', '2.5.4.11': 'OU', '2.5.4.6': 'C',
  '0.9.2342.19200300.100.1.25': 'DC', '1.2.840.113549.1.9.1': 'E', '2.5.4.42': 'G', '2.5.4.43': 'I',
  '2.5.4.4': 'SN', '2.5.4.12': 'T',
}

const view = (bytes: Uint8Array): DataView => new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
const latin1 = (bytes: Uint8Array): string => Array.from(bytes, (b) => String.fromCharCode(b)).join('')

/** X.520 DirectoryString and IA5String values as text; null for any other type. */
function stringValue({ tag, contents }: Der): string | null {
  switch (tag) {
    case TAG.UTF8_STRING:
      return new TextDecoder().decode(contents)
    case TAG.PRINTABLE_STRING:
    case TAG.IA5_STRING:
    case TAG.TELETEX_STRING:
      return latin1(contents)
    case TAG.BMP_STRING: // UTF-16BE code units (workerd's TextDecoder has no utf-16be)
      return String.fromCharCode(...Array.from({ length: contents.length >> 1 }, (_, i) => view(contents).getUint16(i * 2)))
    case TAG.UNIVERSAL_STRING: // UTF-32BE code points
      return String.fromCodePoint(...Array.from({ length: contents.length >> 2 }, (_, i) => view(contents).getUint32(i * 4)))
    default:
      return null
  }
}

// RFC 4514 §2.4: special characters escaped with a backslash, a leading space or '#' and a trailing space too.
function escape(value: string): string {
  return value
    .replace(/([,+"\\<>;])/g, '\\$1')
    .replace(/^([ #])/, '\\$1')
    .replace(/([ ]$)/, '\\$1')
    .replace(/[\r\n\t]/, (c) => `\\${hex(utf8(c)).toUpperCase()}`)
}

/** The Name element as text, e.g. `CN=id.example.com, O=Example`. */
export function nameText(name: Der | undefined): string {
  return children(name)
    .map((rdn) =>
      children(rdn, TAG.SET)
        .map((attribute) => {
          const [type, value] = children(attribute)
          const oid = oidText(type)
          if (!value) throw new DerError('attribute without a value')
          const text = stringValue(value)
          return `${SHORT_NAMES[oid] ?? oid}=${text === null ? `#${hex(value.raw)}` : escape(text)}`
        })
        .join('+'),
    )
    .join(', ')
}
