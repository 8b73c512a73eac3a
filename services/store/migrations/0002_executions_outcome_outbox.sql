ALTER TABLE "executions" ADD COLUMN "outcome_published" boolean DEFAULT false NOT NULL;--> statement-breakpoint
CREATE INDEX "executions_playbook_created_at_idx" ON "executions" USING btree ("playbook_id","created_at");--> statement-breakpoint
CREATE INDEX "executions_created_at_idx" ON "executions" USING btree ("created_at");--> statement-breakpoint
CREATE INDEX "executions_outcome_unpublished_idx" ON "executions" USING btree ("updated_at") WHERE "outcome" IS NOT NULL AND NOT "outcome_published";--> statement-breakpoint
-- Outcomes written before the outbox existed were published (or given up on) then: do not replay history.
UPDATE "executions" SET "outcome_published" = true WHERE "outcome" IS NOT NULL;
