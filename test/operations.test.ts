// Operating a server behind a load balancer: /readyz (ready, draining, database gone) beside
// /healthz (alive), draining as SIGTERM starts it (App.drain; and in a real process, src/index.ts),
// the server id on every log line, and a webhook attempt in flight when the dispatcher stops: it
// finishes and records, and its row is left with its next attempt, not with a lease.
import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { ConfigError, loadConfig } from "../src/config.js";
import { expectOk } from "./support/assertions.js";
import { createOrg, createStack } from "./support/factories.js";
import { startTestServer, type TestServer } from "./support/test-server.js";
import { sleep, WebhookReceiver } from "./support/webhook-receiver.js";
import { faultBackendAvailable, openFaultDatabase } from "./faults/database.js";
import { startServerProcess } from "./faults/server-process.js";

const get = (server: TestServer, url: string) => server.app.fastify.inject({ method: "GET", url });

describe("/readyz, /healthz and draining", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ SERVER_ID: "gatehouse-a-7", DRAIN_TIME: "0" });
  });
  afterAll(() => server.close());

  it("/readyz is 200 when ready, 503 when the database does not answer", async () => {
    const ready = await get(server, "/readyz");
    expect([ready.statusCode, ready.json()]).toEqual([200, { status: "ready" }]);
    const ping = vi.spyOn(server.app.store, "ping").mockRejectedValueOnce(new Error("the database is gone"));
    try {
      const down = await get(server, "/readyz");
      expect([down.statusCode, down.json()]).toEqual([503, { status: "unavailable" }]);
    } finally {
      ping.mockRestore();
    }
    expect((await get(server, "/readyz")).statusCode).toBe(200);
  });

  it("while draining, /readyz is 503, /healthz stays 200 and requests are still served (closing their connection)", async () => {
    const { token } = (await createOrg(server)).admin;
    const drained = server.app.drain(300);
    const draining = await get(server, "/readyz");
    expect([draining.statusCode, draining.json()]).toEqual([503, { status: "draining" }]);
    const alive = await get(server, "/healthz");
    expect([alive.statusCode, alive.json()]).toEqual([200, { status: "ok" }]);
    const served = await server.gql("{ viewer { kind } }", {}, { token });
    expectOk(served);
    expect(served.headers.connection).toBe("close");
    const started = performance.now();
    await drained;
    expect(performance.now() - started).toBeGreaterThan(150); // it waited (most of) the 300 ms asked
    expect((await get(server, "/readyz")).statusCode).toBe(503); // draining is for good
  });

  it("every log line carries the server id", async () => {
    await get(server, "/healthz");
    const lines = server.logs
      .join("")
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines.length).toBeGreaterThan(2);
    for (const line of lines) expect(line).toMatchObject({ serverId: "gatehouse-a-7", pid: process.pid, hostname: hostname() });
    expect(lines.some((line) => line.msg === "draining: /readyz answers 503, requests are still served")).toBe(true);
    expect(lines.some((line) => line.msg === "request")).toBe(true);
    // a 503 of /readyz is what it is for: a request line, not an error (the database's absence is one)
    const readyz503 = lines.filter((line) => line.path === "/readyz" && line.status === 503);
    expect(readyz503.length).toBeGreaterThanOrEqual(3);
    expect(readyz503.every((line) => line.level === 30 && line.msg === "request")).toBe(true);
    expect(lines.filter((line) => line.msg === "readiness check: the database does not answer").map((line) => line.level)).toEqual([50]);
  });
});

describe("settings of a fleet", () => {
  it("SERVER_ID defaults to the host name and the process id; DRAIN_TIME to 5 s, 0 allowed; RATE_LIMIT_FLUSH_INTERVAL to 250 ms", () => {
    const defaults = loadConfig({});
    expect(defaults.serverId).toBe(`${hostname()}-${process.pid}`);
    expect(defaults.drainTimeMs).toBe(5000);
    expect(defaults.rateLimits.flushIntervalMs).toBe(250);
    expect(loadConfig({ DRAIN_TIME: "0" }).drainTimeMs).toBe(0);
    expect(loadConfig({ DRAIN_TIME: "0s", RATE_LIMIT_FLUSH_INTERVAL: "1s" })).toMatchObject({
      drainTimeMs: 0,
      rateLimits: { flushIntervalMs: 1000 },
    });
    expect(loadConfig({ SERVER_ID: " web-2.eu:1 " }).serverId).toBe("web-2.eu:1");
  });

  it("refuses what they cannot be, saying how to fix it", () => {
    expect(() => loadConfig({ DRAIN_TIME: "soon" })).toThrow(ConfigError);
    expect(() => loadConfig({ DRAIN_TIME: "soon" })).toThrow(
      'DRAIN_TIME holds "soon", which is not a duration: use e.g. 500ms, 5s, 2m or 1h',
    );
    expect(() => loadConfig({ RATE_LIMIT_FLUSH_INTERVAL: "5ms" })).toThrow("RATE_LIMIT_FLUSH_INTERVAL=5ms is too short: use at least 10ms");
    expect(() => loadConfig({ SERVER_ID: "web 2" })).toThrow('SERVER_ID=web 2 must be 1 to 64 letters, digits, ".", "_", ":" or "-"');
  });
});

