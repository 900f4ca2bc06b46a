import { Hono } from 'hono'
import { describe, expect, it } from 'vitest'
import type { AppEnv } from '../../src/deps.ts'
import { readForm, UnreadableRequest } from '../../src/routes/form.ts'

// src/routes/form.ts: a urlencoded body read as Request.formData() reads it, other forms through hono's parseBody.
const app = new Hono<AppEnv>()
app.post('/form', async (c) => {
  try {
    const form = await readForm(c)
    return c.json({ form, proto: Object.getPrototypeOf(form) === Object.prototype })
  } catch (err) {
    if (err instanceof UnreadableRequest) return c.json({ unreadable: err.message }, 400)
    throw err
  }
})
const post = (body: BodyInit, contentType?: string) => app.request('/form', { method: 'POST', body,
  ...(contentType !== undefined && { headers: { 'Content-Type': contentType } }) })
const URLENCODED = 'application/x-www-form-urlencoded'

/** What Request.formData() makes of the same urlencoded bytes, grouped as readForm groups. */
async function asFormData(body: string | Uint8Array<ArrayBuffer>): Promise<Record<string, string | string[]>> {
  const request = new Request('http://x/', { method: 'POST', body, headers: { 'Content-Type': URLENCODED } })
  const data = await request.formData()
  const out: Record<string, string[]> = {}
  for (const [name, value] of data) (out[name] ??= []).push(value as string)
  return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, v.length === 1 ? v[0]! : v]))
}

describe('readForm', () => {
  it.each<[string, string | Uint8Array<ArrayBuffer>]>([
    ['plain fields', 'grant_type=client_credentials&scope=openid+profile'],
    ['percent-encoding, + and UTF-8', 'a=%2B%20%C3%A9&b=caf%C3%A9+%26+more&%C3%A9=x'],
    ['a repeated field, in order', 'resource=https%3A%2F%2Fa&x=1&resource=https%3A%2F%2Fb'],
    ['empty names and values, no =', '=1&a=&b&&c=3'],
    ['bad percent-encoding', 'a=%zz&b=%&c=%C3'],
    ['a leading BOM', new Uint8Array([0xef, 0xbb, 0xbf, 0x61, 0x3d, 0x31])],
    ['bytes that are not UTF-8', new Uint8Array([0x61, 0x3d, 0xff, 0xfe, 0x26, 0x62, 0x3d, 0xc3])],
  ])('%s: as Request.formData() reads it', async (_, body) => {
    const res = await post(body, `${URLENCODED};charset=UTF-8`)
    expect(res.status).toBe(200)
    expect(((await res.json()) as { form: unknown }).form).toEqual(await asFormData(body))
  })

  it('keeps a field named __proto__ as a field', async () => {
    const res = await post('__proto__=a&__proto__=b&x=1', URLENCODED)
    expect(await res.json()).toEqual({ form: { ['__proto__']: ['a', 'b'], x: '1' }, proto: true })
  })

  it('refuses NUL in a name or a value', async () => {
    for (const body of ['a=%00', '%00=a', 'a=1&b=x%00y']) {
      const res = await post(body, URLENCODED)
      expect(res.status).toBe(400)
      expect(await res.json()).toEqual({ unreadable: 'the request contains NUL characters' })
    }
  })

  it('reads a multipart form through parseBody, dropping files', async () => {
    const data = new FormData()
    data.append('a', '1')
    data.append('a', '2')
    data.append('b', 'é')
    data.append('file', new Blob(['content']), 'f.txt')
    const res = await post(data)
    expect(await res.json()).toEqual({ form: { a: ['1', '2'], b: 'é' }, proto: true })
  })

  it('reads nothing from a body that is not a form', async () => {
    for (const [body, type] of [['a=1', 'text/plain'], ['{"a":1}', 'application/json']]) {
      const res = await post(body!, type)
      expect(await res.json()).toEqual({ form: {}, proto: true })
    }
  })

  it('takes the media type in any case, with parameters', async () => {
    const res = await post('a=1', ' Application/X-WWW-Form-Urlencoded ; charset=utf-8')
    expect(await res.json()).toEqual({ form: { a: '1' }, proto: true })
  })

  it('answers a malformed multipart body as unreadable', async () => {
    const res = await post('--x\r\nnot a part', 'multipart/form-data; boundary=x')
    expect(res.status).toBe(400)
    expect(await res.json()).toEqual({ unreadable: 'the request body is not a form' })
  })
})
