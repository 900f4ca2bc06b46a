import { relations } from 'drizzle-orm'
import { groupMemberships, groups, users } from './core.ts'
import {
  applications, keyPairs, providerFederationProviders, providerFederationSources, providers,
  providerScopeMappings, scopeMappings,
} from './providers.ts'

export const applicationRelations = relations(applications, ({ one }) => ({
  provider: one(providers, { fields: [applications.providerId], references: [providers.id] }),
}))

export const providerRelations = relations(providers, ({ one, many }) => ({
  application: one(applications, { fields: [providers.id], references: [applications.providerId] }),
  signingKey: one(keyPairs, { fields: [providers.signingKeyId], references: [keyPairs.id], relationName: 'signing' }),
  encryptionKey: one(keyPairs, {
    fields: [providers.encryptionKeyId], references: [keyPairs.id], relationName: 'encryption',
  }),
  nextSigningKey: one(keyPairs, {
    fields: [providers.nextSigningKeyId], references: [keyPairs.id], relationName: 'nextSigning',
  }),
  previousSigningKey: one(keyPairs, {
    fields: [providers.previousSigningKeyId], references: [keyPairs.id], relationName: 'previousSigning',
  }),
  scopeMappings: many(providerScopeMappings),
  federationSources: many(providerFederationSources),
  federationProviders: many(providerFederationProviders, { relationName: 'federating' }),
}))

export const keyPairRelations = relations(keyPairs, ({ many }) => ({
  signing: many(providers, { relationName: 'signing' }),
  encryption: many(providers, { relationName: 'encryption' }),
  nextSigning: many(providers, { relationName: 'nextSigning' }),
  previousSigning: many(providers, { relationName: 'previousSigning' }),
}))

export const providerScopeMappingRelations = relations(providerScopeMappings, ({ one }) => ({
  provider: one(providers, { fields: [providerScopeMappings.providerId], references: [providers.id] }),
  scopeMapping: one(scopeMappings, { fields: [providerScopeMappings.scopeMappingId], references: [scopeMappings.id] }),
}))

export const providerFederationSourceRelations = relations(providerFederationSources, ({ one }) => ({
  provider: one(providers, { fields: [providerFederationSources.providerId], references: [providers.id] }),
}))

export const providerFederationProviderRelations = relations(providerFederationProviders, ({ one }) => ({
  provider: one(providers, {
    fields: [providerFederationProviders.providerId], references: [providers.id], relationName: 'federating',
  }),
}))

export const userRelations = relations(users, ({ many }) => ({ memberships: many(groupMemberships) }))
export const groupRelations = relations(groups, ({ many }) => ({ memberships: many(groupMemberships) }))
export const membershipRelations = relations(groupMemberships, ({ one }) => ({
  user: one(users, { fields: [groupMemberships.userId], references: [users.id] }),
  group: one(groups, { fields: [groupMemberships.groupId], references: [groups.id] }),
}))
