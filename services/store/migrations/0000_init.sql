CREATE TABLE "services" (
	"name" text PRIMARY KEY NOT NULL,
	"first_seen" timestamp with time zone DEFAULT now() NOT NULL,
	"last_seen" timestamp with time zone DEFAULT now() NOT NULL,
	"attributes" jsonb DEFAULT '{}'::jsonb NOT NULL
);
--> statement-breakpoint
CREATE TABLE "anomalies" (
	"id" text PRIMARY KEY NOT NULL,
	"service" text NOT NULL,
	"episode_id" text NOT NULL,
	"window_start" timestamp with time zone NOT NULL,
	"window_end" timestamp with time zone NOT NULL,
	"score" double precision NOT NULL,
	"likelihood" double precision NOT NULL,
	"severity" text NOT NULL,
	"kind" text NOT NULL,
	"evidence" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"root_causes" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"model_version" text DEFAULT '' NOT NULL,
	"episode_state" text NOT NULL,
	"flapping" boolean DEFAULT false NOT NULL,
	"attributes" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"detected_at" timestamp with time zone NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "incidents" (
	"id" text PRIMARY KEY NOT NULL,
	"service" text NOT NULL,
	"kind" text NOT NULL,
	"severity" text NOT NULL,
	"state" text DEFAULT 'open' NOT NULL,
	"opened_at" timestamp with time zone NOT NULL,
	"closed_at" timestamp with time zone,
	"max_score" double precision DEFAULT 0 NOT NULL,
	"last_score" double precision DEFAULT 0 NOT NULL,
	"flapping" boolean DEFAULT false NOT NULL,
	"needed_human" boolean DEFAULT false NOT NULL,
	"resolved_by" text,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "incidents_state_check" CHECK ("state" IN ('open', 'closed')),
	CONSTRAINT "incidents_resolved_by_check" CHECK ("resolved_by" IS NULL OR "resolved_by" IN ('auto', 'human', 'self'))
);
--> statement-breakpoint
CREATE TABLE "rollups" (
	"service" text NOT NULL,
	"window_end" timestamp with time zone NOT NULL,
	"features" jsonb NOT NULL,
	"score" double precision NOT NULL,
	CONSTRAINT "rollups_pk" PRIMARY KEY("service","window_end")
);
--> statement-breakpoint
CREATE TABLE "detector_checkpoints" (
	"partition_key" text PRIMARY KEY NOT NULL,
	"state" jsonb NOT NULL,
	"blob" "bytea",
	"model_version" text DEFAULT '' NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "playbook_versions" (
	"playbook_id" text NOT NULL,
	"version" integer NOT NULL,
	"spec" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"created_by" text DEFAULT '' NOT NULL,
	CONSTRAINT "playbook_versions_pk" PRIMARY KEY("playbook_id","version")
);
--> statement-breakpoint
CREATE TABLE "playbooks" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"current_version" integer DEFAULT 1 NOT NULL,
	"deleted_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "playbooks_name_unique" UNIQUE("name")
);
--> statement-breakpoint
CREATE TABLE "execution_steps" (
	"execution_id" text NOT NULL,
	"step_index" integer NOT NULL,
	"name" text NOT NULL,
	"type" text NOT NULL,
	"idempotency_key" text NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"attempt" integer DEFAULT 0 NOT NULL,
	"request" jsonb,
	"response" jsonb,
	"error" text,
	"started_at" timestamp with time zone,
	"finished_at" timestamp with time zone,
	CONSTRAINT "execution_steps_pk" PRIMARY KEY("execution_id","step_index"),
	CONSTRAINT "execution_steps_idempotency_key_unique" UNIQUE("idempotency_key"),
	CONSTRAINT "execution_steps_status_check" CHECK ("status" IN ('pending', 'running', 'succeeded', 'failed', 'skipped', 'undone'))
);
--> statement-breakpoint
CREATE TABLE "executions" (
	"id" text PRIMARY KEY NOT NULL,
	"episode_id" text NOT NULL,
	"anomaly_id" text NOT NULL,
	"service" text NOT NULL,
	"playbook_id" text NOT NULL,
	"playbook_version" integer NOT NULL,
	"mode" text NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"outcome" text,
	"reason" text DEFAULT '' NOT NULL,
	"score_before" double precision NOT NULL,
	"score_after" double precision,
	"lease_owner" text,
	"lease_expires_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"finished_at" timestamp with time zone,
	CONSTRAINT "executions_episode_playbook_unique" UNIQUE("episode_id","playbook_id"),
	CONSTRAINT "executions_mode_check" CHECK ("mode" IN ('observe', 'suggest', 'auto')),
	CONSTRAINT "executions_status_check" CHECK ("status" IN ('pending', 'running', 'awaiting_approval', 'succeeded', 'failed', 'cancelled', 'skipped', 'timed_out'))
);
--> statement-breakpoint
CREATE TABLE "audit_log" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"at" timestamp with time zone DEFAULT now() NOT NULL,
	"actor" text NOT NULL,
	"action" text NOT NULL,
	"subject_type" text NOT NULL,
	"subject_id" text NOT NULL,
	"details" jsonb DEFAULT '{}'::jsonb NOT NULL
);
--> statement-breakpoint
CREATE TABLE "feedback" (
	"id" text PRIMARY KEY NOT NULL,
	"anomaly_id" text,
	"episode_id" text,
	"label" text NOT NULL,
	"actor" text NOT NULL,
	"note" text DEFAULT '' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "feedback_label_check" CHECK ("label" IN ('true_positive', 'false_positive', 'missed')),
	CONSTRAINT "feedback_subject_check" CHECK ("anomaly_id" IS NOT NULL OR "episode_id" IS NOT NULL)
);
--> statement-breakpoint
ALTER TABLE "playbook_versions" ADD CONSTRAINT "playbook_versions_playbook_fk" FOREIGN KEY ("playbook_id") REFERENCES "public"."playbooks"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "execution_steps" ADD CONSTRAINT "execution_steps_execution_fk" FOREIGN KEY ("execution_id") REFERENCES "public"."executions"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "executions" ADD CONSTRAINT "executions_playbook_version_fk" FOREIGN KEY ("playbook_id","playbook_version") REFERENCES "public"."playbook_versions"("playbook_id","version") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "anomalies_service_window_end_idx" ON "anomalies" USING btree ("service","window_end");--> statement-breakpoint
CREATE INDEX "anomalies_episode_id_idx" ON "anomalies" USING btree ("episode_id");--> statement-breakpoint
CREATE INDEX "incidents_service_opened_at_idx" ON "incidents" USING btree ("service","opened_at");--> statement-breakpoint
CREATE INDEX "incidents_state_idx" ON "incidents" USING btree ("state");--> statement-breakpoint
CREATE INDEX "executions_service_created_at_idx" ON "executions" USING btree ("service","created_at");--> statement-breakpoint
CREATE INDEX "executions_status_idx" ON "executions" USING btree ("status");--> statement-breakpoint
CREATE INDEX "audit_log_subject_idx" ON "audit_log" USING btree ("subject_type","subject_id");--> statement-breakpoint
CREATE INDEX "audit_log_at_idx" ON "audit_log" USING btree ("at");--> statement-breakpoint
CREATE INDEX "feedback_episode_id_idx" ON "feedback" USING btree ("episode_id");--> statement-breakpoint
CREATE INDEX "feedback_anomaly_id_idx" ON "feedback" USING btree ("anomaly_id");