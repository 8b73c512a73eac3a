-- Retention of the audit log without giving up append-only: the trigger still refuses UPDATE,
-- TRUNCATE and any DELETE, except a DELETE of rows older than the cutoff that
-- zeroops_prune_audit_log() sets for its own transaction; the cutoff can never reach the last day.
CREATE OR REPLACE FUNCTION zeroops_audit_log_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  cutoff text := current_setting('zeroops.audit_prune_before', true);
BEGIN
  IF TG_OP = 'DELETE' AND cutoff IS NOT NULL AND cutoff <> ''
     AND OLD.at < least(cutoff::timestamptz, now() - interval '1 day') THEN
    RETURN OLD;
  END IF;
  RAISE EXCEPTION 'audit_log is append-only: % is not allowed', TG_OP
    USING ERRCODE = 'insufficient_privilege';
END;
$$;
--> statement-breakpoint
-- Deletes at most max_rows audit rows older than cutoff (oldest first, skipping rows other
-- sessions hold) and returns how many; the retention job's only way to remove audit rows.
-- The cutoff is clamped to a day ago, as in the trigger.
CREATE OR REPLACE FUNCTION zeroops_prune_audit_log(cutoff timestamptz, max_rows integer) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
  n integer;
BEGIN
  cutoff := least(cutoff, now() - interval '1 day');
  PERFORM set_config('zeroops.audit_prune_before', cutoff::text, true);
  DELETE FROM audit_log WHERE id IN (
    SELECT id FROM audit_log WHERE at < cutoff ORDER BY at LIMIT max_rows FOR UPDATE SKIP LOCKED
  );
  GET DIAGNOSTICS n = ROW_COUNT;
  PERFORM set_config('zeroops.audit_prune_before', '', true);
  RETURN n;
END;
$$;
