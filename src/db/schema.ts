/** The whole data model, one module per noun. drizzle-kit reads this file. */
export * from './schema/core.ts'
export * from './schema/providers.ts'
export * from './schema/grants.ts'
export * from './schema/logout.ts'
export { instant, isLive, isExpired } from './schema/expiring.ts'
export * from './schema/relations.ts'
