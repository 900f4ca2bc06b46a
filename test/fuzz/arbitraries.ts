/** The generators of the fuzz suite: hostile strings, parameter sets, bodies, `Authorization` headers, paths. */
import fc from 'fast-check'

const LONG = 'x'.repeat(70_000)

/** Strings a careless or hostile client sends: control characters, lone surrogates, broken percent-escapes. */
export const junk: fc.Arbitrary<string> = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom('', ' ', '\u0000', 'a\u0000b', '\ud800', 'x\udfffy', '\uffff', '\u202e', '%', '%zz', '%E0%A4%A',
    '%ff%fe', '%00', '%C0%AF', '%ED%A0%80', '..', '%2e%2e', '../../etc/passwd', 'null', 'undefined', '[]', '{}',
    '__proto__', 'constructor', 'toString', '-1', '0', '1e309', 'NaN', '99999999999999999999', 'true',
    '<script>alert(1)</script>', "' OR 1=1 --", '${jndi:x}', 'javascript:alert(1)', 'http://evil.example/',
    '\r\nSet-Cookie: x=1', 'openid openid', 'a'.repeat(300)),
  fc.constant(LONG),
)

/** One value for a field whose good values are `good`: a good one, junk, or a good one with junk around it. */
export function field(good: readonly string[]): fc.Arbitrary<string> {
  const valid = good.length ? fc.constantFrom(...good) : junk
  return fc.oneof({ weight: 4, arbitrary: valid }, { weight: 3, arbitrary: junk },
    { weight: 1, arbitrary: fc.tuple(valid, junk).map(([v, j]) => v + j) },
    { weight: 1, arbitrary: fc.tuple(valid, fc.nat()).map(([v, n]) => v.slice(0, n % (v.length + 1))) })
}

export type Pairs = Array<[string, string]>

/**
 * A parameter set built from `fields` (name → good values): mostly all of them good with one broken, or any
 * subset with junk, duplicated names, unknown names and an oversized extra.
 */
export function params(fields: Record<string, readonly string[]>): fc.Arbitrary<Pairs> {
  const names = Object.keys(fields)
  const good = fc.record(Object.fromEntries(names.map((n) => [n, fc.constantFrom(...(fields[n]!.length
    ? fields[n]! : ['']))])))
  const oneBroken = fc.tuple(good, fc.constantFrom(...names), junk, fc.boolean()).map(([g, name, bad, drop]) => {
    const pairs = Object.entries(g).filter(([n]) => !(drop && n === name))
    return pairs.map(([n, v]): [string, string] => [n, n === name && !drop ? bad : v])
  })
  const anything = fc.array(fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(...names).chain((n) => field(fields[n]!).map((v): [string, string] => [n, v])) },
    { weight: 1, arbitrary: fc.tuple(junk, junk) }), { maxLength: 12 })
  const duplicated = fc.tuple(good, fc.constantFrom(...names), field([])).map(([g, name, extra]) => {
    const pairs: Pairs = Object.entries(g)
    return [...pairs, [name, extra]] as Pairs
  })
  return fc.oneof({ weight: 3, arbitrary: good.map((g) => Object.entries(g)) }, { weight: 4, arbitrary: oneBroken },
    { weight: 3, arbitrary: anything }, { weight: 2, arbitrary: duplicated })
}

/** A query or form string of `pairs`: properly encoded, raw (so `%zz` stays broken), or with stray separators. */
export const encoding = fc.constantFrom('encoded', 'raw', 'mixed', 'separators')
export function encode(pairs: Pairs, how: string): string {
  const enc = (s: string) => {
    if (how === 'encoded') return encodeURIComponent(s.replace(/[\ud800-\udfff]/g, '\ufffd'))
    // Raw: what URL parsing keeps of it; '&', '=' and '#' split it further, which is the point.
    return s.replace(/[\ud800-\udfff]/g, '%ED%A0%80')
  }
  const body = pairs.map(([k, v], i) => `${how === 'mixed' && i % 2 ? enc(k) : enc(k)}=${how === 'mixed' && i % 2
    ? encodeURIComponent(v.replace(/[\ud800-\udfff]/g, '\ufffd')) : enc(v)}`).join('&')
  return how === 'separators' ? `&&=${body}&=&;${body ? '&' : ''}` : body
}

/** How a POST carries its parameters: the right content type mostly, else a wrong one or bytes no decoder takes. */
export type BodyKind = { kind: string; contentType: string | null }
export const bodyKind: fc.Arbitrary<BodyKind> = fc.oneof(
  { weight: 8, arbitrary: fc.constant({ kind: 'form', contentType: 'application/x-www-form-urlencoded' }) },
  { weight: 1, arbitrary: fc.constantFrom({ kind: 'form', contentType: null }, { kind: 'json', contentType: 'application/json' },
    { kind: 'form', contentType: 'text/plain' }, { kind: 'form', contentType: 'application/x-www-form-urlencoded; charset=utf-16' },
    { kind: 'multipart', contentType: 'multipart/form-data; boundary=x' }, { kind: 'form', contentType: 'multipart/form-data' },
    { kind: 'broken-json', contentType: 'application/json' }, { kind: 'none', contentType: 'application/x-www-form-urlencoded' },
    { kind: 'form', contentType: '*/*; ;;; =' }, { kind: 'json', contentType: 'application/x-www-form-urlencoded' },
    { kind: 'multipart-fields', contentType: 'multipart/form-data; boundary=x' }) },
  { weight: 1, arbitrary: fc.nat(4).map((n) => ({ kind: `bytes${n}`, contentType: 'application/x-www-form-urlencoded' })) },
)

