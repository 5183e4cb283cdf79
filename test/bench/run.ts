// npm run bench -- [results.json]
// Builds the server, seeds file databases at scale, starts the real server (and the
// baselines, each in its own process) and drives them with autocannon: 50 connections,
// a warm-up, then 10 s per scenario. S1 and S2 run against the plain Apollo baseline with
// both servers up, in alternating rounds (BENCH_ROUNDS, 3), so the two ratios the machine's
// drift would skew most compare like with like. Prints a table of req/s, p50, p99 and the
// ratios to the baselines measured in the same run, and writes the same as JSON.
// Then (issue 15) S1, S2 and S4 on PostgreSQL: a fresh database on the local server
// (test/support/postgres.ts), seeded at the same scale, the same server build on it
// (DATABASE_URL), and plain `pg` committing S4's rows; printed beside the SQLite figures,
// reported, never gated. Skipped with a line when no server answers (PGlite only) or with
// BENCH_POSTGRES=off; BENCH_POSTGRES_SCALE=small seeds the small scale instead.
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import type { AddressInfo } from "node:net";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import autocannon from "autocannon";
import pg from "pg";
import { openSqlite } from "../../src/db/sqlite/connection.js";
import { openTestPostgres, postgresBackend } from "../support/postgres.js";
import { BENCH_KEY, LARGE, type Seeded, SMALL, seed, seedPostgres } from "./seed.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const DURATION = Number(process.env.BENCH_SECONDS ?? 10);
const WARMUP = Number(process.env.BENCH_WARMUP_SECONDS ?? 2);
/** Rounds of the paired scenarios (S1 and S2 against the plain server), alternating order. */
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CONNECTIONS = 50;
const out = process.argv[2] ?? join(ROOT, "bench-results.json");

interface Started {
  port: number;
  child: ChildProcess;
  readyMs: number;
  stop(): Promise<void>;
}

/** Starts `node args…`; its port comes from `pattern` in its output, or is `knownPort`. */
async function startProcess(args: string[], env: Record<string, string>, pattern: RegExp | null, knownPort?: number): Promise<Started> {
  const begun = performance.now();
  const child = spawn(process.execPath, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  const port = await new Promise<number>((resolve, reject) => {
    if (knownPort !== undefined) {
      child.on("exit", (code) => reject(new Error(`exited ${code}:\n${output}`)));
      child.stdout.on("data", (c: Buffer) => (output += c.toString()));
      child.stderr.on("data", (c: Buffer) => (output += c.toString()));
      return resolve(knownPort);
    }
    const timer = setTimeout(() => reject(new Error(`no start within 60 s:\n${output}`)), 60_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = pattern!.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.on("exit", (code) => reject(new Error(`exited ${code}:\n${output}`)));
  });
  // ready: the first successful answer, measured from the spawn; polled every 10 ms, since a
  // tight loop of refused connections would take CPU from the starting server on 2 cores
  for (;;) {
    const res = await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => null);
    if (res && res.status !== 503) break;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  const readyMs = performance.now() - begun;
  return {
    port,
    child,
    readyMs,
    stop: () =>
      new Promise<void>((resolve) => {
        child.removeAllListeners("exit");
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
      }),
  };
}

/** A port free right now (the server logs its start line at info; the bench runs it at warn). */
const freePort = () =>
  new Promise<number>((resolve) => {
    const probe = createServer().listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });

/** The real server on the SQLite file `databasePath` (or on PostgreSQL, with DATABASE_URL in `env`). */
const gatehouse = async (databasePath: string, env: Record<string, string> = {}) => {
  const port = await freePort();
  return startProcess(
    ["dist/index.js"],
    {
      ...env,
      DATABASE_PATH: databasePath,
      PORT: String(port),
      LOG_LEVEL: "warn",
      SECRET_KEY: BENCH_KEY,
      RATE_LIMIT_PER_PRINCIPAL: "100000000",
      WEBHOOK_DISPATCHER: "false",
    },
    null,
    port,
  );
};

interface Scenario {
  name: string;
  token?: string;
  body: string;
}

interface Measured {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  bytes: number;
  /** req/s of each round, for the paired scenarios */
  rounds?: number[];
  /** Requests answered in the measured window. */
  total?: number;
}

const median = (values: number[]) => {
  const sorted = [...values].sort((x, y) => x - y);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

/** Several runs of one scenario as one result: mean req/s, median latencies, every round kept. */
const combine = (runs: Measured[]): Measured => ({
  rps: runs.reduce((sum, r) => sum + r.rps, 0) / runs.length,
  p50: median(runs.map((r) => r.p50)),
  p99: median(runs.map((r) => r.p99)),
  errors: runs.reduce((sum, r) => sum + r.errors, 0),
  bytes: runs[0]!.bytes,
  rounds: runs.map((r) => Math.round(r.rps)),
});

async function load(port: number, scenario: Scenario, path = "/graphql"): Promise<Measured> {
  const { mismatches: _, ...measured } = await measure(port, scenario, path, {});
  return measured;
}

/**
 * Scenario under autocannon: a warm-up, `beforeMeasure`, then the measured run. With
 * `expectBody`, the answers whose body differs are counted (autocannon's mismatches).
 */
async function measure(
  port: number,
  scenario: Scenario,
  path: string,
  { expectBody, beforeMeasure }: { expectBody?: string; beforeMeasure?: () => Promise<void> },
): Promise<Measured & { mismatches: number }> {
  const options = {
    url: `http://127.0.0.1:${port}${path}`,
    connections: CONNECTIONS,
    method: "POST" as const,
    headers: { "content-type": "application/json", ...(scenario.token ? { authorization: `token ${scenario.token}` } : {}) },
    body: scenario.body,
    ...(expectBody === undefined ? {} : { expectBody }),
  };
  if (WARMUP > 0) await autocannon({ ...options, duration: WARMUP });
  await beforeMeasure?.();
  const result = await autocannon({ ...options, duration: DURATION });
  return {
    total: result.requests.total,
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.non2xx,
    bytes: result.throughput.average / Math.max(1, result.requests.average),
    mismatches: result.mismatches,
  };
}

async function post(port: number, body: string, token?: string): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${port}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(token ? { authorization: `token ${token}` } : {}) },
    body,
  });
  const text = await res.text();
  if (res.status !== 200 || text.includes('"errors"')) throw new Error(`scenario request failed: ${res.status} ${text.slice(0, 300)}`);
  return text;
}

