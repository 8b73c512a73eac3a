ALTER TABLE "executions" DROP CONSTRAINT "executions_episode_playbook_unique";--> statement-breakpoint
ALTER TABLE "executions" ADD COLUMN "attempt" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "executions" ADD CONSTRAINT "executions_episode_playbook_attempt_unique" UNIQUE("episode_id","playbook_id","attempt");