CREATE TABLE "app_tokens" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"identifier" text NOT NULL,
	"user_id" integer NOT NULL,
	"intent" text DEFAULT 'app_password' NOT NULL,
	"key_hash" text NOT NULL,
	"description" text DEFAULT '' NOT NULL,
	"created" timestamp with time zone DEFAULT now() NOT NULL,
	"expires" timestamp with time zone,
	"expiring" boolean DEFAULT true NOT NULL,
	CONSTRAINT "app_tokens_identifier_unique" UNIQUE("identifier"),
	CONSTRAINT "app_tokens_expires_set" CHECK (not "app_tokens"."expiring" or "app_tokens"."expires" is not null)
);
--> statement-breakpoint
CREATE TABLE "authenticated_sessions" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"session_key_hash" text NOT NULL,
	"user_id" integer NOT NULL,
	"login_time" timestamp with time zone NOT NULL,
	"amr" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"last_ip" text,
	"last_user_agent" text DEFAULT '' NOT NULL,
	"created" timestamp with time zone DEFAULT now() NOT NULL,
	"expires" timestamp with time zone,
	"expiring" boolean DEFAULT true NOT NULL,
	CONSTRAINT "authenticated_sessions_session_key_hash_unique" UNIQUE("session_key_hash"),
	CONSTRAINT "authenticated_sessions_expires_set" CHECK (not "authenticated_sessions"."expiring" or "authenticated_sessions"."expires" is not null)
);
--> statement-breakpoint
CREATE TABLE "events" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"action" text NOT NULL,
	"user" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"client_id" text,
	"app" text DEFAULT 'edge_oidc' NOT NULL,
	"context" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"client_ip" text,
	"created" timestamp with time zone DEFAULT now() NOT NULL,
	"expires" timestamp with time zone,
	"expiring" boolean DEFAULT true NOT NULL,
	CONSTRAINT "events_expires_set" CHECK (not "events"."expiring" or "events"."expires" is not null)
);
--> statement-breakpoint
CREATE TABLE "group_memberships" (
	"group_id" uuid NOT NULL,
	"user_id" integer NOT NULL,
	CONSTRAINT "group_memberships_group_id_user_id_pk" PRIMARY KEY("group_id","user_id")
);
--> statement-breakpoint
CREATE TABLE "groups" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"name" text NOT NULL,
	"is_superuser" boolean DEFAULT false NOT NULL,
	"attributes" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"created" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "groups_name_unique" UNIQUE("name")
);
--> statement-breakpoint
CREATE TABLE "login_attempts" (
	"key" text NOT NULL,
	"window_start" timestamp with time zone NOT NULL,
	"count" integer DEFAULT 0 NOT NULL,
	"expires" timestamp with time zone,
	"expiring" boolean DEFAULT true NOT NULL,
	CONSTRAINT "login_attempts_key_window_start_pk" PRIMARY KEY("key","window_start"),
	CONSTRAINT "login_attempts_expires_set" CHECK (not "login_attempts"."expiring" or "login_attempts"."expires" is not null)
);
--> statement-breakpoint
CREATE TABLE "users" (
	"id" serial PRIMARY KEY NOT NULL,
	"uuid" uuid DEFAULT gen_random_uuid() NOT NULL,
	"username" text NOT NULL,
	"name" text DEFAULT '' NOT NULL,
	"email" text DEFAULT '' NOT NULL,
	"is_active" boolean DEFAULT true NOT NULL,
	"type" text DEFAULT 'internal' NOT NULL,
	"path" text DEFAULT 'users' NOT NULL,
	"attributes" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"password_hash" text,
	"password_change_date" timestamp with time zone,
	"last_login" timestamp with time zone,
	"created" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "users_uuid_unique" UNIQUE("uuid"),
	CONSTRAINT "users_username_unique" UNIQUE("username")
);
--> statement-breakpoint
CREATE TABLE "applications" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"name" text NOT NULL,
	"slug" text NOT NULL,
	"provider_id" integer,
	"group_id" uuid,
	"meta_launch_url" text DEFAULT '' NOT NULL,
	"meta_description" text DEFAULT '' NOT NULL,
	"meta_publisher" text DEFAULT '' NOT NULL,
	"open_in_new_tab" boolean DEFAULT false NOT NULL,
	"created" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "applications_slug_unique" UNIQUE("slug"),
	CONSTRAINT "applications_provider_id_unique" UNIQUE("provider_id")
);
--> statement-breakpoint
CREATE TABLE "key_pairs" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"name" text NOT NULL,
	"certificate_data" text NOT NULL,
	"key_data_sealed" text,
	"kid" text NOT NULL,
	"key_type" text NOT NULL,
	"key_size" integer NOT NULL,
	"fingerprint_sha256" text NOT NULL,
	"fingerprint_sha1" text NOT NULL,
	"cert_subject" text NOT NULL,
	"cert_expiry" timestamp with time zone NOT NULL,
	"managed" text,
	"created" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "key_pairs_name_unique" UNIQUE("name"),
	CONSTRAINT "key_pairs_managed_unique" UNIQUE("managed")
);
--> statement-breakpoint
CREATE TABLE "oauth_sources" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"name" text NOT NULL,
	"slug" text NOT NULL,
	"enabled" boolean DEFAULT true NOT NULL,
	"oidc_jwks" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"oidc_jwks_url" text DEFAULT '' NOT NULL,
	"created" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "oauth_sources_name_unique" UNIQUE("name"),
	CONSTRAINT "oauth_sources_slug_unique" UNIQUE("slug")
);
--> statement-breakpoint
CREATE TABLE "oauth2_provider_federation_providers" (
	"provider_id" integer NOT NULL,
	"federated_provider_id" integer NOT NULL,
	CONSTRAINT "oauth2_provider_federation_providers_provider_id_federated_provider_id_pk" PRIMARY KEY("provider_id","federated_provider_id")
);
--> statement-breakpoint
CREATE TABLE "oauth2_provider_federation_sources" (
	"provider_id" integer NOT NULL,
	"source_id" uuid NOT NULL,
	CONSTRAINT "oauth2_provider_federation_sources_provider_id_source_id_pk" PRIMARY KEY("provider_id","source_id")
);
--> statement-breakpoint
CREATE TABLE "oauth2_provider_scope_mappings" (
	"provider_id" integer NOT NULL,
	"scope_mapping_id" uuid NOT NULL,
	CONSTRAINT "oauth2_provider_scope_mappings_provider_id_scope_mapping_id_pk" PRIMARY KEY("provider_id","scope_mapping_id")
);
--> statement-breakpoint
CREATE TABLE "oauth2_providers" (
	"id" serial PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"authorization_flow" text NOT NULL,
	"authentication_flow" text,
	"invalidation_flow" text,
	"client_type" text DEFAULT 'confidential' NOT NULL,
	"client_id" text NOT NULL,
	"client_secret_sealed" text NOT NULL,
	"redirect_uris" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"logout_uri" text DEFAULT '' NOT NULL,
	"logout_method" text DEFAULT 'backchannel' NOT NULL,
	"include_claims_in_id_token" boolean DEFAULT true NOT NULL,
	"access_code_validity" text DEFAULT 'minutes=1' NOT NULL,
	"access_token_validity" text DEFAULT 'hours=1' NOT NULL,
	"refresh_token_validity" text DEFAULT 'days=30' NOT NULL,
	"refresh_token_threshold" text DEFAULT 'seconds=0' NOT NULL,
	"sub_mode" text DEFAULT 'hashed_user_id' NOT NULL,
	"issuer_mode" text DEFAULT 'per_provider' NOT NULL,
	"signing_key_id" uuid,
	"encryption_key_id" uuid,
	"grant_types" jsonb NOT NULL,
	"created" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "oauth2_providers_name_unique" UNIQUE("name"),
	CONSTRAINT "oauth2_providers_client_id_unique" UNIQUE("client_id")
);
--> statement-breakpoint
CREATE TABLE "scope_mappings" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"name" text NOT NULL,
	"managed" text,
	"scope_name" text NOT NULL,
	"description" text DEFAULT '' NOT NULL,
	"expression" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"created" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "scope_mappings_name_unique" UNIQUE("name"),
	CONSTRAINT "scope_mappings_managed_unique" UNIQUE("managed")
);
--> statement-breakpoint
CREATE TABLE "access_tokens" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"token_hash" text NOT NULL,
	"jti" text NOT NULL,
	"provider_id" integer NOT NULL,
	"user_id" integer NOT NULL,
	"grant_id" uuid NOT NULL,
	"revoked" boolean DEFAULT false NOT NULL,
	"scope" text DEFAULT '' NOT NULL,
	"auth_time" timestamp with time zone NOT NULL,
	"created" timestamp with time zone DEFAULT now() NOT NULL,
	"expires" timestamp with time zone,
	"expiring" boolean DEFAULT true NOT NULL,
	"session_id" uuid,
	"id_token" jsonb NOT NULL,
	CONSTRAINT "access_tokens_token_hash_unique" UNIQUE("token_hash"),
	CONSTRAINT "access_tokens_jti_unique" UNIQUE("jti"),
	CONSTRAINT "access_tokens_expires_set" CHECK (not "access_tokens"."expiring" or "access_tokens"."expires" is not null)
);
--> statement-breakpoint
CREATE TABLE "authorization_codes" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"code_hash" text NOT NULL,
	"provider_id" integer NOT NULL,
	"user_id" integer NOT NULL,
	"grant_id" uuid NOT NULL,
	"revoked" boolean DEFAULT false NOT NULL,
	"scope" text DEFAULT '' NOT NULL,
	"auth_time" timestamp with time zone NOT NULL,
	"created" timestamp with time zone DEFAULT now() NOT NULL,
	"expires" timestamp with time zone,
	"expiring" boolean DEFAULT true NOT NULL,
	"session_id" uuid,
	"redirect_uri" text NOT NULL,
	"nonce" text,
	"code_challenge" text,
	"code_challenge_method" text,
	"consumed" timestamp with time zone,
	CONSTRAINT "authorization_codes_code_hash_unique" UNIQUE("code_hash"),
	CONSTRAINT "authorization_codes_expires_set" CHECK (not "authorization_codes"."expiring" or "authorization_codes"."expires" is not null)
);
--> statement-breakpoint
CREATE TABLE "consents" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"user_id" integer NOT NULL,
	"application_id" uuid NOT NULL,
	"permissions" text DEFAULT '' NOT NULL,
	"created" timestamp with time zone DEFAULT now() NOT NULL,
	"expires" timestamp with time zone,
	"expiring" boolean DEFAULT true NOT NULL,
	CONSTRAINT "consents_expires_set" CHECK (not "consents"."expiring" or "consents"."expires" is not null)
);
--> statement-breakpoint
CREATE TABLE "device_tokens" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"device_code_hash" text NOT NULL,
	"user_code" text NOT NULL,
	"provider_id" integer NOT NULL,
	"user_id" integer,
	"session_id" uuid,
	"scope" text DEFAULT '' NOT NULL,
	"created" timestamp with time zone DEFAULT now() NOT NULL,
	"expires" timestamp with time zone,
	"expiring" boolean DEFAULT true NOT NULL,
	CONSTRAINT "device_tokens_device_code_hash_unique" UNIQUE("device_code_hash"),
	CONSTRAINT "device_tokens_expires_set" CHECK (not "device_tokens"."expiring" or "device_tokens"."expires" is not null)
);
--> statement-breakpoint
CREATE TABLE "refresh_tokens" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"token_hash" text NOT NULL,
	"provider_id" integer NOT NULL,
	"user_id" integer NOT NULL,
	"grant_id" uuid NOT NULL,
	"revoked" boolean DEFAULT false NOT NULL,
	"scope" text DEFAULT '' NOT NULL,
	"auth_time" timestamp with time zone NOT NULL,
	"created" timestamp with time zone DEFAULT now() NOT NULL,
	"expires" timestamp with time zone,
	"expiring" boolean DEFAULT true NOT NULL,
	"session_id" uuid,
	"id_token" jsonb NOT NULL,
	CONSTRAINT "refresh_tokens_token_hash_unique" UNIQUE("token_hash"),
	CONSTRAINT "refresh_tokens_expires_set" CHECK (not "refresh_tokens"."expiring" or "refresh_tokens"."expires" is not null)
);
--> statement-breakpoint
ALTER TABLE "app_tokens" ADD CONSTRAINT "app_tokens_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "authenticated_sessions" ADD CONSTRAINT "authenticated_sessions_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "group_memberships" ADD CONSTRAINT "group_memberships_group_id_groups_id_fk" FOREIGN KEY ("group_id") REFERENCES "public"."groups"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "group_memberships" ADD CONSTRAINT "group_memberships_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "applications" ADD CONSTRAINT "applications_provider_id_oauth2_providers_id_fk" FOREIGN KEY ("provider_id") REFERENCES "public"."oauth2_providers"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "applications" ADD CONSTRAINT "applications_group_id_groups_id_fk" FOREIGN KEY ("group_id") REFERENCES "public"."groups"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "oauth2_provider_federation_providers" ADD CONSTRAINT "oauth2_provider_federation_providers_provider_id_oauth2_providers_id_fk" FOREIGN KEY ("provider_id") REFERENCES "public"."oauth2_providers"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "oauth2_provider_federation_providers" ADD CONSTRAINT "oauth2_provider_federation_providers_federated_provider_id_oauth2_providers_id_fk" FOREIGN KEY ("federated_provider_id") REFERENCES "public"."oauth2_providers"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "oauth2_provider_federation_sources" ADD CONSTRAINT "oauth2_provider_federation_sources_provider_id_oauth2_providers_id_fk" FOREIGN KEY ("provider_id") REFERENCES "public"."oauth2_providers"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "oauth2_provider_federation_sources" ADD CONSTRAINT "oauth2_provider_federation_sources_source_id_oauth_sources_id_fk" FOREIGN KEY ("source_id") REFERENCES "public"."oauth_sources"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "oauth2_provider_scope_mappings" ADD CONSTRAINT "oauth2_provider_scope_mappings_provider_id_oauth2_providers_id_fk" FOREIGN KEY ("provider_id") REFERENCES "public"."oauth2_providers"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "oauth2_provider_scope_mappings" ADD CONSTRAINT "oauth2_provider_scope_mappings_scope_mapping_id_scope_mappings_id_fk" FOREIGN KEY ("scope_mapping_id") REFERENCES "public"."scope_mappings"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "oauth2_providers" ADD CONSTRAINT "oauth2_providers_signing_key_id_key_pairs_id_fk" FOREIGN KEY ("signing_key_id") REFERENCES "public"."key_pairs"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "oauth2_providers" ADD CONSTRAINT "oauth2_providers_encryption_key_id_key_pairs_id_fk" FOREIGN KEY ("encryption_key_id") REFERENCES "public"."key_pairs"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "access_tokens" ADD CONSTRAINT "access_tokens_provider_id_oauth2_providers_id_fk" FOREIGN KEY ("provider_id") REFERENCES "public"."oauth2_providers"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "access_tokens" ADD CONSTRAINT "access_tokens_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "access_tokens" ADD CONSTRAINT "access_tokens_session_id_authenticated_sessions_id_fk" FOREIGN KEY ("session_id") REFERENCES "public"."authenticated_sessions"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "authorization_codes" ADD CONSTRAINT "authorization_codes_provider_id_oauth2_providers_id_fk" FOREIGN KEY ("provider_id") REFERENCES "public"."oauth2_providers"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "authorization_codes" ADD CONSTRAINT "authorization_codes_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "authorization_codes" ADD CONSTRAINT "authorization_codes_session_id_authenticated_sessions_id_fk" FOREIGN KEY ("session_id") REFERENCES "public"."authenticated_sessions"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "consents" ADD CONSTRAINT "consents_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "consents" ADD CONSTRAINT "consents_application_id_applications_id_fk" FOREIGN KEY ("application_id") REFERENCES "public"."applications"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "device_tokens" ADD CONSTRAINT "device_tokens_provider_id_oauth2_providers_id_fk" FOREIGN KEY ("provider_id") REFERENCES "public"."oauth2_providers"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "device_tokens" ADD CONSTRAINT "device_tokens_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "device_tokens" ADD CONSTRAINT "device_tokens_session_id_authenticated_sessions_id_fk" FOREIGN KEY ("session_id") REFERENCES "public"."authenticated_sessions"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "refresh_tokens" ADD CONSTRAINT "refresh_tokens_provider_id_oauth2_providers_id_fk" FOREIGN KEY ("provider_id") REFERENCES "public"."oauth2_providers"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "refresh_tokens" ADD CONSTRAINT "refresh_tokens_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "refresh_tokens" ADD CONSTRAINT "refresh_tokens_session_id_authenticated_sessions_id_fk" FOREIGN KEY ("session_id") REFERENCES "public"."authenticated_sessions"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "app_tokens_expires_idx" ON "app_tokens" USING btree ("expires") WHERE "app_tokens"."expiring";--> statement-breakpoint
CREATE INDEX "app_tokens_user_idx" ON "app_tokens" USING btree ("user_id");--> statement-breakpoint
CREATE INDEX "authenticated_sessions_expires_idx" ON "authenticated_sessions" USING btree ("expires") WHERE "authenticated_sessions"."expiring";--> statement-breakpoint
CREATE INDEX "authenticated_sessions_user_idx" ON "authenticated_sessions" USING btree ("user_id");--> statement-breakpoint
CREATE INDEX "events_expires_idx" ON "events" USING btree ("expires") WHERE "events"."expiring";--> statement-breakpoint
CREATE INDEX "events_action_idx" ON "events" USING btree ("action","created");--> statement-breakpoint
CREATE INDEX "events_client_idx" ON "events" USING btree ("client_id");--> statement-breakpoint
CREATE INDEX "group_memberships_user_idx" ON "group_memberships" USING btree ("user_id");--> statement-breakpoint
CREATE INDEX "login_attempts_expires_idx" ON "login_attempts" USING btree ("expires") WHERE "login_attempts"."expiring";--> statement-breakpoint
CREATE INDEX "oauth2_provider_federation_providers_fed_idx" ON "oauth2_provider_federation_providers" USING btree ("federated_provider_id");--> statement-breakpoint
CREATE INDEX "oauth2_provider_scope_mappings_mapping_idx" ON "oauth2_provider_scope_mappings" USING btree ("scope_mapping_id");--> statement-breakpoint
CREATE INDEX "oauth2_providers_signing_key_idx" ON "oauth2_providers" USING btree ("signing_key_id");--> statement-breakpoint
CREATE INDEX "oauth2_providers_encryption_key_idx" ON "oauth2_providers" USING btree ("encryption_key_id");--> statement-breakpoint
CREATE INDEX "access_tokens_expires_idx" ON "access_tokens" USING btree ("expires") WHERE "access_tokens"."expiring";--> statement-breakpoint
CREATE INDEX "access_tokens_grant_idx" ON "access_tokens" USING btree ("grant_id");--> statement-breakpoint
CREATE INDEX "access_tokens_session_idx" ON "access_tokens" USING btree ("session_id");--> statement-breakpoint
CREATE INDEX "access_tokens_user_idx" ON "access_tokens" USING btree ("user_id");--> statement-breakpoint
CREATE INDEX "authorization_codes_expires_idx" ON "authorization_codes" USING btree ("expires") WHERE "authorization_codes"."expiring";--> statement-breakpoint
CREATE INDEX "authorization_codes_grant_idx" ON "authorization_codes" USING btree ("grant_id");--> statement-breakpoint
CREATE INDEX "consents_expires_idx" ON "consents" USING btree ("expires") WHERE "consents"."expiring";--> statement-breakpoint
CREATE INDEX "consents_user_app_idx" ON "consents" USING btree ("user_id","application_id");--> statement-breakpoint
CREATE INDEX "device_tokens_expires_idx" ON "device_tokens" USING btree ("expires") WHERE "device_tokens"."expiring";--> statement-breakpoint
CREATE INDEX "device_tokens_user_code_idx" ON "device_tokens" USING btree ("user_code");--> statement-breakpoint
CREATE INDEX "refresh_tokens_expires_idx" ON "refresh_tokens" USING btree ("expires") WHERE "refresh_tokens"."expiring";--> statement-breakpoint
CREATE INDEX "refresh_tokens_grant_idx" ON "refresh_tokens" USING btree ("grant_id");--> statement-breakpoint
CREATE INDEX "refresh_tokens_user_idx" ON "refresh_tokens" USING btree ("user_id");