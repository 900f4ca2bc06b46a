import * as z from 'zod'
import { queryBool } from './list.ts'

const BLANK = 'This field may not be blank.'
const USER_TYPES = ['internal', 'external', 'service_account', 'internal_service_account'] as const

/** authentik `UserSerializer.validate_path`: slash-separated, no leading, trailing or empty segment. */
const UserPath = z.string().superRefine((path, ctx) => {
  if (path.startsWith('/') || path.endsWith('/')) ctx.addIssue({ code: 'custom', message: 'No leading or trailing slashes allowed.' })
  else if (path.split('/').some((s) => s === '')) ctx.addIssue({ code: 'custom', message: 'No empty segments in user path allowed.' })
})

const Email = z.string().trim()
  .refine((v) => v === '' || z.email().safeParse(v).success, { message: 'Enter a valid email address.' })

export const UserInput = z.object({
  username: z.string().trim().min(1, BLANK).max(150, 'Ensure this field has no more than 150 characters.'),
  name: z.string().optional(),
  email: Email.optional(),
  is_active: z.boolean().optional(),
  attributes: z.record(z.string(), z.unknown()).optional(),
  groups: z.array(z.uuid().transform((v) => v.toLowerCase())).transform((v) => [...new Set(v)]).optional(),
  type: z.enum(USER_TYPES).optional(),
  path: UserPath.optional(),
})

const GroupRef = z.object({ pk: z.uuid(), name: z.string() })

export const UserOutput = z.object({
  pk: z.number().int(),
  username: z.string(),
  name: z.string(),
  is_active: z.boolean(),
  last_login: z.iso.datetime().nullable(),
  date_joined: z.iso.datetime(),
  is_superuser: z.boolean(),
  groups: z.array(z.uuid()),
  groups_obj: z.array(GroupRef),
  email: z.string(),
  attributes: z.record(z.string(), z.unknown()),
  path: z.string(),
  type: z.enum(USER_TYPES),
  uuid: z.uuid(),
  password_change_date: z.iso.datetime().nullable(),
})
export type UserOut = z.output<typeof UserOutput>

export const UserFilters = z.object({
  username: z.string().optional(),
  email: z.string().optional(),
  name: z.string().optional(),
  is_active: queryBool().optional(),
  type: z.enum(USER_TYPES).optional(),
})

export const PasswordInput = z.object({ password: z.string().min(1, BLANK) })
