CREATE TABLE "calibration_labels" (
	"feedback_id" text PRIMARY KEY NOT NULL,
	"service" text NOT NULL,
	"label" text NOT NULL,
	"version" integer NOT NULL,
	"applied_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "calibration_labels_label_check" CHECK ("label" IN ('true_positive', 'false_positive', 'missed'))
);
--> statement-breakpoint
CREATE TABLE "detector_calibrations" (
	"service" text PRIMARY KEY NOT NULL,
	"version" integer DEFAULT 0 NOT NULL,
	"state" jsonb NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "model_versions" (
	"id" text PRIMARY KEY NOT NULL,
	"kind" text NOT NULL,
	"state" text NOT NULL,
	"parent_id" text,
	"service" text DEFAULT '' NOT NULL,
	"version" integer,
	"reason" text DEFAULT '' NOT NULL,
	"decision" text DEFAULT '' NOT NULL,
	"quality" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"params" jsonb,
	"shadow_windows" integer DEFAULT 0 NOT NULL,
	"shadow_alarms" integer DEFAULT 0 NOT NULL,
	"baseline_alarms" integer DEFAULT 0 NOT NULL,
	"shadow_error_sum" double precision DEFAULT 0 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"promoted_at" timestamp with time zone,
	"retired_at" timestamp with time zone,
	CONSTRAINT "model_versions_kind_check" CHECK ("kind" IN ('neural', 'calibration', 'baselines')),
	CONSTRAINT "model_versions_state_check" CHECK ("state" IN ('shadow', 'active', 'retired'))
);
--> statement-breakpoint
ALTER TABLE "executions" ADD COLUMN "scheduled_for" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "executions" ADD COLUMN "schedule_reason" text;--> statement-breakpoint
ALTER TABLE "rollups" ADD COLUMN "callee_errors" jsonb DEFAULT '{}'::jsonb NOT NULL;--> statement-breakpoint
CREATE INDEX "detector_calibrations_updated_at_idx" ON "detector_calibrations" USING btree ("updated_at");--> statement-breakpoint
CREATE UNIQUE INDEX "model_versions_one_active_idx" ON "model_versions" USING btree ("kind","service") WHERE "state" = 'active';--> statement-breakpoint
CREATE UNIQUE INDEX "model_versions_one_shadow_idx" ON "model_versions" USING btree ("kind","service") WHERE "state" = 'shadow';--> statement-breakpoint
CREATE INDEX "model_versions_kind_state_idx" ON "model_versions" USING btree ("kind","state");