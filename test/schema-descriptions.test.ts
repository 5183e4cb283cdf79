// schema.graphql is the API reference a client reads: every type, field, argument, input
// field and enum value in it says what it is. This walks the schema the code emits and names
// every element without a description (introspection types and GraphQL's own scalars and
// directives excluded; the Query and Mutation root types themselves need none, their fields do).
import {
  buildSchema,
  type GraphQLSchema,
  isEnumType,
  isInputObjectType,
  isInterfaceType,
  isObjectType,
  isScalarType,
  isSpecifiedScalarType,
  isUnionType,
} from "graphql";
import { describe, expect, it } from "vitest";
import { emittedSchema } from "../src/scripts/emit-schema.js";

const described = (text: string | null | undefined): boolean => typeof text === "string" && text.trim() !== "";

/** Every element of `schema` a client sees without a description, as Type, Type.field, Type.field(arg) or Enum.VALUE. */
function undescribed(schema: GraphQLSchema): string[] {
  const roots = new Set([schema.getQueryType(), schema.getMutationType(), schema.getSubscriptionType()].map((t) => t?.name));
  const missing: string[] = [];
  for (const type of Object.values(schema.getTypeMap())) {
    if (type.name.startsWith("__") || (isScalarType(type) && isSpecifiedScalarType(type))) continue;
    if (!roots.has(type.name) && !described(type.description)) missing.push(type.name);
    if (isObjectType(type) || isInterfaceType(type)) {
      for (const field of Object.values(type.getFields())) {
        if (!described(field.description)) missing.push(`${type.name}.${field.name}`);
        for (const arg of field.args) if (!described(arg.description)) missing.push(`${type.name}.${field.name}(${arg.name})`);
      }
    } else if (isInputObjectType(type)) {
      for (const field of Object.values(type.getFields())) if (!described(field.description)) missing.push(`${type.name}.${field.name}`);
    } else if (isEnumType(type)) {
      for (const value of type.getValues()) if (!described(value.description)) missing.push(`${type.name}.${value.name}`);
    } else if (isUnionType(type)) {
      // a union's members are object types, checked on their own
    }
  }
  return missing.sort();
}

describe("schema descriptions", () => {
  it("finds what is undescribed (the walk itself, on a known schema)", () => {
    const schema = buildSchema(`
      """Described."""
      type Thing { a: Int, """Described.""" b(x: Int, """Described.""" y: Int): Int }
      type Query { thing(id: ID): Thing, """Described.""" ok: Int }
      input Filter { a: Int, """Described.""" b: Int }
      """Described."""
      enum Color { RED, """Described.""" BLUE }
      scalar Stamp
      union Any = Thing
    `);
    expect(undescribed(schema)).toEqual([
      "Any",
      "Color.RED",
      "Filter",
      "Filter.a",
      "Query.thing",
      "Query.thing(id)",
      "Stamp",
      "Thing.a",
      "Thing.b(x)",
    ]);
  });

  it("describes every type, field, argument, input field and enum value of the emitted schema", () => {
    expect(undescribed(buildSchema(emittedSchema()))).toEqual([]);
  });
});
