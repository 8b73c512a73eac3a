ALTER TABLE "executions" ADD COLUMN "scheduled_for" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "executions" ADD COLUMN "schedule_reason" text;