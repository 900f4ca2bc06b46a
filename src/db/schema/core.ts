import { sql } from 'drizzle-orm'
import {
  boolean, check, index, integer, jsonb, pgTable, primaryKey, serial, text, timestamp, uuid,
} from 'drizzle-orm/pg-core'
import { expiringColumns, expiringIndex } from './expiring.ts'

const created = () => timestamp('created', { withTimezone: true, mode: 'date' }).notNull().defaultNow()
const expiresSet = (t: { expires: unknown; expiring: unknown }, name: string) =>
  check(`${name}_expires_set`, sql`not ${t.expiring} or ${t.expires} is not null`)

/** authentik `User`: integer pk, unique username, PBKDF2 hash in Django's `pbkdf2_sha256$...` format. */
export const users = pgTable('users', {
  id: serial('id').primaryKey(),
  uuid: uuid('uuid').notNull().defaultRandom().unique(),
  username: text('username').notNull().unique(),
  name: text('name').notNull().default(''),
  email: text('email').notNull().default(''),
  isActive: boolean('is_active').notNull().default(true),
  type: text('type').notNull().default('internal'),
  path: text('path').notNull().default('users'),
  attributes: jsonb('attributes').$type<Record<string, unknown>>().notNull().default({}),
  passwordHash: text('password_hash'),
  passwordChangeDate: timestamp('password_change_date', { withTimezone: true, mode: 'date' }),
  lastLogin: timestamp('last_login', { withTimezone: true, mode: 'date' }),
  dateJoined: created(),
})

/** authentik `Group`: uuid pk. */
export const groups = pgTable('groups', {
  id: uuid('id').primaryKey().defaultRandom(),
  name: text('name').notNull().unique(),
  isSuperuser: boolean('is_superuser').notNull().default(false),
  attributes: jsonb('attributes').$type<Record<string, unknown>>().notNull().default({}),
  created: created(),
})

export const groupMemberships = pgTable('group_memberships', {
  groupId: uuid('group_id').notNull().references(() => groups.id, { onDelete: 'cascade' }),
  userId: integer('user_id').notNull().references(() => users.id, { onDelete: 'cascade' }),
}, (t) => [primaryKey({ columns: [t.groupId, t.userId] }), index('group_memberships_user_idx').on(t.userId)])

/** authentik `AuthenticatedSession`; only the SHA-256 of the cookie value is stored. */
export const authenticatedSessions = pgTable('authenticated_sessions', {
  id: uuid('id').primaryKey().defaultRandom(),
  sessionKeyHash: text('session_key_hash').notNull().unique(),
  userId: integer('user_id').notNull().references(() => users.id, { onDelete: 'cascade' }),
  loginTime: timestamp('login_time', { withTimezone: true, mode: 'date' }).notNull(),
  amr: jsonb('amr').$type<string[]>().notNull().default([]),
  lastIp: text('last_ip'),
  lastUserAgent: text('last_user_agent').notNull().default(''),
  /** The origin the session was signed in on: it names the issuer of its back-channel logout tokens. */
  origin: text('origin'),
  created: created(),
  ...expiringColumns(),
}, (t) => [expiringIndex('authenticated_sessions', t), index('authenticated_sessions_user_idx').on(t.userId),
  expiresSet(t, 'authenticated_sessions')])

/** authentik `Token` with intent `app_password`: the key is shown once and only its hash is kept. */
export const appTokens = pgTable('app_tokens', {
  id: uuid('id').primaryKey().defaultRandom(),
  identifier: text('identifier').notNull().unique(),
  userId: integer('user_id').notNull().references(() => users.id, { onDelete: 'cascade' }),
  intent: text('intent').notNull().default('app_password'),
  keyHash: text('key_hash').notNull(),
  description: text('description').notNull().default(''),
  created: created(),
  ...expiringColumns(),
}, (t) => [expiringIndex('app_tokens', t), index('app_tokens_user_idx').on(t.userId), expiresSet(t, 'app_tokens')])

/** authentik `Event`: the audit log. `user` is a snapshot (`{pk, username}`) so it outlives the user. */
export const events = pgTable('events', {
  id: uuid('id').primaryKey().defaultRandom(),
  action: text('action').notNull(),
  user: jsonb('user').$type<{ pk: number; username: string } | Record<string, never>>().notNull().default({}),
  clientId: text('client_id'),
  app: text('app').notNull().default('edge_oidc'),
  context: jsonb('context').$type<Record<string, unknown>>().notNull().default({}),
  clientIp: text('client_ip'),
  created: created(),
  ...expiringColumns(),
}, (t) => [expiringIndex('events', t), index('events_action_idx').on(t.action, t.created),
  index('events_client_idx').on(t.clientId), expiresSet(t, 'events')])

/** Failed attempts inside a window, per key: sign-in (`user:`, `ip:`) and the token endpoint (`client:`, `token-ip:`). */
export const loginAttempts = pgTable('login_attempts', {
  key: text('key').notNull(),
  windowStart: timestamp('window_start', { withTimezone: true, mode: 'date' }).notNull(),
  count: integer('count').notNull().default(0),
  ...expiringColumns(),
}, (t) => [primaryKey({ columns: [t.key, t.windowStart] }), expiringIndex('login_attempts', t),
  expiresSet(t, 'login_attempts')])
