// The PostgreSQL migrations: applied once when several servers start together, and the
// append-only audit table on PostgreSQL. Runs on the local server when one answers, else on
// PGlite (TEST_POSTGRES=pglite forces it).
import { appendFileSync, cpSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { migratePostgres, POSTGRES_MIGRATIONS_FOLDER } from "../src/db/postgres/migrate.js";
import { openTestPostgres, postgresBackend, type TestPostgres, testPool } from "./support/postgres.js";
import { testBackend } from "./support/test-server.js";

// PostgreSQL's migrations on test databases of their own, not the backend under test: run once,
// in the postgres project (the sqlite project would repeat it)
const runsHere = testBackend() === "postgres";
const backend = runsHere ? await postgresBackend() : "skipped";
const journal = JSON.parse(readFileSync(join(POSTGRES_MIGRATIONS_FOLDER, "meta/_journal.json"), "utf8")) as {
  entries: Array<{ tag: string; when: number }>;
};

describe.skipIf(!runsHere)(`PostgreSQL migrations (${backend})`, () => {
  it("several servers migrating a fresh database at once all succeed, and each migration is applied once", async () => {
    const fresh = await openTestPostgres({ migrated: false });
    const pools: pg.Pool[] = [];
    try {
      const runs =
        backend === "server"
          ? Array.from({ length: 4 }, () => {
              const pool = testPool(fresh.url!, 2);
              pools.push(pool);
              return migratePostgres(pool);
            })
          : Array.from({ length: 4 }, () => migratePostgres(fresh.pglite!));
      const results = await Promise.allSettled(runs);
      expect(results.map((r) => (r.status === "rejected" ? String(r.reason?.cause ?? r.reason) : "ok"))).toEqual(["ok", "ok", "ok", "ok"]);
      const applied = await fresh.query<{ created_at: string }>("SELECT created_at FROM drizzle.__drizzle_migrations ORDER BY id");
      expect(applied.map((row) => Number(row.created_at))).toEqual(journal.entries.map((entry) => entry.when));
      // and again later: nothing more to apply
      await migratePostgres(pools[0] ?? fresh.pglite!);
      expect(await fresh.query("SELECT 1 FROM drizzle.__drizzle_migrations")).toHaveLength(journal.entries.length);
    } finally {
      await Promise.all(pools.map((pool) => pool.end()));
      await fresh.close();
    }
  });
});

describe.skipIf(!runsHere)(`a failed migration (${backend})`, () => {
  it("is rolled back whole, raises, and leaves the lock free for the next run", async () => {
    const broken = mkdtempSync(join(tmpdir(), "gatehouse-broken-migrations-"));
    cpSync(POSTGRES_MIGRATIONS_FOLDER, broken, { recursive: true });
    appendFileSync(join(broken, "0001_audit_append_only.sql"), "\n--> statement-breakpoint\nSELECT no_such_function();\n");
    const fresh = await openTestPostgres({ migrated: false });
    const pool = backend === "server" ? testPool(fresh.url!, 1) : undefined;
    const target = pool ?? fresh.pglite!;
    try {
      await expect(migratePostgres(target, broken)).rejects.toThrow();
      expect(await fresh.query("SELECT 1 FROM information_schema.tables WHERE table_name = 'audit_events'")).toEqual([]);
      if (pool) {
        const held = await fresh.query(
          "SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
        );
        expect(held).toEqual([]);
      }
      await migratePostgres(target);
      expect(await fresh.query("SELECT 1 FROM drizzle.__drizzle_migrations")).toHaveLength(journal.entries.length);
    } finally {
      await pool?.end();
      await fresh.close();
      rmSync(broken, { recursive: true, force: true });
    }
  });
});

describe.skipIf(!runsHere)(`audit_events is append-only on PostgreSQL (${backend})`, () => {
  let database: TestPostgres;
  const refused = { message: "audit events are append-only", code: "23001" };

  beforeAll(async () => {
    database = await openTestPostgres();
    await database.query(
      "INSERT INTO organizations (id, name, display_name, created_at) VALUES ('o1', 'acme', 'Acme', now()), ('o2', 'other', 'Other', now())",
    );
    await insertEvent(1);
    await insertEvent(2);
  });
  afterAll(() => database?.close());

  const insertEvent = (id: number, suffix = "") =>
    database.query(
      `INSERT INTO audit_events (id, organization_id, timestamp, event, description, require_org_admin, require_stack_admin, auth_failure)
       VALUES ($1, 'o1', now(), 'team-created', 'created a team', false, false, false) ${suffix}`,
      [id],
    );
  const failure = async (promise: Promise<unknown>) => {
    const error = await promise.then(
      () => undefined,
      (e: unknown) => e as { message?: string; code?: string; cause?: { message?: string; code?: string } },
    );
    expect(error, "the statement was expected to fail").toBeDefined();
    const e = error!.code ? error! : (error!.cause ?? error!);
    return { message: e.message, code: e.code };
  };
  const events = async () => (await database.query<{ id: number }>("SELECT id FROM audit_events ORDER BY id")).map((r) => Number(r.id)); // bigint: the driver gives a string

  it("accepts inserts", async () => {
    expect(await events()).toEqual([1, 2]);
  });

  it("refuses UPDATE", async () => {
    expect(await failure(database.query("UPDATE audit_events SET description = 'rewritten' WHERE id = 1"))).toEqual(refused);
  });

  it("refuses DELETE", async () => {
    expect(await failure(database.query("DELETE FROM audit_events WHERE id = 2"))).toEqual(refused);
    expect(await events()).toEqual([1, 2]);
  });

  it("refuses TRUNCATE, also when it arrives by CASCADE from another table", async () => {
    expect(await failure(database.query("TRUNCATE audit_events"))).toEqual(refused);
    expect(await failure(database.query("TRUNCATE organizations CASCADE"))).toEqual(refused);
    expect(await events()).toEqual([1, 2]);
  });

  it("refuses an insert whose id exists (the primary key), and an upsert onto one (the UPDATE trigger)", async () => {
    expect(await failure(insertEvent(1))).toEqual({
      message: 'duplicate key value violates unique constraint "audit_events_pkey"',
      code: "23505",
    });
    expect(await failure(insertEvent(1, "ON CONFLICT (id) DO UPDATE SET description = 'rewritten'"))).toEqual(refused);
    const [row] = await database.query<{ description: string }>("SELECT description FROM audit_events WHERE id = 1");
    expect(row?.description).toBe("created a team");
  });

  it("the refusals hold through drizzle too", async () => {
    const { auditEventsTable } = await import("../src/db/postgres/schema.js");
    const { eq } = await import("drizzle-orm");
    expect(await failure(database.db.update(auditEventsTable).set({ event: "x" }).where(eq(auditEventsTable.id, 1)))).toEqual(refused);
    expect(await failure(database.db.delete(auditEventsTable))).toEqual(refused);
  });
});