describe("stopping the webhook dispatcher", () => {
  let server: TestServer;
  let receiver: WebhookReceiver;
  beforeAll(async () => {
    server = await startTestServer({
      WEBHOOK_ALLOW_PRIVATE_NETWORKS: "true",
      WEBHOOK_TIMEOUT: "400ms",
      WEBHOOK_RETRY_SCHEDULE: "1m,2m",
    });
  });
  afterEach(() => receiver?.stop());
  afterAll(() => server.close());

  it("lets the attempt in flight finish and record; its row is left with its next attempt, not leased", async () => {
    receiver = await new WebhookReceiver().start();
    receiver.fallback = { hang: true }; // the attempt ends at its timeout
    const org = await createOrg(server);
    const created = await server.gql(
      `mutation ($input: CreateWebhookInput!) { createWebhook(input: $input) { name } }`,
      { input: { organization: org.name, name: "hook", payloadUrl: receiver.url(), filters: ["stack_created"] } },
      { token: org.admin.token },
    );
    expectOk(created);
    await createStack(server, org, { project: "web" });
    await receiver.waitFor(1);
    const started = performance.now();
    await server.app.dispatcher.stop();
    const stoppedMs = performance.now() - started;
    expect(stoppedMs).toBeLessThan(2000); // its timeout (400 ms), and the record

    const { webhookOutboxTable, webhookDeliveriesTable } = server.app.store.tables;
    const [row] = await server.app.store.db.select().from(webhookOutboxTable);
    expect(row).toMatchObject({ state: "PENDING", attempts: 1 });
    // the next attempt per the schedule (1 min after the event, ±20%), not the lease (the timeout and 5 s)
    expect(row!.nextAttemptAt.getTime() - row!.createdAt.getTime()).toBeGreaterThan(40_000);
    const deliveries = await server.app.store.db.select().from(webhookDeliveriesTable);
    expect(deliveries).toHaveLength(1);
    expect(deliveries[0]).toMatchObject({ attempt: 1, responseCode: null });
    expect(deliveries[0]!.error).toBeTruthy();
    // and nothing more is claimed after it stopped
    await createStack(server, org, { project: "api" });
    await sleep(300);
    expect(receiver.received).toHaveLength(1);
  });
});

describe("SIGTERM, in a server process", async () => {
  // several processes cannot share PGlite: on PostgreSQL this needs a server
  const available = await faultBackendAvailable();

  it.skipIf(!available)("drains for DRAIN_TIME (/readyz 503, /healthz 200), then stops, and the process exits 0", async () => {
    const database = await openFaultDatabase("sigterm", randomBytes(32).toString("hex"));
    // not NODE_ENV=test (vitest's): Apollo Server would then handle SIGTERM itself, as it does in production
    const server = await startServerProcess({ ...database.env, DRAIN_TIME: "1s", SERVER_ID: "sig-1", NODE_ENV: "development" });
    try {
      expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
      const exited = new Promise<number | null>((resolve) => server.child.once("exit", (code) => resolve(code)));
      const signalled = performance.now();
      server.child.kill("SIGTERM");
      await sleep(300);
      expect((await fetch(`${server.url}/readyz`)).status).toBe(503);
      expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
      expect(await exited).toBe(0);
      expect(performance.now() - signalled).toBeGreaterThan(900);
      const lines = server.output
        .join("")
        .trim()
        .split("\n")
        .map((line) => JSON.parse(line) as { msg: string; serverId: string });
      expect(lines.map((line) => line.msg)).toEqual(
        expect.arrayContaining(["shutting down: draining, then finishing requests in flight", "shut down"]),
      );
      expect(new Set(lines.map((line) => line.serverId))).toEqual(new Set(["sig-1"]));
    } finally {
      await server.kill();
      await database.close();
    }
  });
});
