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
  async stack(
    @Arg("ref", () => StackRef, { description: "organization, project and stack name." }) ref: StackRef,
    @Ctx() ctx: Context,
  ): Promise<StackNode | null> {
    return (await ctx.access.stack(ref.organization, ref.project, ref.stack)).stack;
  }

  @Mutation(() => Stack, {
    description:
      "The creator gets ADMIN on it; the pulumi:project tag is always set. ADMIN and MEMBER roles and organization tokens; CONFLICT when the project already has a stack of that name.",
  })
  async createStack(
    @Arg("input", () => CreateStackInput, { description: "The organization, the project, the stack's name and its tags." })
    input: CreateStackInput,
    @Ctx() ctx: Context,
  ): Promise<StackNode> {
    const access = await ctx.access.organization(input.organization);
    const row = await ctx.services.stacks.create(ctx.caller, await ctx.access.requireOrganization(input.organization), input);
    return { ...row, organization: access.organization!, viewerPermission: await ctx.access.stackPermission(access, row) };
  }

  @Mutation(() => Boolean, {
    description:
      "Deletes the stack with its tags, grants, updates, events and state. Refused (BAD_USER_INPUT) while the state holds resources, unless force; CONFLICT while a non-preview update runs. Stack ADMIN, or an organization token.",
  })
  async deleteStack(
    @Arg("input", () => DeleteStackInput, { description: "The stack, and whether to delete it while it holds resources." })
    input: DeleteStackInput,
    @Ctx() ctx: Context,
  ): Promise<boolean> {
    const stack = await ctx.access.requireStack(input.stack);
    return ctx.services.stacks.delete(ctx.caller, stack, input.force ?? false);
  }

  @Mutation(() => Stack, {
    description:
      "Moves the stack with its tags, updates and state to another organization. Needs stack ADMIN and the ADMIN or MEMBER role in the destination (organization tokens never may); team grants on it and its creator's ADMIN are dropped. CONFLICT while a non-preview update runs or when the name is taken there.",
  })
  async transferStack(
    @Arg("input", () => TransferStackInput, { description: "The stack and the destination organization." }) input: TransferStackInput,
    @Ctx() ctx: Context,
  ): Promise<StackNode> {
    const stack = await ctx.access.requireStack(input.stack);
    const destination = await ctx.access.organization(input.destinationOrganization);
    const moved = await ctx.services.stacks.transfer(
      ctx.caller,
      stack,
      await ctx.access.requireOrganization(input.destinationOrganization),
    );
    return { ...moved, organization: destination.organization!, viewerPermission: await ctx.access.stackPermission(destination, moved) };
  }

  @Mutation(() => Stack, {
    description:
      "Replaces the stack's checkpoint with a deployment export and sets resourceCount from it. Needs WRITE; CONFLICT while a non-preview update runs.",
  })
  async importStackState(
    @Arg("input", () => ImportStackStateInput, { description: "The stack and the deployment export." }) input: ImportStackStateInput,
    @Ctx() ctx: Context,
  ): Promise<StackNode> {
    const stack = await ctx.access.requireStack(input.stack);
    const updated = await ctx.services.stacks.importState(ctx.caller, stack, input.state);
    return { ...stack, ...updated };
  }

  @FieldResolver(() => Organization, { description: "The organization the stack belongs to." })
  organization(@Root() stack: StackNode): OrganizationRow {
    return stack.organization;
  }

  @FieldResolver(() => String, { description: "organization/project/stack, e.g. acme/website/production." })
  fullyQualifiedName(@Root() stack: StackNode): string {
    return fullName(stack.organization, stack);
  }

  @FieldResolver(() => JSONScalar, {
    nullable: true,
    description:
      "Get Stack State: the latest checkpoint (deployment), null when there is none. Audited as stack-exported (once per stack and request). Served for a stack reached on its own (Query.stack, Organization.stack, a mutation's result); through a list (Organization.stacks, TeamStackGrant.stack) it is BAD_USER_INPUT.",
  })
  state(@Root() stack: StackNode, @Ctx() ctx: Context): Promise<unknown> {
    return ctx.services.stacks.readState(ctx.caller, stack, ctx.requestState.statesRead, ctx.requestState.responseBudget.charge);
  }
}

@Resolver(() => Organization)
export class OrganizationStacksResolver {
  @FieldResolver(() => StackConnection, {
    description: "List Stacks, oldest first: only the stacks the caller can at least READ (totalCount counts the same).",
  })
  async stacks(
    @Root() organization: OrganizationRow,
    @Arg("first", () => Int, { nullable: true, defaultValue: 50, description: "1–100." }) first: number | null,
    @Arg("after", () => String, { nullable: true, description: "The endCursor of the previous page." }) after: string | null,
    @Arg("project", () => String, { nullable: true, description: "Only the stacks of this project (exact name)." }) project: string | null,
    @Arg("tagName", () => String, { nullable: true, description: "Only the stacks that have a tag of this name." }) tagName: string | null,
    @Arg("tagValue", () => String, {
      nullable: true,
      description: "With tagName: only the stacks whose tag of that name has this value. BAD_USER_INPUT without tagName.",
    })
    tagValue: string | null,
    @Ctx() ctx: Context,
  ): Promise<StackConnection> {
    const access = await ctx.access.organization(organization.name);
    const { page, count } = await ctx.services.stacks.list(ctx.access, access, { first, after, project, tagName, tagValue });
    return new StackConnection(page, count);
  }

  @FieldResolver(() => Stack, { nullable: true, description: "Get Stack. Null when it does not exist or the caller cannot READ it." })
  async stack(
    @Root() organization: OrganizationRow,
    @Arg("project", () => String, { description: "The project's name (exact letter case)." }) project: string,
    @Arg("name", () => String, { description: "The stack's name (exact letter case)." }) name: string,
    @Ctx() ctx: Context,
  ): Promise<StackNode | null> {
    return (await ctx.access.stack(organization.name, project, name)).stack;
  }
}