function scenarios(s: Seeded): Record<"S1" | "S2" | "S3" | "S4" | "S5", Scenario> {
  const q = (query: string, variables: Record<string, unknown> = {}) => JSON.stringify({ query, variables });
  return {
    S1: { name: "S1 viewer, org token", token: s.orgToken, body: q("{ viewer { kind tokenId organizationToken { name } } }") },
    S2: {
      name: "S2 member lists 100 stacks",
      token: s.memberToken,
      body: q(
        "query S2($org: String!) { organization(name: $org) { stacks(first: 100) { pageInfo { hasNextPage endCursor } nodes { id project name viewerPermission lastUpdatedAt tags { name value } } } } }",
        { org: s.organization },
      ),
    },
    S3: {
      name: "S3 admin reads 100 audit events, filtered",
      token: s.adminToken,
      body: q(
        'query S3($org: String!) { organization(name: $org) { auditLogEvents(first: 100, filter: { event: "stack-tag-set" }) { nodes { id timestamp event description sourceIp user { login } tokenName authFailure } } } }',
        { org: s.organization },
      ),
    },
    S4: {
      name: "S4 org token sets a tag",
      token: s.orgToken,
      body: q('mutation S4($s: StackRef!) { setStackTag(input: { stack: $s, name: "bench", value: "load" }) { name } }', {
        s: { organization: s.organization, project: s.stack.project, stack: s.stack.name },
      }),
    },
    S5: {
      name: "S5 1,000 update events",
      token: s.adminToken,
      body: q(
        "query S5($org: String!, $p: String!, $n: String!) { organization(name: $org) { stack(project: $p, name: $n) { update(version: 1) { events(first: 1000) { nodes { sequence timestamp type payload } } } } } }",
        { org: s.organization, p: s.stack.project, n: s.stack.name },
      ),
    },
  };
}

