// npx tsx test/bench/postgres-research.ts
// Figures for the PostgreSQL backend's design (src/db/postgres/README.md): PGlite start-up and
// per-query cost, how drizzle's PGlite driver treats concurrent transactions and plain queries
// on its single connection, CREATE DATABASE … TEMPLATE on the local server, and drizzle's
// sqlite-proxy driver over better-sqlite3 against drizzle's better-sqlite3 driver.
// Research, not a gate: prints a report; nothing here asserts on time.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PGlite } from "@electric-sql/pglite";
import Database from "better-sqlite3";
import { eq, sql } from "drizzle-orm";
import { drizzle as drizzleBetterSqlite } from "drizzle-orm/better-sqlite3";
import { drizzle as drizzleNodePg } from "drizzle-orm/node-postgres";
import { drizzle as drizzlePglite } from "drizzle-orm/pglite";
import { drizzle as drizzleProxy } from "drizzle-orm/sqlite-proxy";
import pg from "pg";
import { openSqlite } from "../../src/db/sqlite/connection.js";
import { migratePostgres } from "../../src/db/postgres/migrate.js";
import * as pgSchema from "../../src/db/postgres/schema.js";
import * as sqliteSchema from "../../src/db/schema.js";

const SERVER_URL = process.env.TEST_DATABASE_URL || "postgres://postgres@127.0.0.1:5432/postgres";
const now = () => performance.now();
const ms = (x: number) => `${x.toFixed(1)} ms`;
const us = (x: number) => `${x.toFixed(1)} µs`;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const sleep = (t: number) => new Promise((resolve) => setTimeout(resolve, t));

/** µs per awaited call of `once`, median of `rounds` rounds of `n` calls. */
async function perCall(n: number, rounds: number, once: (i: number) => Promise<unknown>): Promise<number> {
  for (let i = 0; i < Math.min(n, 1000); i++) await once(i); // warm-up
  const results: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const start = now();
    for (let i = 0; i < n; i++) await once(i);
    results.push(((now() - start) * 1000) / n);
  }
  return median(results);
}

const USERS = 1000;
const userRows = Array.from({ length: USERS }, (_, i) => ({
  id: `u${i}`,
  login: `user${i}`,
  name: `User ${i}`,
  createdAt: new Date(1_700_000_000_000 + i),
}));

async function pgliteFigures() {
  console.log("## PGlite (in-process, in-memory)");
  const starts: number[] = [];
  for (let i = 0; i < 3; i++) {
    const t = now();
    const client = await PGlite.create();
    starts.push(now() - t);
    await client.close();
  }
  console.log(`start-up (PGlite.create, in-memory): ${starts.map(ms).join(", ")} (the first includes compiling the WASM)`);
  const client = await PGlite.create();
  let t = now();
  await migratePostgres(client);
  console.log(`migrations applied: ${ms(now() - t)}`);
  t = now();
  const snapshot = await client.dumpDataDir("none");
  console.log(`snapshot (dumpDataDir, uncompressed): ${ms(now() - t)}, ${(snapshot.size / 1e6).toFixed(1)} MB`);
  const loads: number[] = [];
  for (let i = 0; i < 3; i++) {
    t = now();
    const copy = await PGlite.create({ loadDataDir: snapshot });
    loads.push(now() - t);
    await copy.close();
  }
  console.log(`start from the snapshot (migrated database): ${loads.map(ms).join(", ")}`);

  const db = drizzlePglite(client, { schema: pgSchema });
  await db.insert(pgSchema.usersTable).values(userRows);
  const point = db
    .select()
    .from(pgSchema.usersTable)
    .where(eq(pgSchema.usersTable.id, sql.placeholder("id")))
    .prepare("point");
  console.log(`prepared point select (drizzle, awaited): ${us(await perCall(2000, 3, (i) => point.execute({ id: `u${i % USERS}` })))}`);
  console.log(
    `the same point select without drizzle (client.query with a parameter): ${us(await perCall(2000, 3, (i) => client.query("SELECT * FROM users WHERE id = $1", [`u${i % USERS}`])))}`,
  );
  console.log(`SELECT 1 (client.query): ${us(await perCall(2000, 3, () => client.query("SELECT 1")))}`);
  const inserts = await perCall(500, 3, (i) =>
    db.transaction((tx) =>
      tx
        .insert(pgSchema.organizationsTable)
        .values({ id: `o${i}-${Math.random()}`, name: `o${Math.random()}`, displayName: "O", createdAt: new Date() }),
    ),
  );
  console.log(`one-insert transaction (drizzle db.transaction): ${us(inserts)}`);
  await client.close();
}

