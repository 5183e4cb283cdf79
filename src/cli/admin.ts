// The admin CLI: `npm run --silent admin -- <command> [options]`. Results are JSON on
// stdout; errors are one line on stderr with what to do, and a non-zero exit code.
import { parseArgs } from "node:util";
import { ConfigError, loadConfig } from "../config.js";
import { openDatabase } from "../db/client.js";
import { AppError } from "../errors.js";
import { loadServerKey } from "../lib/server-key.js";
import { createServices, type Services } from "../services.js";

interface Command {
  readonly summary: string;
  readonly usage: string;
  readonly options: NonNullable<Parameters<typeof parseArgs>[0]>["options"];
  run(services: Services, values: Record<string, string | boolean | undefined>): unknown;
}

class UsageError extends Error {}

const required = (values: Record<string, unknown>, name: string): string => {
  const value = values[name];
  if (typeof value !== "string" || value === "") throw new UsageError(`--${name} is required`);
  return value;
};

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
    if (error instanceof AppError) {
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
