-- The audit log is append-only: no statement may rewrite or remove history, whatever
-- code path (or bug, or console session) issues it. A row trigger refuses UPDATE (and so
-- INSERT … ON CONFLICT DO UPDATE) and DELETE; TRUNCATE fires no row trigger, so a statement
-- trigger refuses it (also when it arrives through TRUNCATE … CASCADE of another table).
-- A duplicate id is refused by the primary key. Operators can also revoke UPDATE, DELETE and
-- TRUNCATE on audit_events from the application's role.
CREATE FUNCTION "audit_events_refuse_change"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	RAISE EXCEPTION 'audit events are append-only' USING ERRCODE = 'restrict_violation';
END;
$$;
--> statement-breakpoint
CREATE TRIGGER "audit_events_no_update_or_delete" BEFORE UPDATE OR DELETE ON "audit_events"
	FOR EACH ROW EXECUTE FUNCTION "audit_events_refuse_change"();
--> statement-breakpoint
CREATE TRIGGER "audit_events_no_truncate" BEFORE TRUNCATE ON "audit_events"
	FOR EACH STATEMENT EXECUTE FUNCTION "audit_events_refuse_change"();
