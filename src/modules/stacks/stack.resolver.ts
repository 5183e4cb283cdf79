import type { OrganizationRow } from "../../db/rows.js";
import { Arg, Ctx, FieldResolver, Int, Mutation, Query, Resolver, Root } from "type-graphql";
import type { ResolverContext as Context } from "../resolver-context.js";
import { JSONScalar } from "../../graphql/scalars.js";
import type { StackNode } from "../../permissions/access.js";
import { Organization } from "../organizations/organization.type.js";
import { CreateStackInput, DeleteStackInput, ImportStackStateInput, StackRef, TransferStackInput } from "./stack.inputs.js";
import { Stack, StackConnection } from "./stack.type.js";
import { fullName } from "./stack.service.js";

@Resolver(() => Stack)
export class StackResolver {
  @Query(() => Stack, {
    nullable: true,
    description:
      "A stack by its StackRef; null when it does not exist, the caller cannot READ it or is not in its organization (the three are not told apart).",
  })
  stack(
    @Arg("ref", () => StackRef, { description: "organization, project and stack name." }) ref: StackRef,
    @Ctx() ctx: Context,
  ): StackNode | null {
    return ctx.access.stack(ref.organization, ref.project, ref.stack).stack;
  }

  @Mutation(() => Stack, { description: "The creator gets ADMIN on it; the pulumi:project tag is always set." })
  createStack(@Arg("input", () => CreateStackInput) input: CreateStackInput, @Ctx() ctx: Context): StackNode {
    const access = ctx.access.organization(input.organization);
    const row = ctx.services.stacks.create(ctx.caller, ctx.access.requireOrganization(input.organization), input);
    return { ...row, organization: access.organization!, viewerPermission: ctx.access.stackPermission(access, row) };
  }

  @Mutation(() => Boolean, { description: "Refused while the state holds resources, unless force." })
  deleteStack(@Arg("input", () => DeleteStackInput) input: DeleteStackInput, @Ctx() ctx: Context): boolean {
    const stack = ctx.access.requireStack(input.stack);
    return ctx.services.stacks.delete(ctx.caller, stack, input.force ?? false);
  }

  @Mutation(() => Stack, { description: "Needs stack ADMIN and membership of the destination; team grants are dropped." })
  transferStack(@Arg("input", () => TransferStackInput) input: TransferStackInput, @Ctx() ctx: Context): StackNode {
    const stack = ctx.access.requireStack(input.stack);
    const destination = ctx.access.organization(input.destinationOrganization);
    const moved = ctx.services.stacks.transfer(ctx.caller, stack, ctx.access.requireOrganization(input.destinationOrganization));
    return { ...moved, organization: destination.organization!, viewerPermission: ctx.access.stackPermission(destination, moved) };
  }

  @Mutation(() => Stack, { description: "Replaces the stack's checkpoint with a deployment export." })
  importStackState(@Arg("input", () => ImportStackStateInput) input: ImportStackStateInput, @Ctx() ctx: Context): StackNode {
    const stack = ctx.access.requireStack(input.stack);
    const updated = ctx.services.stacks.importState(ctx.caller, stack, input.state);
    return { ...stack, ...updated };
  }

  @FieldResolver(() => Organization)
  organization(@Root() stack: StackNode): OrganizationRow {
    return stack.organization;
  }

  @FieldResolver(() => String, { description: "org/project/stack" })
  fullyQualifiedName(@Root() stack: StackNode): string {
    return fullName(stack.organization, stack);
  }

  @FieldResolver(() => JSONScalar, {
    nullable: true,
    description: "Get Stack State: the latest checkpoint (deployment), null when there is none. Audited as stack-exported.",
  })
  state(@Root() stack: StackNode, @Ctx() ctx: Context): unknown {
    return ctx.services.stacks.readState(ctx.caller, stack, ctx.requestState.statesRead, ctx.requestState.responseBudget.charge);
  }
}

@Resolver(() => Organization)
export class OrganizationStacksResolver {
  @FieldResolver(() => StackConnection, { description: "List Stacks. Only stacks the caller can at least READ." })
  stacks(
    @Root() organization: OrganizationRow,
    @Arg("first", () => Int, { nullable: true, defaultValue: 50 }) first: number | null,
    @Arg("after", () => String, { nullable: true }) after: string | null,
    @Arg("project", () => String, { nullable: true }) project: string | null,
    @Arg("tagName", () => String, { nullable: true }) tagName: string | null,
    @Arg("tagValue", () => String, { nullable: true }) tagValue: string | null,
    @Ctx() ctx: Context,
  ): StackConnection {
    const access = ctx.access.organization(organization.name);
    const { page, count } = ctx.services.stacks.list(ctx.access, access, { first, after, project, tagName, tagValue });
    return new StackConnection(page, count);
  }

  @FieldResolver(() => Stack, { nullable: true, description: "Get Stack. Null when it does not exist or the caller cannot READ it." })
  stack(
    @Root() organization: OrganizationRow,
    @Arg("project", () => String) project: string,
    @Arg("name", () => String) name: string,
    @Ctx() ctx: Context,
  ): StackNode | null {
    return ctx.access.stack(organization.name, project, name).stack;
  }
}
