CREATE TABLE "logout_notifications" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"provider_id" integer NOT NULL,
	"user_id" integer,
	"sid" text,
	"status" text DEFAULT 'pending' NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"next_attempt" timestamp with time zone DEFAULT now() NOT NULL,
	"last_error" text,
	"delivered_at" timestamp with time zone,
	"created" timestamp with time zone DEFAULT now() NOT NULL,
	"expires" timestamp with time zone,
	"expiring" boolean DEFAULT true NOT NULL,
	CONSTRAINT "logout_notifications_expires_set" CHECK (not "logout_notifications"."expiring" or "logout_notifications"."expires" is not null)
);
--> statement-breakpoint
ALTER TABLE "logout_notifications" ADD CONSTRAINT "logout_notifications_provider_id_oauth2_providers_id_fk" FOREIGN KEY ("provider_id") REFERENCES "public"."oauth2_providers"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "logout_notifications" ADD CONSTRAINT "logout_notifications_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "logout_notifications_expires_idx" ON "logout_notifications" USING btree ("expires") WHERE "logout_notifications"."expiring";--> statement-breakpoint
CREATE INDEX "logout_notifications_pending_idx" ON "logout_notifications" USING btree ("next_attempt") WHERE "logout_notifications"."status" = 'pending';