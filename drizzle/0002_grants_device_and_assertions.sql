CREATE TABLE "seen_jtis" (
	"key" text PRIMARY KEY NOT NULL,
	"created" timestamp with time zone DEFAULT now() NOT NULL,
	"expires" timestamp with time zone,
	"expiring" boolean DEFAULT true NOT NULL,
	CONSTRAINT "seen_jtis_expires_set" CHECK (not "seen_jtis"."expiring" or "seen_jtis"."expires" is not null)
);
--> statement-breakpoint
DROP INDEX "device_tokens_user_code_idx";--> statement-breakpoint
ALTER TABLE "device_tokens" ADD COLUMN "grant_id" uuid DEFAULT gen_random_uuid() NOT NULL;--> statement-breakpoint
ALTER TABLE "device_tokens" ADD COLUMN "status" text DEFAULT 'pending' NOT NULL;--> statement-breakpoint
ALTER TABLE "device_tokens" ADD COLUMN "auth_time" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "device_tokens" ADD COLUMN "last_polled" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "device_tokens" ADD COLUMN "interval" integer DEFAULT 5 NOT NULL;--> statement-breakpoint
CREATE INDEX "seen_jtis_expires_idx" ON "seen_jtis" USING btree ("expires") WHERE "seen_jtis"."expiring";--> statement-breakpoint
CREATE UNIQUE INDEX "device_tokens_user_code_key" ON "device_tokens" USING btree ("user_code");