CREATE TABLE "deployments" (
	"id" text PRIMARY KEY NOT NULL,
	"service" text NOT NULL,
	"old_version" text,
	"new_version" text NOT NULL,
	"first_seen" timestamp with time zone NOT NULL,
	"last_seen" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "playbook_modes" (
	"playbook_id" text PRIMARY KEY NOT NULL,
	"mode" text NOT NULL,
	"pinned" boolean DEFAULT false NOT NULL,
	"successes" integer DEFAULT 0 NOT NULL,
	"failures" integer DEFAULT 0 NOT NULL,
	"streak" integer DEFAULT 0 NOT NULL,
	"observed" integer DEFAULT 0 NOT NULL,
	"reason" text DEFAULT '' NOT NULL,
	"updated_by" text DEFAULT '' NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "playbook_modes_mode_check" CHECK ("mode" IN ('observe', 'suggest', 'auto'))
);
--> statement-breakpoint
CREATE TABLE "policy_arms" (
	"signature" text NOT NULL,
	"service" text NOT NULL,
	"kind" text NOT NULL,
	"playbook_id" text NOT NULL,
	"successes" integer DEFAULT 0 NOT NULL,
	"failures" integer DEFAULT 0 NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "policy_arms_pk" PRIMARY KEY("signature","playbook_id")
);
--> statement-breakpoint
CREATE TABLE "policy_decisions" (
	"execution_id" text PRIMARY KEY NOT NULL,
	"signature" text NOT NULL,
	"chosen_playbook_id" text NOT NULL,
	"candidates" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "policy_outcomes" (
	"execution_id" text NOT NULL,
	"use" text NOT NULL,
	"outcome" text NOT NULL,
	"signature" text NOT NULL,
	"playbook_id" text NOT NULL,
	"applied_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "policy_outcomes_pk" PRIMARY KEY("execution_id","use"),
	CONSTRAINT "policy_outcomes_use_check" CHECK ("use" IN ('counted', 'observed'))
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
CREATE INDEX "policy_arms_playbook_idx" ON "policy_arms" USING btree ("playbook_id");--> statement-breakpoint
CREATE INDEX "policy_outcomes_applied_at_idx" ON "policy_outcomes" USING btree ("applied_at");--> statement-breakpoint
CREATE INDEX "feedback_service_created_at_idx" ON "feedback" USING btree ("service","created_at");--> statement-breakpoint
ALTER TABLE "feedback" ADD CONSTRAINT "feedback_subject_check" CHECK ("anomaly_id" IS NOT NULL OR "episode_id" IS NOT NULL OR ("service" IS NOT NULL AND "from_at" IS NOT NULL AND "to_at" IS NOT NULL));