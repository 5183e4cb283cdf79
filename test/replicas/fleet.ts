// A fleet for the replica tests: one PostgreSQL database (a real server: test/support/postgres.ts),
// N `node dist/index.js` servers on loopback ports sharing DATABASE_URL and SECRET_KEY, and
// HAProxy (Debian's package, started here) in front of them, round-robin, health-checking /readyz.
// Every address is loopback.
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { openTestPostgres, type TestPostgres } from "../support/postgres.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
export const HAPROXY = ["/usr/sbin/haproxy", "/usr/local/sbin/haproxy"].find((path) => existsSync(path)) ?? null;

export interface FleetServer {
  readonly id: string;
  readonly port: number;
  readonly url: string;
  child: ChildProcess | null;
  output: string[];
}

/** A free loopback port (bound and released at once). */
async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const address = probe.address();
      probe.close(() => resolve(typeof address === "object" && address ? address.port : 0));
    });
  });
}

export class Fleet {
  readonly servers: FleetServer[] = [];
  lbUrl = "";
  private haproxy: ChildProcess | null = null;
  private readonly dir = mkdtempSync(join(tmpdir(), "gatehouse-fleet-"));
  private constructor(
    readonly postgres: TestPostgres,
    readonly env: Record<string, string>,
  ) {}

  static async start(count: number, env: Record<string, string> = {}): Promise<Fleet> {
    const postgres = await openTestPostgres();
    const fleet = new Fleet(postgres, {
      DATABASE_URL: postgres.url!,
      SECRET_KEY: "1f".repeat(32),
      LOG_LEVEL: "warn",
      WEBHOOK_ALLOW_PRIVATE_NETWORKS: "true",
      DRAIN_TIME: "2s",
      ...env,
    });
    for (let i = 0; i < count; i++) {
      const port = await freePort();
      fleet.servers.push({ id: `s${i + 1}`, port, url: `http://127.0.0.1:${port}`, child: null, output: [] });
    }
    // the first start migrates (once, under the advisory lock); the others find it done
    await Promise.all(fleet.servers.map((server) => fleet.startServer(server)));
    await fleet.startBalancer(fleet.servers);
    return fleet;
  }

  /** Starts (or restarts) `server` on its port and waits until /readyz answers 200. */
  async startServer(server: FleetServer): Promise<void> {
    const child = spawn(process.execPath, ["dist/index.js"], {
      cwd: ROOT,
      env: {
        ...process.env,
        ...this.env,
        HOST: "127.0.0.1",
        PORT: String(server.port),
        SERVER_ID: server.id,
        DATABASE_PATH: join(this.dir, server.id, "gatehouse.db"),
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    server.child = child;
    server.output = [];
    child.stdout.on("data", (chunk: Buffer) => server.output.push(chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => server.output.push(chunk.toString()));
    const deadline = Date.now() + 30_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`${server.id} exited (${child.exitCode}):\n${server.output.join("")}`);
      const ready = await fetch(`${server.url}/readyz`).then(
        (res) => res.status === 200,
        () => false,
      );
      if (ready) return;
      if (Date.now() > deadline) throw new Error(`${server.id} not ready after 30 s:\n${server.output.join("")}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** Sends `signal` and waits for the process to end. */
  async stopServer(server: FleetServer, signal: NodeJS.Signals): Promise<void> {
    const child = server.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once("exit", () => resolve());
      child.kill(signal);
    });
    server.child = null;
  }

  /** (Re)starts HAProxy in front of `members`, round-robin, health-checking /readyz every 250 ms. */
  async startBalancer(members: readonly FleetServer[]): Promise<void> {
    if (!HAPROXY) throw new Error("haproxy is not installed (Debian: apt-get install haproxy)");
    await this.stopBalancer();
    const port = await freePort();
    const config = join(this.dir, "haproxy.cfg");
    writeFileSync(
      config,
      [
        "global",
        "  maxconn 4096",
        "defaults",
        "  mode http",
        "  timeout connect 2s",
        "  timeout client 60s",
        "  timeout server 60s",
        // a connection refused (a server that just stopped) is tried again on another server
        "  retries 3",
        "  option redispatch",
        "frontend gatehouse",
        `  bind 127.0.0.1:${port}`,
        "  default_backend servers",
        "backend servers",
        "  balance roundrobin",
        "  option httpchk GET /readyz",
        "  http-check expect status 200",
        // a check answered slowly under load is not a server down: three in a row (750 ms) are; DRAIN_TIME covers that
        "  timeout check 2s",
        "  default-server inter 250ms fall 3 rise 1",
        ...members.map((server) => `  server ${server.id} 127.0.0.1:${server.port} check`),
        "",
      ].join("\n"),
    );
    const haproxy = spawn(HAPROXY, ["-f", config, "-db"], { stdio: ["ignore", "pipe", "pipe"] });
    const output: string[] = [];
    haproxy.stdout.on("data", (chunk: Buffer) => output.push(chunk.toString()));
    haproxy.stderr.on("data", (chunk: Buffer) => output.push(chunk.toString()));
    this.haproxy = haproxy;
    this.lbUrl = `http://127.0.0.1:${port}`;
    const deadline = Date.now() + 10_000;
    for (;;) {
      const up = await fetch(`${this.lbUrl}/readyz`).then(
        (res) => res.status === 200,
        () => false,
      );
      if (up) return;
      if (haproxy.exitCode !== null || Date.now() > deadline) throw new Error(`haproxy did not start:\n${output.join("")}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  async stopBalancer(): Promise<void> {
    const haproxy = this.haproxy;
    this.haproxy = null;
    if (!haproxy || haproxy.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      haproxy.once("exit", () => resolve());
      haproxy.kill("SIGTERM");
    });
  }

  async close(): Promise<void> {
    await this.stopBalancer();
    await Promise.all(this.servers.map((server) => this.stopServer(server, "SIGTERM")));
    await this.postgres.close();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** A GraphQL request to `url` (a server or the balancer). */
export async function gql(
  url: string,
  query: string,
  variables: Record<string, unknown>,
  token: string,
): Promise<{ status: number; body: { data?: any; errors?: Array<{ message: string; extensions?: { code?: string } }> } }> {
  const res = await fetch(`${url}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `token ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  const text = await res.text();
  try {
    return { status: res.status, body: JSON.parse(text) as never };
  } catch {
    // not Gatehouse's answer: the balancer's error page (no server up, a connection cut)
    return { status: res.status, body: { errors: [{ message: text.slice(0, 120), extensions: { code: `HTTP ${res.status}` } }] } };
  }
}
