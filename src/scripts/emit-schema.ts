// Writes schema.graphql from the code (type-graphql's emitter), or with --check fails when
// the committed file differs from what the code emits.
import "reflect-metadata";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { emitSchemaDefinitionFileSync } from "type-graphql";
import { buildBareSchema } from "../graphql/schema.js";

export const SCHEMA_FILE = fileURLToPath(new URL("../../schema.graphql", import.meta.url));

/** The text type-graphql emits for the current code. */
export function emittedSchema(): string {
  const dir = mkdtempSync(join(tmpdir(), "gatehouse-schema-"));
  try {
    const file = join(dir, "schema.graphql");
    emitSchemaDefinitionFileSync(file, buildBareSchema());
    return readFileSync(file, "utf8");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const fresh = emittedSchema();
  if (process.argv.includes("--check")) {
    let committed = "";
    try {
      committed = readFileSync(SCHEMA_FILE, "utf8");
    } catch {
      committed = "";
    }
    if (committed !== fresh) {
      console.error("schema.graphql is stale: run `npm run schema:emit` and commit the result");
      process.exit(1);
    }
  } else {
    emitSchemaDefinitionFileSync(SCHEMA_FILE, buildBareSchema());
    console.log(`wrote ${SCHEMA_FILE}`);
  }
}
