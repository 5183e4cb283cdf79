// What `pulumi up` would send for the demo stacks: engine events (preludeEvent,
// resourcePreEvent, resOutputsEvent, diagnosticEvent, summaryEvent …) and checkpoints
// (`pulumi stack export` shape) holding resources with real-looking URNs. Nothing here
// touches the database: src/scripts/demo-data.ts feeds the output to the services.
// All variation comes from a seeded generator, so two runs produce the same content.
import type { ResourceChangesValue } from "../db/schema.js";

// ---------------------------------------------------------------- seeded randomness

export type Rng = () => number;

/** mulberry32 seeded with an FNV-1a hash of `seed`: same seed, same sequence. */
export function seededRng(seed: string): Rng {
  let h = 2166136261;
  for (let i = 0; i < seed.length; i++) h = Math.imul(h ^ seed.charCodeAt(i), 16777619);
  let a = h >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const int = (rng: Rng, min: number, max: number) => min + Math.floor(rng() * (max - min + 1));
export const pick = <T>(rng: Rng, items: readonly T[]): T => items[Math.floor(rng() * items.length)]!;
const hex = (rng: Rng, n: number) => Array.from({ length: n }, () => Math.floor(rng() * 16).toString(16)).join("");
const uuid = (rng: Rng) => `${hex(rng, 8)}-${hex(rng, 4)}-4${hex(rng, 3)}-a${hex(rng, 3)}-${hex(rng, 12)}`;

// ---------------------------------------------------------------- what each project deploys

/** One resource of a project's program. `vary` names the input a code change touches. */
interface ResourceSpec {
  readonly type: string;
  readonly name: string;
  readonly inputs: Record<string, unknown>;
  readonly vary?: readonly [key: string, value: (generation: number) => unknown];
}

export interface ProjectSpec {
  readonly runtime: "nodejs" | "python" | "go";
  readonly description: string;
  readonly resources: readonly ResourceSpec[];
}

const r = (type: string, name: string, inputs: Record<string, unknown> = {}, vary?: ResourceSpec["vary"]): ResourceSpec =>
  vary ? { type, name, inputs, vary } : { type, name, inputs };

export const PROJECTS: Record<string, ProjectSpec> = {
  "web-api": {
    runtime: "nodejs",
    description: "Public HTTP API on ECS Fargate behind an ALB",
    resources: [
      r("aws:iam/role:Role", "api-task-role", { assumeRolePolicy: "ecs-tasks.amazonaws.com" }),
      r("aws:ec2/securityGroup:SecurityGroup", "api-sg", { ingress: [{ protocol: "tcp", fromPort: 443, toPort: 443 }] }),
      r("aws:lb/loadBalancer:LoadBalancer", "api-alb", { loadBalancerType: "application", internal: false }),
      r("aws:lb/targetGroup:TargetGroup", "api-tg", { port: 8080, protocol: "HTTP", healthCheck: { path: "/healthz" } }),
      r("aws:ecs/cluster:Cluster", "api", { settings: [{ name: "containerInsights", value: "enabled" }] }),
      r("aws:ecs/taskDefinition:TaskDefinition", "api", { family: "web-api", cpu: "512", memory: "1024" }, [
        "image",
        (g) => `ghcr.io/acme-corp/web-api:1.${12 + g}.0`,
      ]),
      r("aws:ecs/service:Service", "api", { launchType: "FARGATE" }, ["desiredCount", (g) => 2 + (g % 3)]),
      r("aws:s3/bucket:Bucket", "assets", { acl: "private", forceDestroy: false }),
      r("aws:cloudwatch/logGroup:LogGroup", "api-logs", {}, ["retentionInDays", (g) => (g % 2 ? 30 : 90)]),
      r("aws:route53/record:Record", "api-dns", { type: "A", name: "api.acme-corp.example" }),
    ],
  },
  "billing-worker": {
    runtime: "go",
    description: "Invoice generation: SQS queue, Lambda worker, DynamoDB ledger",
    resources: [
      r("aws:sqs/queue:Queue", "invoices-dlq", { messageRetentionSeconds: 1209600 }),
      r("aws:sqs/queue:Queue", "invoices", {}, ["visibilityTimeoutSeconds", (g) => 120 + 60 * (g % 4)]),
      r("aws:iam/role:Role", "worker-role", { assumeRolePolicy: "lambda.amazonaws.com" }),
      r("aws:iam/rolePolicyAttachment:RolePolicyAttachment", "worker-sqs", {
        policyArn: "arn:aws:iam::aws:policy/service-role/AWSLambdaSQSQueueExecutionRole",
      }),
      r("aws:dynamodb/table:Table", "ledger", { billingMode: "PAY_PER_REQUEST", hashKey: "invoiceId" }),
      r("aws:lambda/function:Function", "invoice-worker", { runtime: "provided.al2023", handler: "bootstrap", memorySize: 512 }, [
        "s3Key",
        (g) => `billing-worker/2.${g}.0/bootstrap.zip`,
      ]),
      r("aws:lambda/eventSourceMapping:EventSourceMapping", "invoices-trigger", { batchSize: 10 }),
      r("aws:cloudwatch/metricAlarm:MetricAlarm", "dlq-depth", { comparisonOperator: "GreaterThanThreshold" }, [
        "threshold",
        (g) => 5 + 5 * (g % 3),
      ]),
    ],
  },
  network: {
    runtime: "python",
    description: "VPC, subnets, NAT and routing shared by every service",
    resources: [
      r("aws:ec2/vpc:Vpc", "main", { cidrBlock: "10.20.0.0/16", enableDnsHostnames: true }),
      r("aws:ec2/subnet:Subnet", "public-a", { cidrBlock: "10.20.0.0/20", availabilityZone: "a" }),
      r("aws:ec2/subnet:Subnet", "public-b", { cidrBlock: "10.20.16.0/20", availabilityZone: "b" }),
      r("aws:ec2/subnet:Subnet", "private-a", { cidrBlock: "10.20.128.0/20", availabilityZone: "a" }),
      r("aws:ec2/subnet:Subnet", "private-b", { cidrBlock: "10.20.144.0/20", availabilityZone: "b" }),
      r("aws:ec2/internetGateway:InternetGateway", "igw"),
      r("aws:ec2/eip:Eip", "nat-a", { domain: "vpc" }),
      r("aws:ec2/natGateway:NatGateway", "nat-a", { connectivityType: "public" }),
      r("aws:ec2/routeTable:RouteTable", "private", {}, ["tags", (g) => ({ Name: "private", revision: `r${g}` })]),
      r("aws:ec2/vpcEndpoint:VpcEndpoint", "s3", { serviceName: "com.amazonaws.s3", vpcEndpointType: "Gateway" }),
    ],
  },
  "data-pipeline": {
    runtime: "python",
    description: "Event ingestion into BigQuery via Pub/Sub and Cloud Functions",
    resources: [
      r("gcp:serviceaccount/account:Account", "pipeline-sa", { accountId: "data-pipeline" }),
      r("gcp:storage/bucket:Bucket", "raw-events", { location: "US", storageClass: "STANDARD" }),
      r("gcp:pubsub/topic:Topic", "ingest", { messageRetentionDuration: "86600s" }),
      r("gcp:pubsub/subscription:Subscription", "ingest-sub", {}, ["ackDeadlineSeconds", (g) => 30 + 10 * (g % 4)]),
      r("gcp:bigquery/dataset:Dataset", "analytics", { location: "US" }),
      r("gcp:bigquery/table:Table", "events", { timePartitioning: { type: "DAY" } }),
      r("gcp:cloudfunctions/function:Function", "transform", { runtime: "python312", entryPoint: "transform" }, [
        "sourceArchiveObject",
        (g) => `transform-${g}.zip`,
      ]),
      r("gcp:cloudscheduler/job:Job", "nightly-compaction", {}, ["schedule", (g) => `0 ${2 + (g % 3)} * * *`]),
    ],
  },
  "auth-service": {
    runtime: "go",
    description: "OIDC login service on Kubernetes with a Postgres database",
    resources: [
      r("random:index/randomPassword:RandomPassword", "db-password", { length: 32, special: false }),
      r("aws:rds/instance:Instance", "auth-db", { engine: "postgres", instanceClass: "db.t4g.medium" }, [
        "engineVersion",
        (g) => `16.${1 + (g % 4)}`,
      ]),
      r("kubernetes:core/v1:Namespace", "auth"),
      r("kubernetes:core/v1:ConfigMap", "auth-config", {}, ["data", (g) => ({ LOG_LEVEL: g % 2 ? "info" : "debug", SESSION_TTL: "8h" })]),
      r("kubernetes:core/v1:Secret", "auth-keys", { type: "Opaque" }),
      r("kubernetes:apps/v1:Deployment", "auth", { replicas: 3 }, ["image", (g) => `ghcr.io/acme-corp/auth-service:0.${30 + g}.1`]),
      r("kubernetes:core/v1:Service", "auth", { type: "ClusterIP", port: 8443 }),
      r("kubernetes:networking.k8s.io/v1:Ingress", "auth", { host: "login.acme-corp.example" }),
    ],
  },
  observability: {
    runtime: "nodejs",
    description: "Monitors, dashboards and paging for the production services",
    resources: [
      r("aws:sns/topic:Topic", "alerts"),
      r("pagerduty:index/service:Service", "oncall", { escalationPolicy: "platform-primary" }),
      r("datadog:index/monitor:Monitor", "api-latency", { type: "metric alert" }, [
        "query",
        (g) => `avg(last_5m):avg:trace.http.request.duration{service:web-api} > ${(0.4 + 0.1 * (g % 3)).toFixed(1)}`,
      ]),
      r("datadog:index/monitor:Monitor", "error-rate", { type: "query alert", query: "sum(last_10m):errors{*}.as_count() > 50" }),
      r("datadog:index/dashboard:Dashboard", "overview", { layoutType: "ordered" }, ["title", (g) => `Acme overview (v${g})`]),
      r("datadog:index/syntheticsTest:SyntheticsTest", "api-health", { type: "api", locations: ["aws:us-west-2"] }),
      r("aws:cloudwatch/logGroup:LogGroup", "audit-logs", { retentionInDays: 365 }),
    ],
  },
};

const PROVIDER_VERSIONS: Record<string, string> = {
  aws: "6.56.1",
  gcp: "8.5.0",
  kubernetes: "4.18.3",
  random: "4.16.7",
  datadog: "4.38.0",
  pagerduty: "4.17.0",
};

const ID_PREFIXES: Record<string, string> = {
  Vpc: "vpc-",
  Subnet: "subnet-",
  SecurityGroup: "sg-",
  InternetGateway: "igw-",
  NatGateway: "nat-",
  Eip: "eipalloc-",
  RouteTable: "rtb-",
  VpcEndpoint: "vpce-",
};

// ---------------------------------------------------------------- one stack's simulated life

export type Op = "create" | "update" | "replace" | "delete" | "same" | "import";
export type OperationKind = "UPDATE" | "PREVIEW" | "REFRESH" | "DESTROY" | "IMPORT";

interface Step {
  readonly op: Op;
  readonly urn: string;
  readonly type: string;
  readonly id: string;
  readonly inputs: Record<string, unknown>;
  readonly diffs: string[];
}

interface Plan {
  readonly steps: readonly Step[];
  readonly commit: () => void;
}

export interface EngineEvent {
  sequence: number;
  type: string;
  payload: Record<string, unknown>;
}

/** How a simulated update ends: completed (with or without an error) or stopped early. */
export type Ending = "succeeded" | "failed" | "cancelled" | "running";

export interface SimulatedUpdate {
  readonly events: EngineEvent[];
  /** For completeUpdate (import steps count as creates). */
  readonly resourceChanges: ResourceChangesValue;
  /** The checkpoint after the update, for a succeeded non-preview one. */
  readonly state: Record<string, unknown> | null;
}

interface Live {
  readonly spec: ResourceSpec;
  readonly id: string;
  generation: number;
}

/**
 * A stack of a project: which resources exist (ids, generations), and what the next
 * preview/update/refresh/destroy/import would do, as engine events.
 */
export class StackSimulation {
  private readonly live = new Map<string, Live>();
  private readonly providers = new Map<string, string>();
  private created = false;
  /** The plan the last preview showed, which the next update carries out. */
  private previewed: Plan | null = null;

  constructor(
    readonly project: string,
    readonly stack: string,
    private readonly rng: Rng,
  ) {}

  private get spec(): ProjectSpec {
    return PROJECTS[this.project]!;
  }

  private get region(): string {
    if (this.stack.includes("eu")) return "eu-west-1";
    if (this.stack.includes("ap")) return "ap-southeast-2";
    return "us-west-2";
  }

  urn(type: string, name: string): string {
    return `urn:pulumi:${this.stack}::${this.project}::${type}::${name}`;
  }

  private get stackUrn(): string {
    return this.urn("pulumi:pulumi:Stack", `${this.project}-${this.stack}`);
  }

  private providerRef(type: string): string {
    const pkg = type.split(":")[0]!;
    let id = this.providers.get(pkg);
    if (!id) {
      id = uuid(this.rng);
      this.providers.set(pkg, id);
    }
    return `${this.urn(`pulumi:providers:${pkg}`, `default_${PROVIDER_VERSIONS[pkg]!.replaceAll(".", "_")}`)}::${id}`;
  }

  private newId(spec: ResourceSpec): string {
    const kind = spec.type.split(":").at(-1)!;
    const prefix = ID_PREFIXES[kind];
    if (prefix) return `${prefix}0${hex(this.rng, 16)}`;
    if (spec.type.startsWith("kubernetes:")) return `auth/${spec.name}`;
    return `${spec.name}-${this.stack}-${hex(this.rng, 7)}`;
  }

  private inputsOf(spec: ResourceSpec, generation: number): Record<string, unknown> {
    const inputs: Record<string, unknown> = { ...spec.inputs };
    if (spec.vary) inputs[spec.vary[0]] = spec.vary[1](generation);
    if (spec.type.startsWith("aws:") && !spec.vary?.[0].startsWith("tags")) {
      inputs.tags = { env: this.stack, project: this.project, "managed-by": "pulumi" };
    }
    return inputs;
  }

  private outputsOf(spec: ResourceSpec, id: string, inputs: Record<string, unknown>): Record<string, unknown> {
    const outputs: Record<string, unknown> = { ...inputs, id };
    if (spec.type.startsWith("aws:")) {
      const service = spec.type.slice(4).split("/")[0];
      const resource = spec.type.split(":").at(-1)!.toLowerCase();
      outputs.arn = `arn:aws:${service}:${service === "iam" ? "" : this.region}:123456789012:${resource}/${id}`;
    }
    if (spec.type.startsWith("gcp:")) outputs.project = `acme-${this.stack}`;
    return outputs;
  }

  /**
   * The steps of the next operation, and `commit`, which makes them the stack's new truth.
   * A preview's plan is kept for the update that follows it, so the two agree.
   */
  private plan(kind: OperationKind): Plan {
    if (kind === "UPDATE" && this.previewed) return this.previewed;
    const steps: Step[] = [];
    const changes: (() => void)[] = [];
    const step = (op: Op, spec: ResourceSpec, id: string, generation: number, diffs: string[] = []) =>
      steps.push({ op, urn: this.urn(spec.type, spec.name), type: spec.type, id, inputs: this.inputsOf(spec, generation), diffs });
    const put = (spec: ResourceSpec, id: string, generation: number) =>
      changes.push(() => this.live.set(spec.name + spec.type, { spec, id, generation }));
    const all = this.spec.resources;
    if (kind === "DESTROY") {
      for (const live of [...this.live.values()].reverse()) step("delete", live.spec, live.id, live.generation);
      changes.push(() => this.live.clear());
    } else if (!this.created) {
      // first deployment: all but the last resource or two, which later updates add
      for (const spec of all.slice(0, all.length - int(this.rng, 1, 2))) {
        const id = this.newId(spec);
        step(kind === "IMPORT" ? "import" : "create", spec, id, 1);
        put(spec, id, 1);
      }
      changes.push(() => (this.created = true));
    } else {
      const missing = all.filter((spec) => !this.live.has(spec.name + spec.type));
      const adding = kind === "REFRESH" ? [] : missing.slice(0, this.rng() < 0.35 ? 1 : 0);
      const varying = [...this.live.values()].filter((l) => l.spec.vary);
      const touched = new Set<Live>();
      if (kind !== "REFRESH" || this.rng() < 0.4) {
        for (let n = kind === "REFRESH" ? 1 : int(this.rng, 1, 2); n > 0 && varying.length > 0; n--) touched.add(pick(this.rng, varying));
      }
      const replacing = kind !== "REFRESH" && this.rng() < 0.12 ? [...this.live.values()].find((l) => !l.spec.vary) : undefined;
      for (const live of this.live.values()) {
        if (live === replacing) {
          const id = this.newId(live.spec);
          step("replace", live.spec, id, live.generation, Object.keys(live.spec.inputs).slice(0, 1));
          put(live.spec, id, live.generation);
        } else if (touched.has(live)) {
          step("update", live.spec, live.id, live.generation + 1, [live.spec.vary![0]]);
          put(live.spec, live.id, live.generation + 1);
        } else {
          step("same", live.spec, live.id, live.generation);
        }
      }
      for (const spec of adding) {
        const id = this.newId(spec);
        step("create", spec, id, 1);
        put(spec, id, 1);
      }
    }
    return { steps, commit: () => changes.forEach((change) => change()) };
  }

  /** The events and outcome of one operation; changes the simulated stack only when it succeeds and is not a preview. */
  run(kind: OperationKind, ending: Ending): SimulatedUpdate {
    const preview = kind === "PREVIEW";
    const existed = this.created;
    const plan = this.plan(kind);
    // a preview is kept for the next update; anything else that ends consumes it
    this.previewed = preview ? plan : null;
    if (!preview && ending === "succeeded") plan.commit();
    const { steps } = plan;
    const events: EngineEvent[] = [];
    const emit = (type: string, payload: Record<string, unknown>) => events.push({ sequence: events.length, type, payload });

    emit("preludeEvent", { config: { "aws:region": this.region, [`${this.project}:environment`]: this.stack } });
    emit("stdoutEvent", {
      message: `${preview ? "Previewing" : "Running"} ${kind.toLowerCase()} of ${this.project}/${this.stack}\n`,
      color: "raw",
    });
    const stackOp = kind === "DESTROY" ? "delete" : existed ? "same" : "create";
    const stackMetadata = { op: stackOp, urn: this.stackUrn, type: "pulumi:pulumi:Stack", provider: "" };
    emit("resourcePreEvent", { metadata: stackMetadata, planning: preview });

    // how far a failed, cancelled or still running update gets
    const stopAt = ending === "succeeded" ? steps.length : Math.max(1, Math.floor(steps.length * (0.3 + 0.4 * this.rng())));
    const counts: Record<string, number> = {};
    for (const [i, s] of steps.entries()) {
      if (i >= stopAt) break;
      const metadata = {
        op: s.op,
        urn: s.urn,
        type: s.type,
        provider: this.providerRef(s.type),
        old: s.op === "create" || s.op === "import" ? null : { urn: s.urn, type: s.type, id: s.id, custom: true },
        new: s.op === "delete" ? null : { urn: s.urn, type: s.type, custom: true, inputs: s.inputs },
        diffs: s.diffs,
        detailedDiff: s.diffs.length
          ? Object.fromEntries(s.diffs.map((d) => [d, { kind: s.op === "replace" ? "update-replace" : "update" }]))
          : null,
        logical: true,
      };
      emit("resourcePreEvent", { metadata, planning: preview });
      const last = i === stopAt - 1;
      if (last && ending === "running") return this.result(events, counts, null);
      if (last && ending === "failed") {
        emit("diagnosticEvent", {
          urn: s.urn,
          prefix: "error: ",
          message: `  ${VERBS[s.op]} ${s.type.split(":").at(-1)} (${s.id}): operation error: api error ThrottlingException: Rate exceeded\n`,
          color: "never",
          severity: "error",
        });
        emit("resOpFailedEvent", { metadata, status: 1, steps: 1 });
        break;
      }
      counts[s.op] = (counts[s.op] ?? 0) + 1;
      const outputs =
        s.op === "delete" ? {} : this.outputsOf({ type: s.type, name: s.urn.split("::").at(-1)!, inputs: s.inputs }, s.id, s.inputs);
      emit("resOutputsEvent", {
        metadata: { ...metadata, new: metadata.new && { ...metadata.new, id: s.id, outputs } },
        planning: preview,
      });
      if (s.type === "aws:s3/bucket:Bucket" && s.op !== "delete" && this.stack.startsWith("prod")) {
        emit("policyEvent", {
          resourceUrn: s.urn,
          message: "S3 buckets should enable versioning for production data.",
          color: "raw",
          policyName: "s3-bucket-versioning",
          policyPackName: "acme-baseline",
          policyPackVersion: "1.4.0",
          enforcementLevel: "advisory",
        });
      }
    }
    if (ending === "cancelled") {
      emit("cancelEvent", {});
      return this.result(events, counts, null);
    }
    if (ending === "failed") {
      emit("diagnosticEvent", { urn: this.stackUrn, prefix: "error: ", message: "update failed\n", color: "never", severity: "error" });
    } else {
      emit("resOutputsEvent", { metadata: stackMetadata, planning: preview });
    }
    emit("summaryEvent", {
      maybeCorrupt: false,
      durationSeconds: int(this.rng, 8, 240),
      resourceChanges: counts,
      policyPacks: { "acme-baseline": "1.4.0" },
    });
    const state = !preview && ending === "succeeded" ? this.checkpoint() : null;
    return this.result(events, counts, state);
  }

  private result(events: EngineEvent[], counts: Record<string, number>, state: Record<string, unknown> | null): SimulatedUpdate {
    const resourceChanges = {
      create: (counts.create ?? 0) + (counts.import ?? 0),
      update: counts.update ?? 0,
      delete: counts.delete ?? 0,
      same: counts.same ?? 0,
      replace: counts.replace ?? 0,
    };
    return { events, resourceChanges, state };
  }

  /** `pulumi stack export` of the stack as it is now: the Stack resource, its providers and every resource. */
  checkpoint(): Record<string, unknown> {
    const resources: Record<string, unknown>[] = [];
    if (this.live.size > 0) {
      resources.push({ urn: this.stackUrn, custom: false, type: "pulumi:pulumi:Stack", outputs: { environment: this.stack } });
      const packages = new Set([...this.live.values()].map((l) => l.spec.type.split(":")[0]!));
      for (const pkg of packages) {
        const [urn, id] = splitRef(this.providerRef(`${pkg}:`));
        resources.push({ urn, custom: true, id, type: `pulumi:providers:${pkg}`, inputs: { version: PROVIDER_VERSIONS[pkg] } });
      }
      for (const live of this.live.values()) {
        const inputs = this.inputsOf(live.spec, live.generation);
        resources.push({
          urn: this.urn(live.spec.type, live.spec.name),
          custom: true,
          id: live.id,
          type: live.spec.type,
          inputs,
          outputs: this.outputsOf(live.spec, live.id, inputs),
          parent: this.stackUrn,
          provider: this.providerRef(live.spec.type),
        });
      }
    }
    return {
      version: 3,
      deployment: {
        manifest: { time: new Date().toISOString(), magic: "", version: "v3.137.0" },
        secrets_providers: { type: "service" },
        resources,
      },
    };
  }
}

const VERBS: Record<Op, string> = {
  create: "creating",
  update: "updating",
  replace: "replacing",
  delete: "deleting",
  same: "reading",
  import: "importing",
};

const splitRef = (ref: string): [string, string] => {
  const at = ref.lastIndexOf("::");
  return [ref.slice(0, at), ref.slice(at + 2)];
};
