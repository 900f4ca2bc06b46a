import * as z from 'zod'
import { queryBool } from './list.ts'
import { maxLength, MAX_NAME_LENGTH } from './provider-schema.ts'

const BLANK = 'This field may not be blank.'
const KEY_TYPES = ['rsa', 'ecdsa'] as const
export const KEY_SIZES = { rsa: [2048, 3072, 4096], ecdsa: [256, 384, 521] } as const
const DEFAULT_SIZE = { rsa: 2048, ecdsa: 256 } as const
// A hundred years; beyond that the certificate's notAfter stops being a useful date.
const MAX_VALIDITY_DAYS = 36_500

/** Import: a PEM certificate and, optionally, its PEM private key (blank means certificate only). */
export const KeyPairInput = z.object({
  name: z.string().trim().min(1, BLANK).max(MAX_NAME_LENGTH, maxLength(MAX_NAME_LENGTH)),
  certificate_data: z.string().trim().min(1, BLANK),
  key_data: z.string().optional(),
})

/** authentik `CertificateKeyPairSerializer`; the private key is write-only and never answered. */
export const KeyPairOutput = z.object({
  pk: z.uuid(),
  name: z.string(),
  fingerprint_sha256: z.string(),
  fingerprint_sha1: z.string(),
  cert_expiry: z.iso.datetime(),
  cert_subject: z.string(),
  private_key_available: z.boolean(),
  key_type: z.enum(KEY_TYPES),
  kid: z.string(),
  managed: z.string().nullable(),
})
export type KeyPairOut = z.output<typeof KeyPairOutput>

export const KeyPairFilters = z.object({
  name: z.string().optional(),
  key_type: z.enum(KEY_TYPES).optional(),
  has_key: queryBool().optional(),
})

/** authentik `CertificateGenerationSerializer`, plus the key size. */
export const GenerateInput = z.object({
  common_name: z.string().trim().min(1, BLANK).max(MAX_NAME_LENGTH, maxLength(MAX_NAME_LENGTH)),
  subject_alt_name: z.string().optional(),
  validity_days: z.number().int().min(1, 'Ensure this value is greater than or equal to 1.')
    .max(MAX_VALIDITY_DAYS, `Ensure this value is less than or equal to ${MAX_VALIDITY_DAYS}.`).default(365),
  alg: z.enum(KEY_TYPES).default('rsa'),
  key_size: z.number().int().optional(),
}).transform((input, ctx) => {
  const keySize = input.key_size ?? DEFAULT_SIZE[input.alg]
  if (!(KEY_SIZES[input.alg] as readonly number[]).includes(keySize)) {
    ctx.addIssue({ code: 'custom', path: ['key_size'], message: `"${keySize}" is not a valid choice.` })
    return z.NEVER
  }
  const subjectAltNames = (input.subject_alt_name ?? '').split(',').map((s) => s.trim()).filter(Boolean)
  return { commonName: input.common_name, subjectAltNames, validityDays: input.validity_days, alg: input.alg, keySize }
})
