import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { deriveSecrets } from '../../src/crypto/secret-box.ts'

const SECRET = 'test-secret-key-0123456789abcdefghijklmnopqrstuvwxyz'

describe('deriveSecrets', () => {
  it('seals to v1.<base64url> and opens back, with a fresh IV each time', async () => {
    const secrets = await deriveSecrets(SECRET)
    const plaintext = '-----BEGIN PRIVATE KEY-----\nMIIE…\n-----END PRIVATE KEY-----\n ünïcode ✓'
    const a = await secrets.seal(plaintext)
    const b = await secrets.seal(plaintext)
    expect(a).toMatch(/^v1\.[A-Za-z0-9_-]+$/)
    expect(a).not.toBe(b)
    expect(await secrets.open(a)).toBe(plaintext)
    expect(await secrets.open(await secrets.seal(''))).toBe('')
  })

  it('detects tampering', async () => {
    const secrets = await deriveSecrets(SECRET)
    const sealed = await secrets.seal('client secret')
    const body = sealed.slice(3)
    const flipped = body.slice(0, 20) + (body[20] === 'A' ? 'B' : 'A') + body.slice(21)
    await expect(secrets.open(`v1.${flipped}`)).rejects.toThrow(/tampered/)
    await expect(secrets.open(sealed.slice(0, -4))).rejects.toThrow(/tampered/)
    await expect(secrets.open(`v2.${body}`)).rejects.toThrow(/not a sealed value/)
    await expect(secrets.open('v1.AAAA')).rejects.toThrow(/truncated/)
    await expect(secrets.open('v1.***')).rejects.toThrow(/base64url/)
  })

  it('cannot open a value sealed under another SECRET_KEY', async () => {
    const sealed = await (await deriveSecrets(SECRET)).seal('client secret')
    const other = await deriveSecrets(`${SECRET}-rotated`)
    await expect(other.open(sealed)).rejects.toThrow(/different SECRET_KEY/)
  })

  it('opens a value again from memory, for its own SECRET_KEY only; a tampered value is refused every time', async () => {
    const secrets = await deriveSecrets(SECRET)
    const sealed = await secrets.seal('client secret')
    expect(await secrets.open(sealed)).toBe('client secret')
    expect(await secrets.open(sealed)).toBe('client secret')
    await expect((await deriveSecrets(`${SECRET}-other`)).open(sealed)).rejects.toThrow(/different SECRET_KEY/)
    const tampered = `${sealed.slice(0, 20)}${sealed[20] === 'A' ? 'B' : 'A'}${sealed.slice(21)}`
    await expect(secrets.open(tampered)).rejects.toThrow(/tampered/)
    await expect(secrets.open(tampered)).rejects.toThrow(/tampered/)
  })

  it('derives a stable, UUID-shaped install id per secret', async () => {
    const a = await deriveSecrets(SECRET)
    expect(a.installId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
    expect(z.uuid().safeParse(a.installId).success).toBe(true)
    expect((await deriveSecrets(SECRET)).installId).toBe(a.installId)
    expect((await deriveSecrets('another secret')).installId).not.toBe(a.installId)
  })

  it('caches the derived secrets per secret', async () => {
    expect(await deriveSecrets(SECRET)).toBe(await deriveSecrets(SECRET))
  })

  it('refuses an empty secret', async () => {
    await expect(deriveSecrets('')).rejects.toThrow(/SECRET_KEY/)
  })
})