async function pgliteConcurrency() {
  console.log("\n## drizzle's PGlite driver: concurrency on its one connection");
  const client = await PGlite.create();
  const db = drizzlePglite(client);
  await db.execute(sql`CREATE TABLE t (id int PRIMARY KEY, who text)`);
  let t0 = now();
  const log: string[] = [];
  const stamp = (s: string) => log.push(`${Math.round(now() - t0)} ms ${s}`);

  await Promise.all([
    db.transaction(async (tx) => {
      stamp("A begins");
      await tx.execute(sql`INSERT INTO t VALUES (1, 'A')`);
      await sleep(100);
      await tx.execute(sql`INSERT INTO t VALUES (2, 'A')`);
      stamp("A ends");
    }),
    db.transaction(async (tx) => {
      stamp("B begins");
      await tx.execute(sql`INSERT INTO t VALUES (3, 'B')`);
      stamp("B ends");
    }),
  ]);
  console.log(`two concurrent db.transaction calls: ${log.splice(0).join("; ")}`);

  t0 = now();
  const rolledBack = db
    .transaction(async (tx) => {
      await tx.execute(sql`INSERT INTO t VALUES (10, 'C')`);
      stamp("C inserted 10, now waits 100 ms, then throws");
      await sleep(100);
      throw new Error("rollback");
    })
    .catch(() => stamp("C rolled back"));
  await sleep(20);
  stamp("plain SELECT of id 10 issued outside the transaction");
  const seen = await db.execute<{ n: number }>(sql`SELECT count(*)::int AS n FROM t WHERE id = 10`);
  stamp(`plain SELECT answered: ${seen.rows[0]!.n} row(s)`);
  await rolledBack;
  console.log(`plain query during another caller's transaction: ${log.splice(0).join("; ")}`);

  t0 = now();
  const rolledBack2 = db
    .transaction(async (tx) => {
      await tx.execute(sql`INSERT INTO t VALUES (20, 'D')`);
      await sleep(50);
      throw new Error("rollback");
    })
    .catch(() => stamp("D rolled back"));
  await sleep(10);
  await db.execute(sql`INSERT INTO t VALUES (21, 'plain')`);
  stamp("plain INSERT of 21 returned");
  await rolledBack2;
  const kept = await db.execute<{ id: number }>(sql`SELECT id FROM t WHERE id IN (20, 21) ORDER BY id`);
  console.log(
    `plain write during a transaction that rolls back: ${log.splice(0).join("; ")}; rows kept: ${JSON.stringify(kept.rows.map((r) => r.id))}`,
  );

  const outcome = await Promise.race([
    db.transaction(async () => {
      await db.execute(sql`SELECT 1`); // the outer db, not tx
      return "completed";
    }),
    sleep(2000).then(() => "still waiting after 2 s: a deadlock (the query waits for the transaction that waits for it)"),
  ]);
  console.log(`the outer db used inside a transaction callback: ${outcome}`);
  // the deadlocked transaction holds PGlite's lock for good: the instance is abandoned, not closed
}

async function serverFigures() {
  console.log("\n## Local PostgreSQL server");
  const admin = new pg.Client({ connectionString: SERVER_URL, connectionTimeoutMillis: 1000 });
  try {
    await admin.connect();
  } catch {
    console.log(`no server answers at ${SERVER_URL}: skipped`);
    return;
  }
  const version = (await admin.query<{ server_version: string }>("SHOW server_version")).rows[0]!.server_version;
  console.log(`server ${version}`);
  const template = `gatehouse_research_tpl_${process.pid}`;
  await admin.query(`CREATE DATABASE ${template}`);
  const url = new URL(SERVER_URL);
  url.pathname = `/${template}`;
  const migrating = new pg.Client({ connectionString: url.toString() });
  await migrating.connect();
  let t = now();
  await migratePostgres(migrating);
  console.log(`migrations applied to an empty database: ${ms(now() - t)}`);
  await migrating.end();
  for (const strategy of ["WAL_LOG", "FILE_COPY"]) {
    const creates: number[] = [];
    const drops: number[] = [];
    for (let i = 0; i < 5; i++) {
      const name = `gatehouse_research_copy_${process.pid}_${i}`;
      t = now();
      await admin.query(`CREATE DATABASE ${name} TEMPLATE ${template} STRATEGY ${strategy}`);
      creates.push(now() - t);
      t = now();
      await admin.query(`DROP DATABASE ${name}`);
      drops.push(now() - t);
    }
    console.log(
      `CREATE DATABASE … TEMPLATE (STRATEGY ${strategy}): median ${ms(median(creates))} [${creates.map((x) => x.toFixed(0)).join(", ")}]; DROP: median ${ms(median(drops))}`,
    );
  }
  const concurrent = 4;
  t = now();
  await Promise.all(
    Array.from({ length: concurrent }, async (_, i) => {
      const c = new pg.Client({ connectionString: SERVER_URL });
      await c.connect();
      await c.query(`CREATE DATABASE gatehouse_research_par_${process.pid}_${i} TEMPLATE ${template}`);
      await c.end();
    }),
  );
  console.log(`${concurrent} concurrent copies of one template: ${ms(now() - t)} in all, none refused`);
  for (let i = 0; i < concurrent; i++) await admin.query(`DROP DATABASE gatehouse_research_par_${process.pid}_${i}`);

  const pool = new pg.Pool({ connectionString: url.toString(), max: 1 });
  const db = drizzleNodePg(pool, { schema: pgSchema });
  await db.insert(pgSchema.usersTable).values(userRows);
  const point = db
    .select()
    .from(pgSchema.usersTable)
    .where(eq(pgSchema.usersTable.id, sql.placeholder("id")))
    .prepare("point");
  console.log(
    `prepared point select (drizzle node-postgres, pool of 1, awaited): ${us(await perCall(2000, 3, (i) => point.execute({ id: `u${i % USERS}` })))}`,
  );
  await pool.end();
  await admin.query(`DROP DATABASE ${template}`);
  await admin.end();
}

