CREATE TABLE "changes" (
	"id" text PRIMARY KEY NOT NULL,
	"service" text NOT NULL,
	"spec" jsonb NOT NULL,
	"state" text DEFAULT 'scheduled' NOT NULL,
	"reason" text DEFAULT '' NOT NULL,
	"scheduled_for" timestamp with time zone NOT NULL,
	"schedule_reason" text DEFAULT '' NOT NULL,
	"created_by" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"applied_at" timestamp with time zone,
	"watch_until" timestamp with time zone,
	"finished_at" timestamp with time zone,
	"baseline" jsonb,
	"verdict" jsonb,
	"apply_attempts" integer DEFAULT 0 NOT NULL,
	"undo_attempts" integer DEFAULT 0 NOT NULL,
	"lease_owner" text,
	"lease_expires_at" timestamp with time zone,
	CONSTRAINT "changes_state_check" CHECK ("state" IN ('scheduled', 'applying', 'watching', 'rolling_back', 'kept', 'rolled_back', 'failed', 'cancelled'))
);
--> statement-breakpoint
ALTER TABLE "executions" ADD COLUMN "forecast" jsonb;--> statement-breakpoint
CREATE INDEX "changes_state_scheduled_for_idx" ON "changes" USING btree ("state","scheduled_for");--> statement-breakpoint
CREATE INDEX "changes_service_created_at_idx" ON "changes" USING btree ("service","created_at");--> statement-breakpoint
CREATE INDEX "changes_applied_at_idx" ON "changes" USING btree ("applied_at");