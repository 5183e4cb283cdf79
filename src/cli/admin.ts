// The admin CLI: `npm run --silent admin -- <command> [options]`. Results are JSON on
// stdout; errors are one line on stderr with what to do, and a non-zero exit code.
import { parseArgs } from "node:util";
import { and, asc, desc, eq } from "drizzle-orm";
import { type Caller, type OrganizationRow, systemCaller } from "../auth/principal.js";
import { ConfigError, loadConfig } from "../config.js";
import { openDatabase } from "../db/client.js";
import { accessTokensTable, membershipsTable, SUBSCRIPTION_TIERS, type SubscriptionTierValue, usersTable } from "../db/schema.js";
import { AppError, NotFoundError } from "../errors.js";
import { loadServerKey } from "../lib/server-key.js";
import { quote } from "../lib/validation.js";
import { organizationTokensEnabled } from "../modules/organizations/subscription.js";
import { createServices, type Services } from "../services.js";

interface Command {
  readonly summary: string;
  readonly usage: string;
  readonly options: NonNullable<Parameters<typeof parseArgs>[0]>["options"];
  run(services: Services, values: Record<string, string | boolean | undefined>): unknown;
}

/** A wrong or missing option: exit 2 and show the command's usage. */
class UsageError extends Error {}
/** The command cannot run as asked (the message says what to do first): exit 1. */
class CliError extends Error {}

const required = (values: Record<string, unknown>, name: string): string => {
  const value = values[name];
  if (typeof value !== "string" || value === "") throw new UsageError(`--${name} is required`);
  return value;
};

/** What the audit log shows for changes made here. */
const CLI_LABEL = "admin CLI";
const CLI_USER_AGENT = "gatehouse admin CLI";

/** An ISO 8601 date or time (`2030-03-31`, `2030-03-31T12:00:00Z`), or null when the option is absent. */
function optionalDate(values: Record<string, unknown>, name: string): Date | null {
  const value = values[name];
  if (value === undefined) return null;
  const iso = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})?)?$/;
  const date = typeof value === "string" && iso.test(value) ? new Date(value) : null;
  if (!date || Number.isNaN(date.getTime())) {
    throw new UsageError(`--${name} ${JSON.stringify(value)} is not a date: give an ISO 8601 date or time, e.g. 2030-03-31 or 2030-03-31T12:00:00Z`);
  }
  if (date.getTime() <= Date.now()) throw new UsageError(`--${name} ${value} is in the past: give a future date`);
  return date;
}

function requireOrganization(services: Services, name: string): OrganizationRow {
  const organization = services.organizations.findByName(name);
  if (!organization) {
    throw new NotFoundError(`organization ${quote(name)} not found: check the name (organization names are unique, case aside)`);
  }
  return organization;
}

/**
 * The organization admin an organization token made here is recorded as created by: the
 * given login (who must be an ADMIN of it), else its oldest ADMIN member. A token's creator
 * is always a user (the API shows `createdBy`), so the CLI names a real, accountable admin
 * rather than inventing a system creator; the audit event's user agent says it came from here.
 */
function creatingAdmin(services: Services, organization: OrganizationRow, login: string | undefined): Caller {
  const { db } = services;
  const m = membershipsTable;
  const admin = db
    .select({ user: usersTable })
    .from(m)
    .innerJoin(usersTable, eq(usersTable.id, m.userId))
    .where(and(eq(m.organizationId, organization.id), eq(m.role, "ADMIN")))
    .orderBy(asc(m.seq))
    .all()
    .find(({ user }) => login === undefined || user.login.toLowerCase() === login.toLowerCase())?.user;
  if (!admin) {
    throw new NotFoundError(`${quote(login ?? "")} is not an ADMIN of "${organization.name}": name one of its admins, or leave --as out`);
  }
  // A user principal carries the token it authenticated with; the services read only the
  // user, so the admin's newest token row stands in (the CLI authenticates by database access).
  const token = db
    .select()
    .from(accessTokensTable)
    .where(eq(accessTokensTable.userId, admin.id))
    .orderBy(desc(accessTokensTable.createdAt))
    .get()!;
  return { principal: { kind: "USER", user: admin, token }, sourceIp: null, userAgent: CLI_USER_AGENT, requestId: null };
}