/**
 * Baseline (d): the rows S4 writes (tag upsert + audit event), one transaction each
 * (`perCommit` of them per COMMIT for the grouped variant), prepared, on the same large
 * database (same B-trees, same indexes) with the server's pragmas (WAL, synchronous=FULL).
 */
function sqliteBaseline(databasePath: string, seeded: Seeded, perCommit = 1): Measured {
  const db = openSqlite(databasePath);
  const { id: org } = db.prepare("select id from organizations where name = ?").get(seeded.organization) as { id: string };
  const { id: stack } = db
    .prepare("select id from stacks where organization_id = ? and project = ? and name = ?")
    .get(org, seeded.stack.project, seeded.stack.name) as { id: string };
  const tag = db.prepare(
    "insert into stack_tags (stack_id, name, value) values (?, 'bench', ?) on conflict (stack_id, name) do update set value = excluded.value",
  );
  const audit = db.prepare(
    "insert into audit_events (organization_id, timestamp, event, description, source_ip, user_agent, token_id, token_name, require_org_admin, require_stack_admin, auth_failure) values (?, ?, 'stack-tag-set', 'Set tag \"bench\" on stack', '127.0.0.1', 'autocannon', 't', 'bench-ci', 0, 0, 0)",
  );
  const write = db.transaction(() => {
    for (let i = 0; i < perCommit; i++) {
      tag.run(stack, "load");
      audit.run(org, Date.now());
    }
  });
  const end = performance.now() + DURATION * 1000;
  let n = 0;
  while (performance.now() < end) {
    write.immediate();
    n += perCommit;
  }
  db.close();
  return { rps: n / DURATION, p50: 0, p99: 0, errors: 0, bytes: 0 };
}

/** The server's PostgreSQL pool (DATABASE_POOL_SIZE's default): the concurrent variant of (f) uses as many connections. */
const PG_POOL_SIZE = 10;

/**
 * Baseline (f): plain `pg` committing S4's rows (the tag upsert and the audit event of (d)) as
 * named (prepared) statements, on the seeded PostgreSQL database with the server's defaults
 * (READ COMMITTED, synchronous_commit on): `perCommit` rows per COMMIT on each of
 * `connections` connections, or ("all") every row of the run in one transaction.
 */
async function postgresBaseline(url: string, seeded: Seeded, connections: number, perCommit: number | "all"): Promise<Measured> {
  const clients = await Promise.all(
    Array.from({ length: connections }, async () => {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      return client;
    }),
  );
  const { rows } = await clients[0]!.query<{ org: string; stack: string }>(
    "select o.id as org, s.id as stack from organizations o join stacks s on s.organization_id = o.id where o.name = $1 and s.project = $2 and s.name = $3",
    [seeded.organization, seeded.stack.project, seeded.stack.name],
  );
  const { org, stack } = rows[0]!;
  const tag = {
    name: "bench-tag",
    text: "insert into stack_tags (stack_id, name, value) values ($1, 'bench', $2) on conflict (stack_id, name) do update set value = excluded.value",
  };
  const audit = {
    name: "bench-audit",
    text: "insert into audit_events (organization_id, timestamp, event, description, source_ip, user_agent, token_id, token_name, require_org_admin, require_stack_admin, auth_failure) values ($1, $2, 'stack-tag-set', 'Set tag \"bench\" on stack', '127.0.0.1', 'autocannon', 't', 'bench-ci', false, false, false)",
  };
  const start = performance.now();
  const end = start + DURATION * 1000;
  let n = 0;
  await Promise.all(
    clients.map(async (client) => {
      const row = async () => {
        await client.query({ ...tag, values: [stack, "load"] });
        await client.query({ ...audit, values: [org, new Date()] });
      };
      if (perCommit === "all") {
        let k = 0;
        await client.query("begin");
        while (performance.now() < end) {
          await row();
          k++;
        }
        await client.query("commit");
        n += k;
        return;
      }
      while (performance.now() < end) {
        await client.query("begin");
        for (let i = 0; i < perCommit; i++) await row();
        await client.query("commit");
        n += perCommit;
      }
    }),
  );
  const seconds = (performance.now() - start) / 1000;
  await Promise.all(clients.map((client) => client.end()));
  return { rps: n / seconds, p50: 0, p99: 0, errors: 0, bytes: 0 };
}

