-- INSERT OR REPLACE (and REPLACE INTO) with the id of an existing event would delete that
-- event and insert another in its place; SQLite's REPLACE deletes without firing the delete
-- trigger. An insert may only add a new id: one whose id exists is refused, whatever its
-- conflict clause. (An id left for SQLite to assign is NULL here, as in every insert
-- Gatehouse makes, and never matches.)
CREATE TRIGGER `audit_events_no_replace` BEFORE INSERT ON `audit_events`
WHEN NEW.`id` IS NOT NULL AND EXISTS (SELECT 1 FROM `audit_events` WHERE `id` = NEW.`id`)
BEGIN
	SELECT RAISE(ABORT, 'audit events are append-only');
END;
