// The emitted schema.graphql as a typed client (GraphQL Code Generator style) sees it: the
// operations a CI script and a console write validate without touching a deprecated field,
// input enums admit only accepted values, lists a caller may read are non-null, every
// mutation takes one `input` object, stacks are named by StackRef, and what the schema adds
// to the contract is described.
import { readFileSync } from "node:fs";
import {
  buildSchema,
  type GraphQLEnumType,
  type GraphQLInputObjectType,
  type GraphQLObjectType,
  isEnumType,
  isInputObjectType,
  isNonNullType,
  isObjectType,
  NoDeprecatedCustomRule,
  parse,
  specifiedRules,
  validate,
} from "graphql";
import { describe, expect, it } from "vitest";
import { AUDIT_EVENT_IDS } from "../src/modules/audit/audit-events.js";
import { SCHEMA_FILE } from "../src/scripts/emit-schema.js";
import { contractFile } from "./support/contract.js";

const schema = buildSchema(readFileSync(SCHEMA_FILE, "utf8"));
const contract = buildSchema(readFileSync(contractFile("contract.graphql"), "utf8"));
const object = (name: string) => schema.getType(name) as GraphQLObjectType;
const input = (name: string) => schema.getType(name) as GraphQLInputObjectType;
const values = (name: string) =>
  (schema.getType(name) as GraphQLEnumType)
    .getValues()
    .map((v) => v.name)
    .sort();
const fieldType = (type: string, field: string) =>
  String((schema.getType(type) as GraphQLObjectType | GraphQLInputObjectType).getFields()[field]?.type);

/** What a CI script sends, typed from schema.graphql. */
const CI_OPERATIONS = `
query Me { viewer { kind tokenId tokenExpiresAt organizations { organization { name } } } }
query Stack($ref: StackRef!) { stack(ref: $ref) { id fullyQualifiedName viewerPermission } }
mutation Start($input: StartUpdateInput!) { startUpdate(input: $input) { id version status } }
mutation Append($input: AppendUpdateEventsInput!) { appendUpdateEvents(input: $input) }
mutation Complete($input: CompleteStackUpdateInput!) { completeStackUpdate(input: $input) { id status endedAt } }
mutation Cancel($input: CancelStackUpdateInput!) { cancelStackUpdate(input: $input) { id status } }
query Update($id: ID!) {
  stackUpdate(id: $id) {
    version kind status startedAt endedAt
    startedBy { kind name organizationTokenId user { login } }
    stack { fullyQualifiedName }
    events(first: 100) { totalCount pageInfo { hasNextPage endCursor } nodes { sequence type engineEventType payload } }
  }
}
`;

/** What the console's Access Tokens, Teams, Webhooks and Audit Log pages send. */
const CONSOLE_OPERATIONS = `
query Tokens($org: String!, $after: String) {
  organization(name: $org) {
    accessTokensConnection(first: 50, after: $after, includeDeleted: true) {
      totalCount pageInfo { hasNextPage endCursor } nodes { id name description createdAt lastUsedAt expiresAt deletedAt createdBy { login } }
    }
  }
}
query MyTokens($after: String) { personalAccessTokensConnection(after: $after, includeDeleted: true) { totalCount nodes { id description deletedAt } } }
mutation RevokeOrgToken($input: RevokeOrganizationAccessTokenInput!) { revokeOrganizationAccessToken(input: $input) { id deletedAt } }
mutation RevokeMine($input: RevokePersonalAccessTokenInput!) { revokePersonalAccessToken(input: $input) { id deletedAt } }
query Teams($org: String!) {
  organization(name: $org) {
    teamsConnection(first: 20) {
      totalCount nodes {
        name displayName
        membersConnection(first: 10) { totalCount nodes { login name avatarUrl } }
        stackGrantsConnection(first: 10) { totalCount nodes { projectName stackName permission stack { fullyQualifiedName } } }
      }
    }
  }
}
mutation Grant($input: SetTeamStackGrantInput!) { setTeamStackGrant(input: $input) { name } }
mutation Ungrant($input: RemoveTeamStackGrantInput!) { removeTeamStackGrant(input: $input) { name } }
mutation Settings($input: UpdateOrganizationSettingsInput!) { updateOrganizationSettings(input: $input) { defaultStackPermission } }
query Hooks($org: String!) { organization(name: $org) { webhooksConnection { totalCount nodes { name active format filters hasSecret } } } }
query Audit($org: String!, $filter: AuditLogFilter) {
  organization(name: $org) {
    auditLogEventsConnection(first: 100, filter: $filter) { totalCount nodes { id timestamp event eventType description user { login } tokenName authFailure } }
  }
}
`;