/**
 * S1, S2 and S4 on PostgreSQL (issue 15): a fresh migrated database on the local server
 * (test/support/postgres.ts), seeded at `scale`, the real server on it (DATABASE_URL), and the
 * plain-`pg` baselines of S4's rows. Reported beside the SQLite figures of the same run; no
 * targets. Skipped, with a line saying so, when no PostgreSQL server answers.
 */
async function postgresPart(dir: string, sqlite: Record<string, Measured>): Promise<Record<string, unknown>> {
  if (process.env.BENCH_POSTGRES === "off") {
    console.log("\nPostgreSQL: skipped (BENCH_POSTGRES=off)");
    return { skipped: "BENCH_POSTGRES=off" };
  }
  if ((await postgresBackend()) !== "server") {
    const why =
      process.env.TEST_POSTGRES === "pglite"
        ? "TEST_POSTGRES=pglite (PGlite only)"
        : "no PostgreSQL server answers (TEST_DATABASE_URL, else postgres://postgres@127.0.0.1:5432): PGlite only";
    console.log(`\nPostgreSQL: skipped: ${why}`);
    return { skipped: why };
  }
  const scale = process.env.BENCH_POSTGRES_SCALE === "small" ? SMALL : LARGE;
  const db = await openTestPostgres();
  let server: Started | undefined;
  try {
    const url = db.url!;
    const query = async <R>(text: string) => (await db.pool!.query(text)).rows[0] as R;
    const { version, fsync, synchronous_commit } = await query<{ version: string; fsync: string; synchronous_commit: string }>(
      "select current_setting('server_version') as version, current_setting('fsync') as fsync, current_setting('synchronous_commit') as synchronous_commit",
    );
    console.log(
      `\nPostgreSQL ${version} (fsync ${fsync}, synchronous_commit ${synchronous_commit}), a fresh database of test/support/postgres.ts`,
    );
    const t = performance.now();
    const seeded = await seedPostgres(url, scale);
    const seedSeconds = (performance.now() - t) / 1000;
    console.log(`seeded the ${scale === LARGE ? "large" : "small"} scale on PostgreSQL in ${seedSeconds.toFixed(1)} s`);

    const results: Record<string, Measured & { label: string }> = {};
    const record = (key: string, label: string, m: Measured) => {
      results[key] = { label, ...m };
      console.log(
        `${label.padEnd(46)} ${m.rps.toFixed(0).padStart(7)} req/s  p50 ${m.p50} ms  p99 ${m.p99} ms${m.errors ? `  ${m.errors} errors` : ""}`,
      );
    };
    server = await gatehouse(join(dir, "postgres.db"), { DATABASE_URL: url });
    const S = scenarios(seeded);
    await post(server.port, S.S1.body, S.S1.token);
    await post(server.port, S.S2.body, S.S2.token);
    const s4Body = await post(server.port, S.S4.body, S.S4.token);
    record("S1", `PostgreSQL ${S.S1.name}`, await load(server.port, S.S1));
    record("S2", `PostgreSQL ${S.S2.name}`, await load(server.port, S.S2));
    // S4: what committed (audit rows, exactly), answers that were not the expected one (a
    // GraphQL error is a 200 too), and the attempts PostgreSQL rolled back (serialization
    // failures and deadlocks the store ran again; counted once the server's connections ended)
    const maxId = async () => Number((await query<{ id: string }>("select coalesce(max(id), 0) as id from audit_events")).id);
    const committedAfter = async (id: number) =>
      Number((await query<{ n: string }>(`select count(*) as n from audit_events where id > ${id}`)).n);
    const rollbacks = async () =>
      Number((await query<{ n: string }>("select xact_rollback as n from pg_stat_database where datname = current_database()")).n);
    const idBefore = await maxId();
    const rollbacksBefore = await rollbacks();
    let idAtMeasure = 0;
    const s4 = await loadExpecting(server.port, S.S4, s4Body, async () => {
      idAtMeasure = await maxId();
    });
    const committedInWindow = await committedAfter(idAtMeasure);
    const committedInAll = await committedAfter(idBefore);
    record("S4", `PostgreSQL ${S.S4.name}`, s4);
    const rss = peakRssMb(server.child.pid!);
    await server.stop();
    await new Promise((resolve) => setTimeout(resolve, 500));
    const rolledBack = (await rollbacks()) - rollbacksBefore;
    const s4Stats = {
      committedPerSecond: committedInWindow / DURATION,
      unexpectedAnswers: s4.mismatches,
      rolledBackAttemptsPerCommit: Math.round((rolledBack / Math.max(1, committedInAll)) * 1000) / 1000,
    };
    console.log(
      `  S4 on PostgreSQL: ${Math.round(s4Stats.committedPerSecond)} rows committed/s, ${s4.mismatches} answers not the expected one, ` +
        `${rolledBack} attempts rolled back for ${committedInAll} commits (warm-up included)`,
    );

    record("f", "(f) plain pg, S4's rows, 1 tx each", await postgresBaseline(url, seeded, 1, 1));
    record("fN", `(f) the same on ${PG_POOL_SIZE} connections`, await postgresBaseline(url, seeded, PG_POOL_SIZE, 1));
    record("f30", "(f') the same, 30 per COMMIT", await postgresBaseline(url, seeded, 1, 30));
    record("fAll", "(f'') the same, all in one transaction", await postgresBaseline(url, seeded, 1, "all"));

    const r = (a: number, b: number) => (Math.round((a / b) * 1000) / 1000).toString();
    const n = (x: number) => Math.round(x).toLocaleString("en-US");
    const rows: Array<[string, string, string, string, string, string]> = [];
    for (const key of ["S1", "S2", "S4"] as const) {
      const p = results[key]!;
      const q = sqlite[key]!;
      rows.push([S[key].name, n(p.rps), String(p.p50), String(p.p99), n(q.rps), String(q.p50)]);
    }
    rows.push(["(f) plain pg, S4's rows, 1 tx each (SQLite: (d))", n(results.f!.rps), "—", "—", n(sqlite.d!.rps), "—"]);
    rows.push([`(f) the same, ${PG_POOL_SIZE} connections`, n(results.fN!.rps), "—", "—", "—", "—"]);
    rows.push(["(f') the same, 30 per COMMIT (SQLite: (d'))", n(results.f30!.rps), "—", "—", n(sqlite.d30!.rps), "—"]);
    rows.push(["(f'') the same, all in one transaction", n(results.fAll!.rps), "—", "—", "—", "—"]);
    console.log(
      "\n| PostgreSQL (report, no targets) | req/s | p50 ms | p99 ms | SQLite req/s, same run | SQLite p50 ms |\n| --- | ---: | ---: | ---: | ---: | ---: |",
    );
    for (const row of rows) console.log(`| ${row.join(" | ")} |`);
    const ratios = [
      {
        name: "S4 / (f) 1 tx each (SQLite: S4 / (d))",
        postgres: r(results.S4!.rps, results.f!.rps),
        sqlite: r(sqlite.S4!.rps, sqlite.d!.rps),
      },
      {
        name: `S4 / (f) 1 tx each on ${PG_POOL_SIZE} connections`,
        postgres: r(results.S4!.rps, results.fN!.rps),
        sqlite: "—",
      },
      {
        name: "S4 / (f') 30 per COMMIT (SQLite: S4 / (d'))",
        postgres: r(results.S4!.rps, results.f30!.rps),
        sqlite: r(sqlite.S4!.rps, sqlite.d30!.rps),
      },
      { name: "S1 PostgreSQL / SQLite req/s", postgres: r(results.S1!.rps, sqlite.S1!.rps), sqlite: "—" },
      { name: "S2 PostgreSQL / SQLite req/s", postgres: r(results.S2!.rps, sqlite.S2!.rps), sqlite: "—" },
      { name: "S4 PostgreSQL / SQLite req/s", postgres: r(results.S4!.rps, sqlite.S4!.rps), sqlite: "—" },
      { name: "peak RSS under load (MB)", postgres: String(Math.round(rss)), sqlite: "—" },
      { name: "ready after start (ms)", postgres: String(Math.round(server.readyMs)), sqlite: "—" },
    ];
    console.log("\n| ratio (report) | PostgreSQL | SQLite |\n| --- | ---: | ---: |");
    for (const x of ratios) console.log(`| ${x.name} | ${x.postgres} | ${x.sqlite} |`);
    return {
      server: { version, fsync, synchronousCommit: synchronous_commit, poolSize: PG_POOL_SIZE },
      scale: scale === LARGE ? "large" : "small",
      seedSeconds,
      results,
      s4: s4Stats,
      ratios,
      peakRssMb: Math.round(rss),
      readyMs: Math.round(server.readyMs),
    };
  } finally {
    // a failure half-way leaves the server up: stop it before its database is dropped
    if (server && server.child.exitCode === null && server.child.signalCode === null) await server.stop();
    await db.close();
  }
}

