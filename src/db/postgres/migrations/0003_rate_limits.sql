-- The fleet's rate-limit counts (src/db/postgres/rate-limit-store.ts): one row per limiter,
-- fixed window and key (a principal or a client address); `count` is what every server has
-- flushed into it so far, `max` the limit it counts against, `over_limit` whether it is spent
-- (the partial index finds those for every server, every flush, whatever the number of rows).
-- PostgreSQL only (SQLite counts in its process): not in schema.ts, and left out of the
-- schema parity (test/support/schema-introspection.ts, POSTGRES_ONLY_TABLES).
-- UNLOGGED: an increment is not worth a WAL record; a crash of the database empties the
-- table (a window's counts are forgotten once), and standbys do not have it (a promoted one
-- starts counting from zero). `count` is in no index and `over_limit` changes once, so the
-- increments are HOT updates, which the fillfactor leaves room for.
CREATE UNLOGGED TABLE "rate_limits" (
	"limiter" text NOT NULL,
	"window_start" timestamp (3) with time zone NOT NULL,
	"key" text NOT NULL,
	"count" integer NOT NULL,
	"max" integer NOT NULL,
	"over_limit" boolean GENERATED ALWAYS AS ("count" >= "max") STORED,
	CONSTRAINT "rate_limits_pkey" PRIMARY KEY ("limiter", "window_start", "key")
) WITH (fillfactor = 70);
--> statement-breakpoint
CREATE INDEX "rate_limits_over_limit" ON "rate_limits" ("limiter", "window_start") WHERE "over_limit";
