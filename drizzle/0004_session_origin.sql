ALTER TABLE "authenticated_sessions" ADD COLUMN "origin" text;--> statement-breakpoint
ALTER TABLE "logout_notifications" ADD COLUMN "origin" text;