const COMMANDS: Record<string, Command> = {
  "create-user": {
    summary: "create a user and print their first personal access token",
    usage: "create-user --login L [--name N] [--email E] [--site-admin]",
    options: {
      login: { type: "string" },
      name: { type: "string" },
      email: { type: "string" },
      "site-admin": { type: "boolean" },
    },
    run(services, values) {
      const { user, token } = services.users.create({
        login: required(values, "login"),
        name: (values.name as string | undefined) ?? null,
        email: (values.email as string | undefined) ?? null,
        siteAdmin: values["site-admin"] === true,
      });
      return { user: { id: user.id, login: user.login }, token: token.secret };
    },
  },
  "list-users": {
    summary: "print every user as a JSON array (id, login, name, email, isSiteAdmin, createdAt), oldest first",
    usage: "list-users",
    options: {},
    run(services) {
      return services.users.list().map(({ id, login, name, email, isSiteAdmin, createdAt }) => ({
        id,
        login,
        name,
        email,
        isSiteAdmin,
        createdAt,
      }));
    },
  },
  "set-subscription": {
    summary: "put an organization on a tier; with --trial-ends it is a trial until then (audited as the system)",
    usage: `set-subscription --org NAME --tier ${SUBSCRIPTION_TIERS.join("|")} [--trial-ends ISO]`,
    options: { org: { type: "string" }, tier: { type: "string" }, "trial-ends": { type: "string" } },
    run(services, values) {
      const given = required(values, "tier");
      const tier = given.toUpperCase().replaceAll("-", "_") as SubscriptionTierValue;
      if (!SUBSCRIPTION_TIERS.includes(tier)) {
        throw new UsageError(`unknown tier ${quote(given)}: use one of ${SUBSCRIPTION_TIERS.join(", ")}`);
      }
      const trialEndsAt = optionalDate(values, "trial-ends");
      const before = requireOrganization(services, required(values, "org"));
      const after = services.organizations.setSubscription(systemCaller(CLI_LABEL), { organization: before.name, tier, trialEndsAt });
      return {
        organization: { name: after.name, tier: after.tier, trialEndsAt: after.trialEndsAt, previousTier: before.tier },
      };
    },
  },
  "create-org-token": {
    summary: "issue an organization token for CI, print its secret once (its creator: the oldest ADMIN, or --as)",
    usage: "create-org-token --org NAME --name TOKENNAME [--description D] [--expires ISO] [--as ADMIN_LOGIN]",
    options: {
      org: { type: "string" },
      name: { type: "string" },
      description: { type: "string" },
      expires: { type: "string" },
      as: { type: "string" },
    },
    run(services, values) {
      const name = required(values, "name");
      const expiresAt = optionalDate(values, "expires");
      const organization = requireOrganization(services, required(values, "org"));
      if (!organizationTokensEnabled(organization)) {
        const why = organization.trialEndsAt ? `its ${organization.tier} trial has ended` : `it is on the ${organization.tier} tier`;
        throw new CliError(
          `"${organization.name}" cannot have organization tokens: ${why}. First run: npm run --silent admin -- set-subscription --org ${organization.name} --tier ENTERPRISE_GROWTH`,
        );
      }
      // the token's creator is a real admin of the organization; the audit event names the CLI
      const admin = creatingAdmin(services, organization, values.as as string | undefined);
      if (admin.principal.kind !== "USER") throw new CliError("no admin to record as the token's creator");
      const { row, secret } = services.tokens.createForOrganization(
        systemCaller(CLI_LABEL),
        organization,
        { organization: organization.name, name, description: (values.description as string | undefined) ?? "Created with the admin CLI", expiresAt },
        admin.principal.user,
      );
      const login = admin.principal.user.login;
      return {
        token: { id: row.id, name: row.name, organization: organization.name, expiresAt: row.expiresAt },
        secret,
        createdBy: login,
        note: `createdBy "${login}", ${values.as ? "as asked" : `the oldest ADMIN of "${organization.name}"`}; the audit event names the admin CLI`,
      };
    },
  },
  "revoke-token": {
    summary: "incident response: revoke any personal or organization token by id (org tokens: audited as the system)",
    usage: "revoke-token --id UUID",
    options: { id: { type: "string" } },
    run(services, values) {
      const row = services.tokens.revokeAny(systemCaller(CLI_LABEL), required(values, "id"));
      const owner =
        row.kind === "ORGANIZATION"
          ? { organization: services.organizations.byIds([row.organizationId!])[0]?.name ?? null, name: row.name }
          : { user: services.users.byIds([row.userId!])[0]?.login ?? null };
      return { revoked: { id: row.id, kind: row.kind, ...owner, deletedAt: row.deletedAt } };
    },
  },
};

function help(): string {
  const lines = Object.entries(COMMANDS).map(([, c]) => `  ${c.usage}\n      ${c.summary}`);
  return [
    "Gatehouse admin CLI. Uses the database at DATABASE_PATH (default ./data/gatehouse.db).",
    "",
    "usage: npm run --silent admin -- <command> [options]",
    "",
    "commands:",
    ...lines,
  ].join("\n");
}

export function runAdminCli(argv: string[], env: Record<string, string | undefined> = process.env): number {
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    console.log(help());
    return 0;
  }
  const command = COMMANDS[name];
  if (!command) {
    console.error(`gatehouse admin: unknown command "${name}"; run with --help to list the commands`);
    return 2;
  }
  if (rest.includes("--help") || rest.includes("-h")) {
    console.log(`usage: npm run --silent admin -- ${command.usage}\n  ${command.summary}`);
    return 0;
  }
  try {
    const { values } = parseArgs({ args: rest, options: command.options, strict: true, allowPositionals: false });
    const config = loadConfig(env);
    const db = openDatabase(config.databasePath, { synchronous: config.databaseSynchronous });
    try {
      const services = createServices(db, loadServerKey(config.secretKey, config.databasePath));
      console.log(JSON.stringify(command.run(services, values as Record<string, string | boolean | undefined>)));
    } finally {
      db.$client.close();
    }
    return 0;
  } catch (error) {
    if (error instanceof AppError || error instanceof CliError) {
      console.error(`gatehouse admin ${name}: ${error.message}`);
      return 1;
    }
    if (error instanceof UsageError || error instanceof ConfigError || (error as { code?: string }).code?.startsWith("ERR_PARSE_ARGS")) {
      console.error(`gatehouse admin ${name}: ${(error as Error).message}\nusage: npm run --silent admin -- ${command.usage}`);
      return 2;
    }
    console.error(`gatehouse admin ${name}: failed: ${(error as Error).message}`);
    return 1;
  }
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  process.exitCode = runAdminCli(process.argv.slice(2));
}