async function sqliteProxyFigures() {
  console.log("\n## drizzle sqlite-proxy over better-sqlite3 vs drizzle's better-sqlite3 driver");
  const dir = mkdtempSync(join(tmpdir(), "gatehouse-research-"));
  const client = openSqlite(join(dir, "research.db"), { synchronous: "NORMAL" });
  const direct = drizzleBetterSqlite(client, { schema: sqliteSchema });
  direct.insert(sqliteSchema.usersTable).values(userRows).run();

  // the proxy: one better-sqlite3 statement per SQL text, kept; rows as arrays (raw mode),
  // which is what drizzle's proxy driver maps back to objects
  const statements = new Map<string, Database.Statement>();
  const statement = (text: string) => {
    let s = statements.get(text);
    if (!s) statements.set(text, (s = client.prepare(text)));
    return s;
  };
  const proxy = drizzleProxy(
    async (text, params, method) => {
      const s = statement(text);
      if (method === "run") {
        s.run(...params);
        return { rows: [] };
      }
      if (method === "get") return { rows: s.raw(true).get(...params) as unknown[] };
      return { rows: s.raw(true).all(...params) as unknown[][] };
    },
    { schema: sqliteSchema },
  );

  const directPoint = direct
    .select()
    .from(sqliteSchema.usersTable)
    .where(eq(sqliteSchema.usersTable.id, sql.placeholder("id")))
    .prepare();
  const proxyPoint = proxy
    .select()
    .from(sqliteSchema.usersTable)
    .where(eq(sqliteSchema.usersTable.id, sql.placeholder("id")))
    .prepare();
  const a = directPoint.get({ id: "u7" });
  const b = await proxyPoint.get({ id: "u7" });
  console.log(
    `same row both ways (Date and boolean columns decoded): ${JSON.stringify(a) === JSON.stringify(b)}; proxy row: ${JSON.stringify(b)}`,
  );
  console.log(`statements the proxy prepared for it: ${statements.size} (reused on every call)`);
  const byId = await proxy.query.usersTable.findFirst({ where: (u, { eq }) => eq(u.id, "u8") });
  console.log(`relational query through the proxy: ${byId?.login}`);

  const rounds: Array<{ direct: number; awaitedDirect: number; proxy: number }> = [];
  for (let r = 0; r < 3; r++) {
    const n = 50_000;
    const round = {
      direct: await perCall(n, 1, async (i) => directPoint.get({ id: `u${i % USERS}` })),
      awaitedDirect: await perCall(n, 1, async (i) => await Promise.resolve(directPoint.get({ id: `u${i % USERS}` }))),
      proxy: await perCall(n, 1, (i) => proxyPoint.get({ id: `u${i % USERS}` })),
    };
    rounds.push(round);
  }
  const m = (key: keyof (typeof rounds)[number]) => median(rounds.map((r) => r[key]));
  console.log(`prepared point select, better-sqlite3 driver (sync call inside an async function, awaited): ${us(m("direct"))}`);
  console.log(`the same with an extra awaited Promise.resolve: ${us(m("awaitedDirect"))}`);
  console.log(
    `prepared point select, sqlite-proxy over better-sqlite3 (awaited): ${us(m("proxy"))} (${(m("proxy") / m("direct")).toFixed(2)}×)`,
  );
  client.close();
  rmSync(dir, { recursive: true, force: true });
}

await pgliteFigures();
await pgliteConcurrency();
await serverFigures();
await sqliteProxyFigures();
process.exit(0); // the deadlocked PGlite of pgliteConcurrency keeps the loop alive
