import type { UpdateRow } from "../../db/rows.js";
import { Arg, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from "type-graphql";
import type { ResolverContext as Context } from "../resolver-context.js";
import { ResponseTooLargeError } from "../../lib/response-budget.js";
import type { StackNode } from "../../permissions/access.js";
import { Stack } from "../stacks/stack.type.js";
import { Actor, toActor } from "../users/actor.type.js";
import {
  AppendUpdateEventsInput,
  CancelStackUpdateInput,
  CompleteStackUpdateInput,
  CompleteUpdateInput,
  StartUpdateInput,
} from "./update.inputs.js";
import { StackUpdate, StackUpdateConnection, UpdateEventConnection } from "./update.type.js";

/** An update with the stack it belongs to, as the caller sees it. */
export interface UpdateNode extends UpdateRow {
  readonly stack: StackNode;
}

async function requireUpdate(ctx: Context, updateId: string): Promise<UpdateNode> {
  const { update, stack } = await ctx.access.update(updateId);
  if (!update || !stack.stack) throw new Error("update admitted by the permission map is missing");
  return { ...update, stack: stack.stack };
}

@Resolver(() => StackUpdate)
export class StackUpdateResolver {
  @Mutation(() => StackUpdate, {
    description:
      "Starts a RUNNING update with the stack's next version. PREVIEW needs READ; every other kind needs WRITE and runs alone (CONFLICT while another non-preview update runs).",
  })
  async startUpdate(
    @Arg("input", () => StartUpdateInput, { description: "The stack, the kind of update and its message." }) input: StartUpdateInput,
    @Ctx() ctx: Context,
  ): Promise<UpdateNode> {
    const stack = await ctx.access.requireStack(input.stack);
    return { ...(await ctx.services.updates.start(ctx.caller, stack, input.kind, input.message)), stack };
  }

  @Mutation(() => Int, {
    description:
      "Stores engine events of an update (READ on a preview's stack, WRITE for other kinds). Idempotent by sequence; returns how many events were newly stored. A resent sequence with another type or payload is CONFLICT; a sequence twice in one batch is BAD_USER_INPUT.",
  })
  async appendUpdateEvents(
    @Arg("input", () => AppendUpdateEventsInput, { description: "The update and its events." }) input: AppendUpdateEventsInput,
    @Ctx() ctx: Context,
  ): Promise<number> {
    return ctx.services.updates.append(await requireUpdate(ctx, input.updateId), input.events);
  }

  @Mutation(() => StackUpdate, {
    description:
      "Ends a running update. Repeated with the same outcome it returns the update; another outcome is CONFLICT. READ on a preview's stack, WRITE for other kinds.",
    deprecationReason: "Use completeStackUpdate: its outcome admits only SUCCEEDED, FAILED and CANCELLED.",
  })
  async completeUpdate(
    @Arg("input", () => CompleteUpdateInput, { description: "The update and how it ended." }) input: CompleteUpdateInput,
    @Ctx() ctx: Context,
  ): Promise<UpdateNode> {
    const update = await requireUpdate(ctx, input.updateId);
    return { ...(await ctx.services.updates.complete(ctx.caller, update, update.stack, input)), stack: update.stack };
  }

  @Mutation(() => StackUpdate, {
    description:
      "Ends a running update as SUCCEEDED, FAILED or CANCELLED. Repeated with the same outcome (a retry) it returns the update unchanged; another outcome is CONFLICT. READ on a preview's stack, WRITE for other kinds.",
  })
  async completeStackUpdate(
    @Arg("input", () => CompleteStackUpdateInput, { description: "The update and how it ended." }) input: CompleteStackUpdateInput,
    @Ctx() ctx: Context,
  ): Promise<UpdateNode> {
    const update = await requireUpdate(ctx, input.updateId);
    const end = { status: input.outcome, resourceChanges: input.resourceChanges, state: input.state };
    return { ...(await ctx.services.updates.complete(ctx.caller, update, update.stack, end)), stack: update.stack };
  }

  @Mutation(() => StackUpdate, {
    description:
      "Cancels a running update; repeated once it is cancelled it returns it; CONFLICT when it ended otherwise. READ on a preview's stack, WRITE for other kinds.",
    deprecationReason: "Use cancelStackUpdate, which takes an input object like every other mutation.",
  })
  async cancelUpdate(
    @Arg("updateId", () => ID, { description: "The id startUpdate returned." }) updateId: string,
    @Ctx() ctx: Context,
  ): Promise<UpdateNode> {
    const update = await requireUpdate(ctx, updateId);
    return { ...(await ctx.services.updates.cancel(ctx.caller, update, update.stack)), stack: update.stack };
  }

  @Mutation(() => StackUpdate, {
    description:
      "Cancels a running update. Repeated once it is cancelled (a retry) it returns it unchanged; CONFLICT when it ended otherwise. READ on a preview's stack, WRITE for other kinds.",
  })
  async cancelStackUpdate(
    @Arg("input", () => CancelStackUpdateInput, { description: "The update to cancel." }) input: CancelStackUpdateInput,
    @Ctx() ctx: Context,
  ): Promise<UpdateNode> {
    const update = await requireUpdate(ctx, input.updateId);
    return { ...(await ctx.services.updates.cancel(ctx.caller, update, update.stack)), stack: update.stack };
  }

  @Query(() => StackUpdate, {
    nullable: true,
    description: "An update (any kind, previews included) by its id; null when it does not exist or the caller cannot READ its stack.",
  })
  async stackUpdate(
    @Arg("id", () => ID, { description: "The id startUpdate returned." }) id: string,
    @Ctx() ctx: Context,
  ): Promise<UpdateNode | null> {
    const { update, stack } = await ctx.access.update(id);
    return update && stack.stack ? { ...update, stack: stack.stack } : null;
  }

  @FieldResolver(() => Stack, { description: "The stack the update belongs to." })
  stack(@Root() update: UpdateNode): StackNode {
    return update.stack;
  }

  @FieldResolver(() => Actor, { description: "Who started it: a user or an organization access token (kind tells them apart)." })
  startedBy(@Root() update: UpdateNode): Actor {
    return toActor({ userId: update.requestedByUserId, tokenId: update.requestedByTokenId, name: update.requestedBy });
  }

  @FieldResolver(() => UpdateEventConnection, {
    description:
      "List Update Events, in sequence order. A page stops early (hasNextPage stays true) once its payloads pass 4 MiB or what the response may still hold.",
  })
  async events(
    @Root() update: UpdateNode,
    @Arg("first", () => Int, { nullable: true, defaultValue: 100, description: "1–1,000." }) first: number | null,
    @Arg("after", () => String, { nullable: true, description: "The endCursor of the previous page." }) after: string | null,
    @Ctx() ctx: Context,
  ): Promise<UpdateEventConnection> {
    const budget = ctx.requestState.responseBudget;
    const { page, count, bytes } = await ctx.services.updates.events(update, first, after, budget.remaining);
    if (page.nodes.length === 0 && page.hasNextPage)
      throw new ResponseTooLargeError(budget.limit, `the events of update ${update.version}`);
    budget.charge(bytes, `the events of update ${update.version}`);
    return new UpdateEventConnection(page, count);
  }
}

@Resolver(() => Stack)
export class StackHistoryResolver {
  @FieldResolver(() => StackUpdateConnection, { description: "List Stack Updates (every kind but PREVIEW). Newest first." })
  updates(
    @Root() stack: StackNode,
    @Arg("first", () => Int, { nullable: true, defaultValue: 50, description: "1–100." }) first: number | null,
    @Arg("after", () => String, { nullable: true, description: "The endCursor of the previous page." }) after: string | null,
    @Ctx() ctx: Context,
  ): Promise<StackUpdateConnection> {
    return this.history(ctx, stack, false, first, after);
  }

  @FieldResolver(() => StackUpdateConnection, { description: "List Previews. Newest first." })
  previews(
    @Root() stack: StackNode,
    @Arg("first", () => Int, { nullable: true, defaultValue: 50, description: "1–100." }) first: number | null,
    @Arg("after", () => String, { nullable: true, description: "The endCursor of the previous page." }) after: string | null,
    @Ctx() ctx: Context,
  ): Promise<StackUpdateConnection> {
    return this.history(ctx, stack, true, first, after);
  }

  @FieldResolver(() => StackUpdate, {
    nullable: true,
    description: "Get Update Status: an update (any kind, previews included) by its version number; null when there is none.",
  })
  async update(
    @Root() stack: StackNode,
    @Arg("version", () => Int, { description: "The update's version (1, 2, 3 … per stack)." }) version: number,
    @Ctx() ctx: Context,
  ): Promise<UpdateNode | null> {
    const update = await ctx.services.updates.byVersion(stack, version);
    return update ? { ...update, stack } : null;
  }

  private async history(ctx: Context, stack: StackNode, previews: boolean, first: number | null, after: string | null) {
    const { page, count } = await ctx.services.updates.list(stack, previews, first, after);
    return new StackUpdateConnection({ ...page, nodes: page.nodes.map((u) => ({ ...u, stack })) }, count);
  }
}
