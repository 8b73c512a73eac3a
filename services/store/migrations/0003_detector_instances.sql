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
