CREATE TABLE "deployments" (
	"id" text PRIMARY KEY NOT NULL,
	"service" text NOT NULL,
	"old_version" text,
	"new_version" text NOT NULL,
	"first_seen" timestamp with time zone NOT NULL,
	"last_seen" timestamp with time zone NOT NULL
);
--> statement-breakpoint
ALTER TABLE "feedback" DROP CONSTRAINT "feedback_subject_check";--> statement-breakpoint
ALTER TABLE "rollups" ADD COLUMN "expected" jsonb DEFAULT '{}'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "rollups" ADD COLUMN "callees" jsonb DEFAULT '{}'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "rollups" ADD COLUMN "step_seconds" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "feedback" ADD COLUMN "service" text;--> statement-breakpoint
ALTER TABLE "feedback" ADD COLUMN "from_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "feedback" ADD COLUMN "to_at" timestamp with time zone;--> statement-breakpoint
CREATE INDEX "deployments_service_first_seen_idx" ON "deployments" USING btree ("service","first_seen");--> statement-breakpoint
CREATE INDEX "deployments_first_seen_idx" ON "deployments" USING btree ("first_seen");--> statement-breakpoint
CREATE INDEX "feedback_service_created_at_idx" ON "feedback" USING btree ("service","created_at");--> statement-breakpoint
ALTER TABLE "feedback" ADD CONSTRAINT "feedback_subject_check" CHECK ("anomaly_id" IS NOT NULL OR "episode_id" IS NOT NULL OR ("service" IS NOT NULL AND "from_at" IS NOT NULL AND "to_at" IS NOT NULL));