CREATE TABLE "model_versions" (
	"id" text PRIMARY KEY NOT NULL,
	"kind" text NOT NULL,
	"state" text NOT NULL,
	"parent_id" text,
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
CREATE UNIQUE INDEX "model_versions_one_active_idx" ON "model_versions" USING btree ("kind") WHERE "state" = 'active';--> statement-breakpoint
CREATE UNIQUE INDEX "model_versions_one_shadow_idx" ON "model_versions" USING btree ("kind") WHERE "state" = 'shadow';--> statement-breakpoint
CREATE INDEX "model_versions_kind_state_idx" ON "model_versions" USING btree ("kind","state");