/** `load`, counting the answers whose body is not `expected` (autocannon's mismatches). */
function loadExpecting(port: number, scenario: Scenario, expected: string, beforeMeasure: () => Promise<void>) {
  return measure(port, scenario, "/graphql", { expectBody: expected, beforeMeasure });
}

const peakRssMb = (pid: number) => {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  return Number(/VmHWM:\s+(\d+) kB/.exec(status)![1]) / 1024;
};

async function main() {
  const dir = mkdtempSync(join(tmpdir(), "gatehouse-bench-"));
  try {
    console.log(`building …`);
    execFileSync("npm", ["run", "-s", "build"], { cwd: ROOT, stdio: "inherit" });
    let t = performance.now();
    const large = await seed(join(dir, "large.db"), LARGE);
    console.log(`seeded the large database in ${((performance.now() - t) / 1000).toFixed(1)} s`);
    t = performance.now();
    const small = await seed(join(dir, "small.db"), SMALL);
    console.log(`seeded the small database in ${((performance.now() - t) / 1000).toFixed(1)} s`);

    const results: Record<string, Measured & { label: string }> = {};
    const record = (key: string, label: string, m: Measured) => {
      results[key] = { label, ...m };
      const rounds = m.rounds ? `  rounds ${m.rounds.join(" / ")}` : "";
      console.log(
        `${label.padEnd(46)} ${m.rps.toFixed(0).padStart(7)} req/s  p50 ${m.p50} ms  p99 ${m.p99} ms${rounds}${m.errors ? `  ${m.errors} errors` : ""}`,
      );
    };

    const server = await gatehouse(join(dir, "large.db"));
    const ready = server.readyMs;
    const S = scenarios(large);
    const s1Body = await post(server.port, S.S1.body, S.S1.token);
    const s2Body = await post(server.port, S.S2.body, S.S2.token);
    await post(server.port, S.S3.body, S.S3.token);
    await post(server.port, S.S5.body, S.S5.token);
    writeFileSync(join(dir, "s1.json"), s1Body);
    writeFileSync(join(dir, "s2.json"), s2Body);
    const plain = await startProcess(
      ["--import", "tsx", "test/bench/servers/plain-apollo.ts"],
      { S1_FILE: join(dir, "s1.json"), S2_FILE: join(dir, "s2.json") },
      /listening (\d+)/,
    );

    // S1 and S2 against (b): both servers up, loaded in turn for ROUNDS rounds (order
    // alternating), so drift on this shared machine falls on both sides of each ratio.
    const paired: Record<"S1" | "S2" | "b1" | "b2", Measured[]> = { S1: [], S2: [], b1: [], b2: [] };
    for (let round = 0; round < ROUNDS; round++) {
      for (const [ours, theirs] of [
        ["S1", "b1"],
        ["S2", "b2"],
      ] as const) {
        const scenario = S[ours];
        const runOurs = async () => paired[ours].push(await load(server.port, scenario));
        const runTheirs = async () => paired[theirs].push(await load(plain.port, { ...scenario, token: undefined }));
        if (round % 2 === 0) await runOurs().then(runTheirs);
        else await runTheirs().then(runOurs);
      }
    }
    await plain.stop();
    record("S1", S.S1.name, combine(paired.S1));
    record("S2", S.S2.name, combine(paired.S2));
    for (const key of ["S3", "S4", "S5"] as const) record(key, S[key].name, await load(server.port, S[key]));
    const rss = peakRssMb(server.child.pid!);
    await server.stop();
    record("b1", "(b) plain Apollo, S1 from memory", combine(paired.b1));
    record("b2", "(b) plain Apollo, S2 from memory", combine(paired.b2));

    const raw = await startProcess(["test/bench/servers/raw-http.mjs"], { BODY_FILE: join(dir, "s2.json") }, /listening (\d+)/);
    record("a", "(a) raw node:http, S2 bytes", await load(raw.port, S.S2));
    await raw.stop();

    const unguarded = await startProcess(
      ["test/bench/servers/unguarded.mjs"],
      {
        DATABASE_PATH: join(dir, "large.db"),
        LOG_LEVEL: "warn",
        SECRET_KEY: BENCH_KEY,
        RATE_LIMIT_PER_PRINCIPAL: "100000000",
        WEBHOOK_DISPATCHER: "false",
      },
      /listening (\d+)/,
    );
    record("c", "(c) S5 without the permission map", await load(unguarded.port, S.S5));
    await unguarded.stop();

    const smallServer = await gatehouse(join(dir, "small.db"));
    record("e", "(e) S2 on 100 stacks", await load(smallServer.port, scenarios(small).S2));
    await smallServer.stop();

    record("d", "(d) better-sqlite3, S4's rows, 1 tx each", sqliteBaseline(join(dir, "large.db"), large));
    // for reference, not a target: the server commits a turn's writes together (group commit)
    record("d30", "(d') the same, 30 per COMMIT", sqliteBaseline(join(dir, "large.db"), large, 30));

    const ratio = (a: number, b: number) => Math.round((a / b) * 1000) / 1000;
    const targets = [
      {
        name: "S2 / (b) req/s",
        value: ratio(results.S2!.rps, results.b2!.rps),
        target: ">= 1.0 (never < 0.8)",
        met: results.S2!.rps >= results.b2!.rps,
      },
      {
        name: "S1 / (b) req/s",
        value: ratio(results.S1!.rps, results.b1!.rps),
        target: ">= 0.9",
        met: results.S1!.rps >= 0.9 * results.b1!.rps,
      },
      {
        name: "S5 p50 / (c) p50",
        value: ratio(results.S5!.p50, results.c!.p50),
        target: "<= 1.2",
        met: results.S5!.p50 <= 1.2 * results.c!.p50,
      },
      {
        name: "S4 / (d) rows committed/s",
        value: ratio(results.S4!.rps, results.d!.rps),
        target: ">= 0.3",
        met: results.S4!.rps >= 0.3 * results.d!.rps,
      },
      {
        name: "S2 p50 10,000 / 100 stacks",
        value: ratio(results.S2!.p50, results.e!.p50),
        target: "<= 1.3",
        met: results.S2!.p50 <= 1.3 * results.e!.p50,
      },
      { name: "S4 / (d') grouped like the server", value: ratio(results.S4!.rps, results.d30!.rps), target: "report", met: true },
      { name: "S2 / (a) req/s (the limit)", value: ratio(results.S2!.rps, results.a!.rps), target: "report", met: true },
      { name: "peak RSS under load (MB)", value: Math.round(rss), target: "< 300", met: rss < 300 },
      { name: "ready after start (ms)", value: Math.round(ready), target: "< 1500", met: ready < 1500 },
    ];
    console.log("\n| target | value | goal | met |\n| --- | --- | --- | --- |");
    for (const t of targets) console.log(`| ${t.name} | ${t.value} | ${t.target} | ${t.met ? "yes" : "NO"} |`);
    const report = {
      date: new Date().toISOString(),
      machine: { cpus: cpus().length, model: cpus()[0]?.model, node: process.version },
      settings: { connections: CONNECTIONS, durationSeconds: DURATION, warmupSeconds: WARMUP, pairedRounds: ROUNDS },
      results,
      targets,
    };
    // the SQLite report first: the PostgreSQL part adds to it
    writeFileSync(out, JSON.stringify(report, null, 2));
    let postgres: Record<string, unknown>;
    try {
      postgres = await postgresPart(dir, results);
    } catch (error) {
      console.error("\nPostgreSQL part failed:", error);
      postgres = { error: String(error) };
    }
    writeFileSync(out, JSON.stringify({ ...report, postgres }, null, 2));
    console.log(`\nwrote ${out}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
