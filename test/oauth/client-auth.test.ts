import { describe, expect, it } from 'vitest'
import { clientCredentials } from '../../src/oauth/client-auth.ts'

const basic = (bytes: string) => `Basic ${btoa(bytes)}`
const utf8Basic = (text: string) => `Basic ${Buffer.from(text, 'utf8').toString('base64')}`
const none = new Map<string, string>()

describe('clientCredentials (authentik extract_client_auth)', () => {
  it('splits Basic credentials at the first colon and percent-decodes both parts', () => {
    expect(clientCredentials(basic('my%20client:s%3Acret:more'), none))
      .toEqual({ clientId: 'my client', clientSecret: 's:cret:more', viaBasic: true })
    // authentik `unquote`s, it does not form-decode: a raw `+` stays a `+`.
    expect(clientCredentials(basic('a+b:c+d'), none)).toEqual({ clientId: 'a+b', clientSecret: 'c+d', viaBasic: true })
  })

  it('reads UTF-8 credentials, and no colon as an empty secret', () => {
    expect(clientCredentials(utf8Basic('clïent:sécret'), none))
      .toEqual({ clientId: 'clïent', clientSecret: 'sécret', viaBasic: true })
    expect(clientCredentials(basic('only-id'), none)).toEqual({ clientId: 'only-id', clientSecret: '', viaBasic: true })
  })

  it('leaves both empty when the credentials are not base64, not UTF-8 or not percent-decodable', () => {
    const empty = { clientId: '', clientSecret: '', viaBasic: true }
    expect(clientCredentials('Basic %%%not-base64', none)).toEqual(empty)
    expect(clientCredentials(basic('\xff\xfe:\xc3'), none)).toEqual(empty)
    expect(clientCredentials(basic('%E0%A4%A:%zz'), none)).toEqual(empty)
  })

  it('takes the form when there is no Basic header', () => {
    expect(clientCredentials(undefined, new Map([['client_id', 'c'], ['client_secret', 's']])))
      .toEqual({ clientId: 'c', clientSecret: 's', viaBasic: false })
  })
})
