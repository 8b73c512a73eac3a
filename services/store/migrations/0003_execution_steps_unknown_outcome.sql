ALTER TABLE "execution_steps" DROP CONSTRAINT "execution_steps_status_check";--> statement-breakpoint
ALTER TABLE "execution_steps" ADD COLUMN "repeats" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "execution_steps" ADD CONSTRAINT "execution_steps_status_check" CHECK ("status" IN ('pending', 'running', 'succeeded', 'failed', 'skipped', 'undone', 'unknown'));