describe("schema.graphql for a typed client", () => {
  it.each([
    ["a CI script", CI_OPERATIONS],
    ["a console", CONSOLE_OPERATIONS],
  ])("validates the operations of %s without a deprecated field", (_who, operations) => {
    const errors = validate(schema, parse(operations), [...specifiedRules, NoDeprecatedCustomRule]);
    expect(errors.map((e) => e.message)).toEqual([]);
  });

  it("offers input enums that admit only the values the server accepts", () => {
    expect(fieldType("CompleteStackUpdateInput", "outcome")).toBe("UpdateOutcome!");
    expect(values("UpdateOutcome")).toEqual(["CANCELLED", "FAILED", "SUCCEEDED"]);
    expect(fieldType("SetTeamStackGrantInput", "permission")).toBe("StackGrantPermission!");
    expect(values("StackGrantPermission")).toEqual(["ADMIN", "READ", "WRITE"]);
    expect(fieldType("UpdateOrganizationSettingsInput", "defaultPermission")).toBe("DefaultStackPermission");
    expect(values("DefaultStackPermission")).toEqual(["NONE", "READ", "WRITE"]);
    // the contract's wider fields stay, deprecated
    expect(input("UpdateOrganizationSettingsInput").getFields().defaultStackPermission!.deprecationReason).toMatch(/defaultPermission/);
    expect(object("Mutation").getFields().completeUpdate!.deprecationReason).toMatch(/completeStackUpdate/);
  });

  it("lists every audit event id and the engine's event types in enums", () => {
    expect(values("AuditEventType")).toEqual(AUDIT_EVENT_IDS.map((id) => id.toUpperCase().replaceAll("-", "_")).sort());
    expect(fieldType("AuditLogEvent", "eventType")).toBe("AuditEventType!");
    expect(fieldType("AuditLogFilter", "eventType")).toBe("AuditEventType");
    expect(values("EngineEventType")).toEqual(
      expect.arrayContaining(["stdoutEvent", "diagnosticEvent", "resourcePreEvent", "resOutputsEvent", "summaryEvent"]),
    );
    expect(fieldType("UpdateEvent", "engineEventType")).toBe("EngineEventType");
    for (const type of ["AuditEventType", "EngineEventType"]) {
      for (const value of (schema.getType(type) as GraphQLEnumType).getValues())
        expect(value.description, `${type}.${value.name}`).toBeTruthy();
    }
    expect(readFileSync(SCHEMA_FILE, "utf8")).not.toMatch(/CONTRACT\.md/);
  });

  it("makes the lists a caller may read non-null (a refusal is an error), and requestedBy an actor", () => {
    expect(fieldType("Organization", "accessTokensConnection")).toBe("OrganizationAccessTokenConnection!");
    expect(fieldType("Organization", "webhooksConnection")).toBe("WebhookConnection!");
    expect(fieldType("Organization", "auditLogEventsConnection")).toBe("AuditLogEventConnection!");
    expect(fieldType("Organization", "teamsConnection")).toBe("TeamConnection!");
    expect(fieldType("Team", "membersConnection")).toBe("TeamMemberConnection!");
    expect(fieldType("Team", "stackGrantsConnection")).toBe("TeamStackGrantConnection!");
    expect(fieldType("Query", "personalAccessTokensConnection")).toBe("PersonalAccessTokenConnection!");
    expect(fieldType("StackUpdate", "startedBy")).toBe("Actor!");
    expect(fieldType("Actor", "kind")).toBe("ActorKind!");
    expect(fieldType("Query", "stackUpdate")).toBe("StackUpdate");
    expect(fieldType("StackUpdate", "stack")).toBe("Stack!");
    for (const [type, field, instead] of [
      ["Organization", "accessTokens", "accessTokensConnection"],
      ["Organization", "webhooks", "webhooksConnection"],
      ["Organization", "auditLogEvents", "auditLogEventsConnection"],
      ["Organization", "teams", "teamsConnection"],
      ["Team", "members", "membersConnection"],
      ["Team", "stackGrants", "stackGrantsConnection"],
      ["StackUpdate", "requestedBy", "startedBy"],
    ] as const) {
      expect(object(type).getFields()[field]!.deprecationReason, `${type}.${field}`).toContain(instead);
    }
  });

  it("gives every mutation not deprecated one non-null `input` object, and names stacks by StackRef", () => {
    const mutations = Object.values(object("Mutation").getFields()).filter((f) => !f.deprecationReason);
    for (const mutation of mutations) {
      expect(
        mutation.args.map((a) => a.name),
        mutation.name,
      ).toEqual(["input"]);
      const arg = mutation.args[0]!;
      expect(isNonNullType(arg.type) && isInputObjectType(arg.type.ofType), mutation.name).toBe(true);
    }
    // an input of a mutation not deprecated names an existing stack by StackRef, not by loose strings
    const inputs = new Set(mutations.map((m) => String(m.args[0]!.type).replace("!", "")));
    const loose = [...inputs].filter((name) => {
      const fields = input(name).getFields();
      return "project" in fields && String(fields.stack?.type) === "String!";
    });
    // creating a stack names a stack that does not exist yet: its fields are StackRef's
    expect(loose).toEqual(["CreateStackInput"]);
    const deprecated = Object.values(object("Mutation").getFields())
      .filter((f) => f.deprecationReason)
      .map((f) => f.name)
      .sort();
    expect(deprecated).toEqual([
      "cancelUpdate",
      "completeUpdate",
      "deleteOrganizationAccessToken",
      "deletePersonalAccessToken",
      "grantTeamStackAccess",
      "revokeTeamStackAccess",
    ]);
  });

  it("describes every type, field, argument and enum value it adds to the contract", () => {
    const missing: string[] = [];
    for (const type of Object.values(schema.getTypeMap())) {
      if (type.name.startsWith("__") || ["String", "Int", "Boolean", "ID", "Float"].includes(type.name)) continue;
      const known = contract.getType(type.name);
      if (!known && !type.description && !isObjectType(type)) missing.push(type.name);
      if (isEnumType(type) && !known) {
        for (const v of type.getValues())
          if (
            !v.description &&
            !["NONE", "READ", "WRITE", "ADMIN", "SUCCEEDED", "FAILED", "CANCELLED", "USER", "ORGANIZATION_TOKEN", "SYSTEM"].includes(v.name)
          )
            missing.push(`${type.name}.${v.name}`);
      }
      if (!isObjectType(type) && !isInputObjectType(type)) continue;
      const knownFields = known && (isObjectType(known) || isInputObjectType(known)) ? known.getFields() : {};
      for (const field of Object.values(type.getFields())) {
        if (!(field.name in knownFields) && !field.description && !/Connection$/.test(type.name))
          missing.push(`${type.name}.${field.name}`);
        for (const arg of "args" in field ? field.args : []) {
          const knownArgs = (knownFields[field.name] as { args?: { name: string }[] } | undefined)?.args ?? [];
          if (!knownArgs.some((a) => a.name === arg.name) && !arg.description) missing.push(`${type.name}.${field.name}(${arg.name})`);
        }
      }
    }
    expect(missing.join(", ")).toBe("");
  });
});
