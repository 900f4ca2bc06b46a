CREATE TABLE "pushed_authorization_requests" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"request_uri_hash" text NOT NULL,
	"provider_id" integer NOT NULL,
	"parameters" jsonb NOT NULL,
	"created" timestamp with time zone DEFAULT now() NOT NULL,
	"expires" timestamp with time zone,
	"expiring" boolean DEFAULT true NOT NULL,
	CONSTRAINT "pushed_authorization_requests_request_uri_hash_unique" UNIQUE("request_uri_hash"),
	CONSTRAINT "pushed_authorization_requests_expires_set" CHECK (not "pushed_authorization_requests"."expiring" or "pushed_authorization_requests"."expires" is not null)
);
--> statement-breakpoint
ALTER TABLE "oauth2_providers" ADD COLUMN "dpop_bound_access_tokens" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "oauth2_providers" ADD COLUMN "dpop_require_nonce" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "oauth2_providers" ADD COLUMN "require_pushed_authorization_requests" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "oauth2_providers" ADD COLUMN "access_token_format" text DEFAULT 'authentik' NOT NULL;--> statement-breakpoint
ALTER TABLE "oauth2_providers" ADD COLUMN "allowed_resources" jsonb DEFAULT '[]'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "oauth2_providers" ADD COLUMN "next_signing_key_id" uuid;--> statement-breakpoint
ALTER TABLE "oauth2_providers" ADD COLUMN "previous_signing_key_id" uuid;--> statement-breakpoint
ALTER TABLE "oauth2_providers" ADD COLUMN "previous_signing_key_expires" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "oauth2_providers" ADD COLUMN "signing_key_rotation" text;--> statement-breakpoint
ALTER TABLE "oauth2_providers" ADD COLUMN "signing_key_rotated" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "oauth2_providers" ADD COLUMN "refresh_token_reuse_interval" text DEFAULT 'seconds=0' NOT NULL;--> statement-breakpoint
ALTER TABLE "access_tokens" ADD COLUMN "jkt" text;--> statement-breakpoint
ALTER TABLE "access_tokens" ADD COLUMN "audience" jsonb;--> statement-breakpoint
ALTER TABLE "authorization_codes" ADD COLUMN "resources" jsonb;--> statement-breakpoint
ALTER TABLE "authorization_codes" ADD COLUMN "dpop_jkt" text;--> statement-breakpoint
ALTER TABLE "refresh_tokens" ADD COLUMN "jkt" text;--> statement-breakpoint
ALTER TABLE "refresh_tokens" ADD COLUMN "resources" jsonb;--> statement-breakpoint
ALTER TABLE "refresh_tokens" ADD COLUMN "rotated" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "refresh_tokens" ADD COLUMN "successor_id" uuid;--> statement-breakpoint
ALTER TABLE "pushed_authorization_requests" ADD CONSTRAINT "pushed_authorization_requests_provider_id_oauth2_providers_id_fk" FOREIGN KEY ("provider_id") REFERENCES "public"."oauth2_providers"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "pushed_authorization_requests_expires_idx" ON "pushed_authorization_requests" USING btree ("expires") WHERE "pushed_authorization_requests"."expiring";--> statement-breakpoint
ALTER TABLE "oauth2_providers" ADD CONSTRAINT "oauth2_providers_next_signing_key_id_key_pairs_id_fk" FOREIGN KEY ("next_signing_key_id") REFERENCES "public"."key_pairs"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "oauth2_providers" ADD CONSTRAINT "oauth2_providers_previous_signing_key_id_key_pairs_id_fk" FOREIGN KEY ("previous_signing_key_id") REFERENCES "public"."key_pairs"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "oauth2_providers_next_signing_key_idx" ON "oauth2_providers" USING btree ("next_signing_key_id");--> statement-breakpoint
CREATE INDEX "oauth2_providers_previous_signing_key_idx" ON "oauth2_providers" USING btree ("previous_signing_key_id");