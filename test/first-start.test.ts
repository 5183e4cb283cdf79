// Several servers starting together on one new PostgreSQL database (a fleet): the migrations run
// once and the first-start site admin is created once, its token written by exactly one of them.
// (SQLite: several servers on one file are separate processes, each blocking while it waits for
// the file's lock, which one process cannot show; the code path is the same.)
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, it } from "vitest";
import { adminTokenFile, bootstrapSiteAdmin } from "../src/bootstrap.js";
import { openStore } from "../src/open-store.js";
import { createServices } from "../src/services.js";
import { openTestPostgres, postgresBackend, type TestPostgres } from "./support/postgres.js";
import { testBackend } from "./support/test-server.js";

const SERVERS = 4;
const dir = mkdtempSync(join(tmpdir(), "gatehouse-first-start-"));
let postgres: TestPostgres | null = null;
// PGlite is one in-process connection, not a database several servers can share
const skip = testBackend() !== "postgres" || (await postgresBackend()) !== "server";

afterAll(async () => {
  await postgres?.close();
  rmSync(dir, { recursive: true, force: true });
});

it.skipIf(skip)(`${SERVERS} servers starting at once on an empty database: one site admin, one token file`, async () => {
  postgres = await openTestPostgres({ migrated: false });
  const shared = join(dir, "gatehouse.db");
  const starts = Array.from({ length: SERVERS }, async (_, i) => {
    // each server has a data directory of its own (the token file goes beside its DATABASE_PATH)
    const databasePath = postgres ? join(dir, `server-${i}`, "gatehouse.db") : shared;
    const store = await openStore(
      { databaseUrl: postgres?.url ?? null, databasePoolSize: 2, databasePath, databaseSynchronous: "NORMAL" },
      { groupCommit: false },
    );
    try {
      return await bootstrapSiteAdmin(createServices(store, Buffer.alloc(32, 1)), postgres ? databasePath : join(dir, `server-${i}.db`));
    } finally {
      await store.close();
    }
  });
  const files = (await Promise.all(starts)).filter((file) => file !== null);
  expect(files).toHaveLength(1);
  expect(existsSync(files[0]!)).toBe(true);
  const written = readdirSync(dir, { recursive: true }).filter((name) => String(name).endsWith(".admin-token"));
  expect(written).toHaveLength(1);
  expect(adminTokenFile(join(dir, "x.db"))).toMatch(/x\.admin-token$/);

  const store = await openStore(
    { databaseUrl: postgres?.url ?? null, databasePoolSize: 1, databasePath: shared, databaseSynchronous: "NORMAL" },
    { groupCommit: false },
  );
  try {
    const users = await createServices(store, Buffer.alloc(32, 1)).users.list();
    expect(users.map((u) => [u.login, u.isSiteAdmin])).toEqual([["admin", true]]);
  } finally {
    await store.close();
  }
});