const BAD_BYTES = [[0xff, 0xfe, 0x00], [0x63, 0x6f, 0x64, 0x65, 0x3d, 0xc3], [0xed, 0xa0, 0x80], [0xc0, 0xaf, 0x3d, 0x80], []]

/** The body of `kind` carrying `pairs`. */
export function bodyOf(kind: BodyKind, pairs: Pairs, how: string): string | Uint8Array | null {
  if (kind.kind.startsWith('bytes')) {
    const bad = BAD_BYTES[Number(kind.kind.slice(5))]!
    return new Uint8Array([...new TextEncoder().encode(`${encode(pairs, 'encoded')}&`), ...bad])
  }
  switch (kind.kind) {
    case 'json': return JSON.stringify(Object.fromEntries(pairs))
    case 'broken-json': return '{"a":'
    case 'none': return null
    case 'multipart': return '--x\r\nContent-Disposition: form-data; name="a"\r\n\r\n'
    case 'multipart-fields': return `${pairs.map(([k, v]) => `--x\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`)
      .join('')}--x--\r\n`
    default: return encode(pairs, how)
  }
}

/** A header value the Fetch API can carry (Latin-1, no NUL, CR or LF). */
export const headerSafe = (s: string): string => s.replace(/[^\u0020-\u007e\u0080-\u00ff\t]/g, '?')

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64')

/** `Authorization` values: none, good credentials, broken Basic, junk Bearer, several schemes. */
export function authorization(basic: readonly string[], bearer: readonly string[]): fc.Arbitrary<string | null> {
  const creds = basic.length ? fc.constantFrom(...basic) : fc.constant('a:b')
  const token = bearer.length ? fc.constantFrom(...bearer) : fc.constant('t')
  return fc.oneof(
    { weight: 4, arbitrary: fc.constant(null) },
    { weight: 3, arbitrary: creds.map((c) => `Basic ${b64(c)}`) },
    { weight: 2, arbitrary: token.map((v) => `Bearer ${v}`) },
    { weight: 4, arbitrary: fc.oneof(
      junk.map((j) => `Basic ${headerSafe(j)}`), junk.map((j) => `Bearer ${headerSafe(j)}`),
      junk.map((j) => `Basic ${b64(j)}`), fc.tuple(creds, junk).map(([c, j]) => `Basic ${b64(c + j)}`),
      creds.map((c) => `Basic ${b64(c.replace(':', ''))}`), creds.map((c) => `basic   ${b64(c)}  `),
      fc.tuple(creds, token).map(([c, v]) => `Basic ${b64(c)}, Bearer ${v}`),
      token.map((v) => `Bearer ${v} ${v}`), token.map((v) => `DPoP ${v}`), token.map((v) => `bearer\t${v}`),
      fc.constantFrom('Basic', 'Bearer', 'Basic =', 'Basic ====', 'Basic %%%not-base64', 'Basic Og==', 'Basic /w==',
        'Basic 6KCA', 'Bearer ', 'Negotiate YII=', 'Digest username="a"', ' ', `Basic ${'A'.repeat(20_000)}`,
        `Bearer ${'y'.repeat(20_000)}`, 'Basic OjpaOjo=', `Basic ${b64('%E0%A4%A:%zz')}`)) },
  )
}

/** Request methods: the endpoint's first most often (OPTIONS preflights answer alike), the others it serves, any. */
export const method = (served: readonly string[]) => fc.oneof({ weight: 5, arbitrary: fc.constant(served[0]!) },
  { weight: 2, arbitrary: fc.constantFrom(...served) },
  { weight: 1, arbitrary: fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'HEAD', 'PROPFIND') })

/** `path` itself mostly, else a trick: dot segments, `%2e`, doubled or encoded slashes, trailing junk, case. */
export function pathTrick(path: string): fc.Arbitrary<{ path: string; exact: boolean }> {
  const tricks = fc.constantFrom(
    (p: string) => p.replace(/\/([^/]+)\/$/, '/$1/../$1/'), (p: string) => p.replace(/\//g, '//'),
    (p: string) => `/x/..${p}`, (p: string) => p.replace(/\/$/, '/%2e/'), (p: string) => p.replace(/\/$/, '/%2e%2e/'),
    (p: string) => p.replace(/\/(?=[^/]*$)/, '%2f'), (p: string) => `${p}x`, (p: string) => `${p}/`,
    (p: string) => p.replace(/\/$/, ''), (p: string) => `${p};jsessionid=1`, (p: string) => `${p}%00`,
    (p: string) => `${p}%ff`, (p: string) => p.toUpperCase(), (p: string) => `${p}/..%2f..%2f`, (p: string) => `${p}..`,
    (p: string) => p.replace(/o\//, '%6f/'), (p: string) => `${p}${'a/'.repeat(2000)}`)
  return fc.oneof({ weight: 5, arbitrary: fc.constant({ path, exact: true }) },
    { weight: 1, arbitrary: tricks.map((f) => ({ path: f(path), exact: false })) })
}

/** The client's address (the tests' trusted proxy header), spread so per-address limits do not stop the run. */
export const address = fc.oneof({ weight: 9, arbitrary: fc.tuple(fc.nat(255), fc.nat(255)).map(([a, b]) => `10.9.${a}.${b}`) },
  { weight: 1, arbitrary: fc.constantFrom('::1', 'not-an-ip', '', '1.2.3.4, 5.6.7.8', '2001:db8::1') })
