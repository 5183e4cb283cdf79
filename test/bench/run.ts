// npm run bench -- [results.json]
// Builds the server, seeds file databases at scale, starts the real server (and the
// baselines, each in its own process) and drives them with autocannon: 50 connections,
// a warm-up, then 10 s per scenario. S1 and S2 run against the plain Apollo baseline with
// both servers up, in alternating rounds (BENCH_ROUNDS, 3), so the two ratios the machine's
// drift would skew most compare like with like. Prints a table of req/s, p50, p99 and the
// ratios to the baselines measured in the same run, and writes the same as JSON.
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import type { AddressInfo } from "node:net";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import autocannon from "autocannon";
import { openDatabase } from "../../src/db/client.js";
import { BENCH_KEY, LARGE, type Seeded, SMALL, seed } from "./seed.js";

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
    const res = (await fetch(`http://127.0.0.1:${port}/healthz`)).catch(() => null);
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

const gatehouse = async (databasePath: string) => {
  const port = await freePort();
  return startProcess(
    ["dist/index.js"],
    {
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
  const options = {
    url: `http://127.0.0.1:${port}${path}`,
    connections: CONNECTIONS,
    method: "POST" as const,
    headers: { "content-type": "application/json", ...(scenario.token ? { authorization: `token ${scenario.token}` } : {}) },
    body: scenario.body,
  };
  if (WARMUP > 0) await autocannon({ ...options, duration: WARMUP });
  const result = await autocannon({ ...options, duration: DURATION });
  return {
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.non2xx,
    bytes: result.throughput.average / Math.max(1, result.requests.average),
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
  const db = openDatabase(databasePath).$client;
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
    const large = seed(join(dir, "large.db"), LARGE);
    console.log(`seeded the large database in ${((performance.now() - t) / 1000).toFixed(1)} s`);
    t = performance.now();
    const small = seed(join(dir, "small.db"), SMALL);
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
        if (round % 2 === 0) (await runOurs()).then(runTheirs);
        else (await runTheirs()).then(runOurs);
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
    writeFileSync(out, JSON.stringify(report, null, 2));
    console.log(`\nwrote ${out}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
