// npm run bench:export -- [results.json]
// Streams 1,000,000 audit events as CSV through GET /api/orgs/{org}/auditlogs/export from a
// real server process, measuring time, rows/s and the server's peak RSS (must stay under
// 200 MB), and compares it in the same run with the sqlite3 command-line tool writing the
// same rows as CSV.
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import type { AddressInfo } from "node:net";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { BENCH_KEY, seed } from "./seed.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const EVENTS = Number(process.env.EXPORT_EVENTS ?? 1_000_000);
const out = process.argv[2] ?? join(ROOT, "bench-export-results.json");

const freePort = () =>
  new Promise<number>((resolve) => {
    const probe = createServer().listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });

const rssMb = (pid: number, field: "VmRSS" | "VmHWM") =>
  Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, "utf8"))![1]) / 1024;

async function main() {
  if (spawnSync("sqlite3", ["-version"]).status !== 0) throw new Error("install Debian's sqlite3 first: apt-get install -y sqlite3");
  const dir = mkdtempSync(join(tmpdir(), "gatehouse-export-"));
  try {
    execFileSync("npm", ["run", "-s", "build"], { cwd: ROOT, stdio: "inherit" });
    const databasePath = join(dir, "export.db");
    let t = performance.now();
    const seeded = await seed(databasePath, {
      stacks: 10,
      updatesPerStack: 1,
      updateEvents: 1000,
      auditEvents: EVENTS,
      members: 50,
      teams: 2,
      tokens: 10,
    });
    console.log(`seeded ${EVENTS.toLocaleString("en-US")} audit events in ${((performance.now() - t) / 1000).toFixed(1)} s`);

    const port = await freePort();
    const server = spawn(process.execPath, ["dist/index.js"], {
      cwd: ROOT,
      env: {
        ...process.env,
        DATABASE_PATH: databasePath,
        PORT: String(port),
        LOG_LEVEL: "warn",
        SECRET_KEY: BENCH_KEY,
        WEBHOOK_DISPATCHER: "false",
      },
      stdio: "ignore",
    });
    for (;;) {
      const res = await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => null);
      if (res?.ok) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const rssBefore = rssMb(server.pid!, "VmRSS");

    t = performance.now();
    const res = await fetch(`http://127.0.0.1:${port}/api/orgs/${seeded.organization}/auditlogs/export?format=csv`, {
      headers: { authorization: `token ${seeded.adminToken}` },
    });
    if (res.status !== 200 || !res.body) throw new Error(`export failed: ${res.status} ${await res.text()}`);
    let lines = 0;
    let bytes = 0;
    const reader = res.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      bytes += value.length;
      for (let i = 0; i < value.length; i++) if (value[i] === 10) lines++;
    }
    const seconds = (performance.now() - t) / 1000;
    const peak = rssMb(server.pid!, "VmHWM");
    await new Promise((resolve) => {
      server.once("exit", resolve);
      server.kill("SIGTERM");
    });
    const rows = lines - 1; // the header
    if (rows < EVENTS) throw new Error(`exported ${rows} rows, expected at least ${EVENTS}`);

    // the same rows through the sqlite3 shell, counted by wc (its output is not kept)
    const query = `select strftime('%Y-%m-%dT%H:%M:%fZ', timestamp / 1000.0, 'unixepoch') as Timestamp, user_name as Name, user_login as Login,
        event as Event, description as Description, source_ip as SourceIP,
        case require_org_admin when 1 then 'true' else 'false' end as RequireOrgAdmin,
        case require_stack_admin when 1 then 'true' else 'false' end as RequireStackAdmin,
        case auth_failure when 1 then 'true' else 'false' end as AuthenticationFailure, token_id as TokenID, token_name as TokenName
      from audit_events where organization_id = (select id from organizations where name = '${seeded.organization}') order by id`;
    t = performance.now();
    const sqlite = spawnSync("bash", ["-c", 'set -o pipefail; sqlite3 -csv -header "$DB" "$QUERY" | wc -l'], {
      env: { ...process.env, DB: databasePath, QUERY: query },
      encoding: "utf8",
    });
    const sqliteSeconds = (performance.now() - t) / 1000;
    if (sqlite.status !== 0) throw new Error(`sqlite3 failed: ${sqlite.stderr}`);
    const sqliteRows = Number(sqlite.stdout.trim()) - 1;

    const report = {
      date: new Date().toISOString(),
      machine: { cpus: cpus().length, model: cpus()[0]?.model, node: process.version },
      gatehouse: {
        rows,
        bytes,
        seconds,
        rowsPerSecond: Math.round(rows / seconds),
        peakRssMb: Math.round(peak),
        rssBeforeMb: Math.round(rssBefore),
      },
      sqlite3: { rows: sqliteRows, seconds: sqliteSeconds, rowsPerSecond: Math.round(sqliteRows / sqliteSeconds) },
      ratio: Math.round((rows / seconds / (sqliteRows / sqliteSeconds)) * 1000) / 1000,
      peakRssUnder200Mb: peak < 200,
    };
    console.log(`\n| export of ${rows.toLocaleString("en-US")} events as CSV | time | rows/s | peak RSS |\n| --- | --- | --- | --- |`);
    console.log(
      `| Gatehouse, GET /api/orgs/{org}/auditlogs/export | ${seconds.toFixed(1)} s | ${report.gatehouse.rowsPerSecond.toLocaleString("en-US")} | ${report.gatehouse.peakRssMb} MB (before: ${report.gatehouse.rssBeforeMb} MB) |`,
    );
    console.log(
      `| sqlite3 -csv, the same rows | ${sqliteSeconds.toFixed(1)} s | ${report.sqlite3.rowsPerSecond.toLocaleString("en-US")} | — |`,
    );
    console.log(`\nGatehouse / sqlite3 rows/s: ${report.ratio}; peak RSS under 200 MB: ${report.peakRssUnder200Mb ? "yes" : "NO"}`);
    writeFileSync(out, JSON.stringify(report, null, 2));
    console.log(`wrote ${out}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
