// Each schema and its committed migrations say the same: `drizzle-kit generate` run against a
// copy of a migrations folder has nothing to generate, for both dialects. An edit made to a
// schema without generating its migration (here: the unique index on organization token
// names) is caught.
import { execFile } from "node:child_process";
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testBackend } from "./support/test-server.js";

// it compares each schema with its migrations, no database: run once, in the sqlite project
const runsHere = testBackend() === "sqlite";

const root = join(import.meta.dirname, "..");
const drizzleKit = join(root, "node_modules/drizzle-kit/bin.cjs");
let work = "";
beforeAll(() => {
  if (!runsHere) return;
  work = mkdtempSync(join(tmpdir(), "gatehouse-drift-"));
  // schema copies import drizzle-orm: let them resolve it from the repository's node_modules
  symlinkSync(join(root, "node_modules"), join(work, "node_modules"), "dir");
});
afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

const dialects = {
  sqlite: { dialect: "sqlite", schema: "src/db/schema.ts", migrations: "src/db/migrations" },
  postgresql: { dialect: "postgresql", schema: "src/db/postgres/schema.ts", migrations: "src/db/postgres/migrations" },
} as const;
type Dialect = keyof typeof dialects;

let runs = 0;
/** The migration files `drizzle-kit generate` writes for `schemaPath` on top of the committed ones. */
async function generated(dialect: Dialect, schemaPath: string): Promise<Array<{ file: string; sql: string }>> {
  const out = `out-${runs++}`;
  cpSync(join(root, dialects[dialect].migrations), join(work, out), { recursive: true });
  const before = new Set(readdirSync(join(work, out)));
  // drizzle-kit takes --out relative to the working directory (an absolute one is mangled
  // into ".//tmp/…", fails, and still exits 0): hence cwd = work and relative paths, and
  // the output is checked for one of its two outcomes.
  const { stdout, stderr } = await promisify(execFile)(
    process.execPath,
    [drizzleKit, "generate", "--dialect", dialect, "--schema", relative(work, schemaPath), "--out", out],
    { cwd: work, timeout: 60_000 },
  );
  if (!/No schema changes, nothing to migrate|Your SQL migration file/.test(stdout)) {
    throw new Error(`drizzle-kit generate did not finish:\n${stdout}\n${stderr}`);
  }
  return readdirSync(join(work, out))
    .filter((file) => !before.has(file))
    .map((file) => ({ file, sql: readFileSync(join(work, out, file), "utf8") }));
}

/** A copy of the schemas (and the values they import) with `edit` applied to one file. */
function editedCopy(file: string, edit: (source: string) => string): string {
  const dir = mkdtempSync(join(work, "schema-"));
  cpSync(join(root, "src/db/values.ts"), join(dir, "src/db/values.ts"));
  for (const { schema } of Object.values(dialects)) cpSync(join(root, schema), join(dir, schema));
  const source = readFileSync(join(dir, file), "utf8");
  const changed = edit(source);
  expect(changed, "the edit must change the file").not.toBe(source);
  writeFileSync(join(dir, file), changed);
  return join(dir, file);
}

/** The org token name index made case-sensitive: `lower(name)` becomes `name`. */
const editOrgTokenNameIndex = (source: string) =>
  source.replace(/(uniqueIndex\("access_tokens_org_name_unique"\)\s*\.on\(t\.organizationId, )sql`lower\(\$\{t\.name\}\)`/, "$1t.name");

describe.skipIf(!runsHere).each(Object.keys(dialects) as Dialect[])("%s schema and migrations", (dialect) => {
  const { schema } = dialects[dialect];

  it("drizzle-kit generate has nothing to generate", async () => {
    expect(await generated(dialect, join(root, schema))).toEqual([]);
  });

  it("an edit of the org token name index in the schema alone is caught", async () => {
    const changes = await generated(dialect, editedCopy(schema, editOrgTokenNameIndex));
    expect(changes.map((c) => c.file)).toHaveLength(1);
    expect(changes[0]!.sql).toContain("access_tokens_org_name_unique");
  });
});
