DROP INDEX "model_versions_one_active_idx";--> statement-breakpoint
DROP INDEX "model_versions_one_shadow_idx";--> statement-breakpoint
ALTER TABLE "model_versions" ADD COLUMN "service" text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE "model_versions" ADD COLUMN "version" integer;--> statement-breakpoint
CREATE UNIQUE INDEX "model_versions_one_active_idx" ON "model_versions" USING btree ("kind","service") WHERE "state" = 'active';--> statement-breakpoint
CREATE UNIQUE INDEX "model_versions_one_shadow_idx" ON "model_versions" USING btree ("kind","service") WHERE "state" = 'shadow';