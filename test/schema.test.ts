import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { isObjectType } from "graphql";
import { describe, expect, it } from "vitest";
import { allow } from "graphql-shield";
import { buildBareSchema, buildGuardedSchema } from "../src/graphql/schema.js";
import { effectiveRule, permissionRules } from "../src/permissions/index.js";
import { emittedSchema, SCHEMA_FILE } from "../src/scripts/emit-schema.js";
import { contractFile, SHARED_CONTRACT_DIR, VENDORED_CONTRACT_DIR } from "./support/contract.js";

describe("schema", () => {
  it("builds under vitest (explicit types on every decorator: no reliance on decorator metadata)", () => {
    expect(buildBareSchema().getQueryType()?.name).toBe("Query");
  });

  it("schema.graphql is what the code emits (run `npm run schema:emit` when this fails)", () => {
    expect(readFileSync(SCHEMA_FILE, "utf8")).toBe(emittedSchema());
  });

  it("covers the contract (check-contract.mjs passes)", () => {
    const output = execFileSync("node", [contractFile("check-contract.mjs"), "schema.graphql"], { encoding: "utf8" });
    expect(output).toMatch(/^contract: covered/m);
  });
});

describe("contract copy", () => {
  it.skipIf(!existsSync(SHARED_CONTRACT_DIR))("test/contract/ is the same as ../shared/contract/ (copy it over when this fails)", () => {
    for (const name of readdirSync(VENDORED_CONTRACT_DIR)) {
      expect(readFileSync(VENDORED_CONTRACT_DIR + name, "utf8"), name).toBe(readFileSync(SHARED_CONTRACT_DIR + name, "utf8"));
    }
  });
});

describe("permission map", () => {
  it("wraps every field whose rule is not allow (and only those are left bare)", () => {
    const guarded = buildGuardedSchema();
    for (const type of Object.values(guarded.getTypeMap())) {
      if (!isObjectType(type) || type.name.startsWith("__")) continue;
      const bare = buildBareSchema().getType(type.name) as typeof type;
      for (const [name, field] of Object.entries(type.getFields())) {
        const wrapped = field.resolve !== bare.getFields()[name]!.resolve;
        const isAllow = effectiveRule(type.name, name) === allow;
        if (type.name !== "Mutation") expect(wrapped, `${type.name}.${name}`).toBe(!isAllow);
        else expect(wrapped, `${type.name}.${name}`).toBe(true);
      }
    }
  });

  const schema = buildBareSchema();
  const rules = permissionRules as Record<string, unknown>;

  it("names a rule for every Query and Mutation field", () => {
    for (const root of [schema.getQueryType()!, schema.getMutationType()!]) {
      const fields = Object.keys(root.getFields()).sort();
      expect(Object.keys(rules[root.name] as object).sort(), root.name).toEqual(fields);
    }
  });

  it("lists every object type, so nothing falls through to the deny fallback by accident", () => {
    const objectTypes = Object.values(schema.getTypeMap())
      .filter((t) => isObjectType(t) && !t.name.startsWith("__"))
      .map((t) => t.name)
      .sort();
    expect(Object.keys(rules).sort()).toEqual(objectTypes);
  });
});
