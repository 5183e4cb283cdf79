// kill -9 under a write load, three times, then restart: every acknowledged mutation and its
// audit event are there, PRAGMA integrity_check is ok, and the webhook deliveries that were
// pending resume. DATABASE_SYNCHRONOUS=FULL (the default): a commit is on disk before the
// response leaves, so it survives a process crash (and power loss).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, expect, it } from "vitest";
import { systemCaller } from "../../src/auth/principal.js";
import { openDatabase } from "../../src/db/client.js";
import { createServices } from "../../src/services.js";
import { callerOf } from "../support/factories.js";
import { WebhookReceiver } from "../support/webhook-receiver.js";
import { startServerProcess } from "./server-process.js";

const ROUNDS = 3;
const CLIENTS = 20;
const dir = mkdtempSync(join(tmpdir(), "gatehouse-crash-"));
const databasePath = join(dir, "gatehouse.db");
const env = {
  DATABASE_PATH: databasePath,
  SECRET_KEY: "0a".repeat(32),
  RATE_LIMIT_PER_PRINCIPAL: "1000000",
  WEBHOOK_ALLOW_PRIVATE_NETWORKS: "true",
};
let token = "";
let receiver: WebhookReceiver;

beforeAll(async () => {
  receiver = await new WebhookReceiver().start();
  const db = openDatabase(databasePath);
  const services = createServices(db, Buffer.from("0a".repeat(32), "hex"));
  const admin = await services.users.create({ login: "crash-admin" });
  token = admin.token.secret;
  const caller = callerOf(admin.user, admin.token.row);
  const org = await services.organizations.create(caller, { name: "crashy" });
  await services.organizations.setSubscription(systemCaller("test"), { organization: "crashy", tier: "BUSINESS_CRITICAL" });
  await services.webhooks.create(caller, org, {
    organization: "crashy",
    name: "events",
    payloadUrl: receiver.url("/events"),
    filters: ["stack_created"],
  });
  db.$client.close();
});

afterAll(async () => {
  await receiver.stop();
  rmSync(dir, { recursive: true, force: true });
});

interface Acknowledged {
  stacks: string[];
  tags: Array<{ stack: string; name: string; value: string }>;
}

/** Clients writing as fast as they can until the server dies; what the server acknowledged. */
async function writeUntilKilled(round: number, ack: Acknowledged): Promise<number> {
  // the first rounds deliver nothing (dispatcher off): their events must survive in the outbox
  const server = await startServerProcess({ ...env, WEBHOOK_DISPATCHER: "false" });
  let stop = false;
  let acknowledged = 0;
  const client = async (c: number) => {
    for (let n = 0; !stop; n++) {
      const name = `r${round}-c${c}-n${n}`;
      try {
        const created = await server.gql(
          `mutation ($n: String!) { createStack(input: { organization: "crashy", project: "load", stack: $n }) { id } }`,
          { n: name },
          token,
        );
        if (!created.body.data?.createStack) continue;
        ack.stacks.push(name);
        acknowledged++;
        const value = `v-${round}-${c}-${n}`;
        const tagged = await server.gql(
          `mutation ($s: StackRef!, $v: String!) { setStackTag(input: { stack: $s, name: "owner", value: $v }) { value } }`,
          { s: { organization: "crashy", project: "load", stack: name }, v: value },
          token,
        );
        if (tagged.body.data?.setStackTag) {
          ack.tags.push({ stack: name, name: "owner", value });
          acknowledged++;
        }
      } catch {
        return; // the server is gone: this request was never acknowledged
      }
    }
  };
  const clients = Array.from({ length: CLIENTS }, (_, c) => client(c));
  await new Promise((r) => setTimeout(r, 1200));
  await server.kill("SIGKILL");
  stop = true;
  await Promise.all(clients);
  return acknowledged;
}

it(`survives ${ROUNDS} kill -9 under write load with nothing acknowledged lost`, async () => {
  const ack: Acknowledged = { stacks: [], tags: [] };
  const perRound: number[] = [];
  for (let round = 0; round < ROUNDS; round++) perRound.push(await writeUntilKilled(round, ack));
  expect(ack.stacks.length).toBeGreaterThan(20);

  const db = new Database(databasePath);
  try {
    expect(db.pragma("integrity_check", { simple: true })).toBe("ok");
    const stacks = new Set((db.prepare("select name from stacks").all() as Array<{ name: string }>).map((r) => r.name));
    expect(ack.stacks.filter((name) => !stacks.has(name))).toEqual([]);
    const created = new Set(
      (db.prepare("select description from audit_events where event = 'stack-created'").all() as Array<{ description: string }>).map(
        (r) => /load\/([^"]+)"/.exec(r.description)![1],
      ),
    );
    expect(ack.stacks.filter((name) => !created.has(name))).toEqual([]);
    const tagOf = db.prepare("select t.value from stack_tags t join stacks s on s.id = t.stack_id where s.name = ? and t.name = 'owner'");
    expect(ack.tags.filter((t) => (tagOf.get(t.stack) as { value: string } | undefined)?.value !== t.value)).toEqual([]);
    const tagEvents = db.prepare("select count(*) n from audit_events where event = 'stack-tag-set'").get() as { n: number };
    expect(tagEvents.n).toBeGreaterThanOrEqual(ack.tags.length);
    const pending = db.prepare("select count(*) n from webhook_outbox where state = 'PENDING'").get() as { n: number };
    expect(pending.n).toBe(stacks.size);
  } finally {
    db.close();
  }

  // the next start delivers everything that was pending, each event once
  const server = await startServerProcess(env);
  try {
    const all = (new Database(databasePath, { readonly: true }).prepare("select count(*) n from stacks").get() as { n: number }).n;
    await receiver.waitFor(all, 60_000);
    await new Promise((r) => setTimeout(r, 500));
    const ids = receiver.received.map((r) => r.headers["webhook-id"]);
    expect(new Set(ids).size).toBe(ids.length);
    expect(receiver.received).toHaveLength(all);
  } finally {
    await server.kill("SIGTERM");
  }
  console.log(
    `crash: ${ROUNDS} kill -9 survived; ${perRound.join(" + ")} acknowledged mutations (${ack.stacks.length} stacks, ${ack.tags.length} tags), ` +
      `all present with their audit events; ${receiver.received.length} pending webhook deliveries resumed`,
  );
});
