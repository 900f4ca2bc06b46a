import { describe, expect, it } from 'vitest'
import { ConfigError, isAllowedHost, nodeDefaultHosts, parseConfig, parseWorkerConfig } from '../src/config.ts'

const SECRET_KEY = 's'.repeat(40)

describe('configuration', () => {
  it('applies the defaults', () => {
    expect(parseConfig({ SECRET_KEY })).toEqual({
      secretKey: SECRET_KEY, adminToken: undefined, publicUrl: undefined, defaultApplication: undefined,
      passwordIterations: 600_000, metadataCacheSeconds: 60, allowedHosts: ['localhost', '127.0.0.1', '[::1]'],
    })
  })

  it('reads ALLOWED_HOSTS as Django does, adding the PUBLIC_URL host; * allows any host', () => {
    expect(parseConfig({ SECRET_KEY, PUBLIC_URL: 'https://id.example.com' }).allowedHosts).toBeNull()
    expect(parseConfig({ SECRET_KEY, ALLOWED_HOSTS: 'localhost', PUBLIC_URL: 'https://id.example.com' }).allowedHosts)
      .toEqual(['localhost', 'id.example.com'])
    expect(parseConfig({ SECRET_KEY, ALLOWED_HOSTS: ' .Example.org, a.test ', PUBLIC_URL: 'https://id.example.com' })
      .allowedHosts).toEqual(['.example.org', 'a.test', 'id.example.com'])
    expect(parseConfig({ SECRET_KEY, ALLOWED_HOSTS: '*' }).allowedHosts).toBeNull()
  })

  it('matches hosts exactly, a leading dot meaning the domain and its subdomains', () => {
    const allowed = ['.example.org', 'a.test', '[::1]']
    for (const host of ['example.org', 'id.example.org', 'A.TEST', '[::1]']) expect(isAllowedHost(allowed, host)).toBe(true)
    for (const host of ['evilexample.org', 'b.test', 'a.test.evil', 'localhost']) expect(isAllowedHost(allowed, host)).toBe(false)
    expect(isAllowedHost(null, 'anything.example')).toBe(true)
  })

  it('matches the port too: an entry without one allows the default port only; a trailing dot is another name', () => {
    const allowed = ['a.test', 'b.test:8443', '.example.org:9000', '[::1]:9000']
    for (const host of ['a.test', 'b.test:8443', 'id.example.org:9000', '[::1]:9000']) {
      expect(isAllowedHost(allowed, host), host).toBe(true)
    }
    for (const host of ['a.test:0', 'a.test:8080', 'a.test.', 'a.test.:443', 'b.test', 'b.test:8444', 'example.org',
      '[::1]', '[::1]:9001', 'localhost:0']) {
      expect(isAllowedHost(allowed, host), host).toBe(false)
    }
  })

  it('defaults npm start to this machine on its own port and the default one', () => {
    expect(parseConfig({ SECRET_KEY }, nodeDefaultHosts(9000)).allowedHosts).toEqual(['localhost', 'localhost:9000',
      '127.0.0.1', '127.0.0.1:9000', '[::1]', '[::1]:9000'])
    expect(parseConfig({ SECRET_KEY, ALLOWED_HOSTS: 'a.test', PUBLIC_URL: 'http://id.example.com:8080' }).allowedHosts)
      .toEqual(['a.test', 'id.example.com:8080'])
  })

  it('normalises PUBLIC_URL and treats empty values as unset', () => {
    const config = parseConfig({ SECRET_KEY, PUBLIC_URL: 'https://id.example.com/', ADMIN_TOKEN: '' })
    expect(config.publicUrl).toBe('https://id.example.com')
    expect(config.adminToken).toBeUndefined()
  })

  it.each([
    [{}, 'SECRET_KEY: is required'],
    [{ SECRET_KEY: 'short' }, 'SECRET_KEY: must be at least 32 characters'],
    [{ SECRET_KEY, ADMIN_TOKEN: 'abc' }, 'ADMIN_TOKEN: must be at least 16 characters'],
    [{ SECRET_KEY, PUBLIC_URL: 'ftp://example.com' }, 'PUBLIC_URL: must be an http(s) URL'],
    [{ SECRET_KEY, PASSWORD_ITERATIONS: 'many' }, 'PASSWORD_ITERATIONS: must be a number'],
    [{ SECRET_KEY, PASSWORD_ITERATIONS: '100' }, 'PASSWORD_ITERATIONS: must be at least 10000'],
    [{ SECRET_KEY, METADATA_CACHE_SECONDS: '-1' }, 'METADATA_CACHE_SECONDS: must not be negative'],
  ])('stops on a bad value, naming the variable (%j)', (env, message) => {
    expect(() => parseConfig(env)).toThrow(ConfigError)
    expect(() => parseConfig(env)).toThrow(message)
  })
})

describe('configuration on Workers', () => {
  it('allows any host unless ALLOWED_HOSTS says otherwise (Cloudflare routes only the operator\'s hostnames)', () => {
    expect(parseWorkerConfig({ SECRET_KEY }).allowedHosts).toBeNull()
    expect(parseWorkerConfig({ SECRET_KEY, ALLOWED_HOSTS: 'id.example.com' }).allowedHosts).toEqual(['id.example.com'])
  })

  it('defaults PBKDF2 to the 100000 iterations Cloudflare allows', () => {
    expect(parseWorkerConfig({ SECRET_KEY }).passwordIterations).toBe(100_000)
    expect(parseWorkerConfig({ SECRET_KEY, PASSWORD_ITERATIONS: '50000' }).passwordIterations).toBe(50_000)
  })

  it('refuses more iterations than Cloudflare\'s WebCrypto accepts', () => {
    expect(() => parseWorkerConfig({ SECRET_KEY, PASSWORD_ITERATIONS: '600000' }))
      .toThrow('PASSWORD_ITERATIONS: must be at most 100000 on Workers')
  })
})
