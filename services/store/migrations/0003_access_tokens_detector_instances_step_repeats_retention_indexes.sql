CREATE TABLE "detector_instances" (
	"instance_id" text PRIMARY KEY NOT NULL,
	"tracked_services" integer NOT NULL,
	"max_services" integer NOT NULL,
	"refused_records" bigint DEFAULT 0 NOT NULL,
	"refused_services" bigint DEFAULT 0 NOT NULL,
	"bad_name_records" bigint DEFAULT 0 NOT NULL,
	"evicted_services" bigint DEFAULT 0 NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "access_tokens" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"role" text NOT NULL,
	"hash" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"created_by" text NOT NULL,
	"revoked_at" timestamp with time zone,
	"revoked_by" text,
	CONSTRAINT "access_tokens_name_unique" UNIQUE("name"),
	CONSTRAINT "access_tokens_hash_unique" UNIQUE("hash"),
	CONSTRAINT "access_tokens_role_check" CHECK ("role" IN ('viewer', 'operator', 'admin', 'ingest'))
);
--> statement-breakpoint
ALTER TABLE "execution_steps" DROP CONSTRAINT "execution_steps_status_check";--> statement-breakpoint
ALTER TABLE "execution_steps" ADD COLUMN "repeats" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
CREATE INDEX "anomalies_window_end_idx" ON "anomalies" USING btree ("window_end");--> statement-breakpoint
CREATE INDEX "incidents_closed_at_idx" ON "incidents" USING btree ("closed_at") WHERE "state" = 'closed';--> statement-breakpoint
CREATE INDEX "rollups_window_end_idx" ON "rollups" USING btree ("window_end");--> statement-breakpoint
CREATE INDEX "executions_finished_at_idx" ON "executions" USING btree ("finished_at") WHERE "finished_at" IS NOT NULL;--> statement-breakpoint
ALTER TABLE "execution_steps" ADD CONSTRAINT "execution_steps_status_check" CHECK ("status" IN ('pending', 'running', 'succeeded', 'failed', 'skipped', 'undone', 'unknown'));