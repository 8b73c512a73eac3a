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
ALTER TABLE "rollups" ADD COLUMN "callee_errors" jsonb DEFAULT '{}'::jsonb NOT NULL;--> statement-breakpoint
CREATE INDEX "detector_calibrations_updated_at_idx" ON "detector_calibrations" USING btree ("updated_at");