-- authentik's default managed scope mappings (blueprints/system/providers-oauth2.yaml), as declarative
-- expressions: claim name -> {"path": ...} or {"value": ...}. email_verified is false as since 2025.10.
-- Entitlements have no model here: they are read from the user's `entitlements` attribute (a list of names).
INSERT INTO "scope_mappings" ("name", "managed", "scope_name", "description", "expression") VALUES
  ('authentik default OAuth Mapping: OpenID ''openid''', 'goauthentik.io/providers/oauth2/scope-openid', 'openid', '', '{}'::jsonb),
  ('authentik default OAuth Mapping: OpenID ''email''', 'goauthentik.io/providers/oauth2/scope-email', 'email', 'Email address',
   '{"email": {"path": "user.email"}, "email_verified": {"value": false}}'::jsonb),
  ('authentik default OAuth Mapping: OpenID ''profile''', 'goauthentik.io/providers/oauth2/scope-profile', 'profile', 'General Profile Information',
   '{"name": {"path": "user.name"}, "given_name": {"path": "user.name"}, "preferred_username": {"path": "user.username"}, "nickname": {"path": "user.username"}, "groups": {"path": "user.groups"}}'::jsonb),
  ('authentik default OAuth Mapping: OpenID ''offline_access''', 'goauthentik.io/providers/oauth2/scope-offline_access', 'offline_access', 'Access to request new tokens without interaction', '{}'::jsonb),
  ('authentik default OAuth Mapping: Application Entitlements', 'goauthentik.io/providers/oauth2/scope-entitlements', 'entitlements', 'Application entitlements',
   '{"entitlements": {"path": "user.entitlements"}, "roles": {"path": "user.entitlements"}}'::jsonb)
ON CONFLICT ("managed") DO NOTHING;
