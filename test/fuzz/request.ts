/** A generated request to one endpoint, drawn with placeholders and made concrete against the world when sent. */
import fc from 'fast-check'
import { address, authorization, bodyKind, bodyOf, encode, encoding, method, params, pathTrick, type BodyKind,
  type Pairs } from './arbitraries.ts'
import type { Sent } from './check.ts'
import { resolve, type World } from './setup.ts'

export interface Endpoint {
  served: readonly string[]
  paths: readonly string[]
  /** Parameter names and their good values; several sets: one is drawn, then broken (see `params`). */
  fields: Record<string, readonly string[]> | Array<Record<string, readonly string[]>>
  basic?: readonly string[]
  bearer?: readonly string[]
  /** Extra headers a browser or client may send, with values to pick from. */
  headers?: Record<string, readonly string[]>
}

export interface Draft {
  method: string
  path: string
  exact: boolean
  pairs: Pairs
  how: string
  body: BodyKind
  auth: string | null
  address: string
  cookie: boolean
  /** Parameters of a POST also in the query (RFC 6749 §3.2 forbids nothing there, but they must not confuse). */
  alsoQuery: boolean
  headers: Array<[string, string]>
  n: number
}

export function draft(e: Endpoint): fc.Arbitrary<Draft> {
  const headerNames = Object.keys(e.headers ?? {})
  return fc.record({
    method: method(e.served),
    route: fc.constantFrom(...e.paths).chain(pathTrick),
    pairs: (Array.isArray(e.fields) ? fc.constantFrom(...e.fields) : fc.constant(e.fields)).chain(params),
    how: encoding,
    body: bodyKind,
    auth: authorization(e.basic ?? [], e.bearer ?? []),
    address,
    cookie: fc.boolean(),
    alsoQuery: fc.nat(9).map((n) => n === 0),
    headers: headerNames.length ? fc.subarray(headerNames).chain((names) => fc.tuple(...names.map((h) =>
      fc.constantFrom(...e.headers![h]!).map((v): [string, string] => [h, v])))) : fc.constant([] as Array<[string, string]>),
    n: fc.nat(3),
  }).map(({ route, ...d }) => ({ ...d, path: route.path, exact: route.exact }))
}

/** The request `d` describes, with live artefacts in place of the placeholders. */
export function concrete(world: World, d: Draft): Sent {
  const pairs = d.pairs.map(([k, v]): [string, string] => [k, resolve(world, v, d.n)])
  const headers: Record<string, string> = { 'CF-Connecting-IP': d.address }
  for (const [k, v] of d.headers) headers[k] = resolve(world, v, d.n)
  if (d.auth !== null) headers.Authorization = resolve(world, d.auth, d.n)
  if (d.cookie && world.agent.cookies.size) {
    headers.Cookie = [...world.agent.cookies].map(([k, v]) => `${k}=${v}`).join('; ')
  }
  const query = encode(pairs, d.how)
  const withBody = d.method !== 'GET' && d.method !== 'HEAD'
  if (!withBody) return { method: d.method, path: query ? `${d.path}?${query}` : d.path, headers, body: null }
  if (d.body.contentType) headers['Content-Type'] = d.body.contentType
  const path = d.alsoQuery && query ? `${d.path}?${query}` : d.path
  return { method: d.method, path, headers, body: bodyOf(d.body, pairs, d.how) }
}
