import { Arg, Ctx, FieldResolver, ID, Int, Mutation, Resolver, Root } from "type-graphql";
import type { Context } from "../../graphql/context.js";
import { ResponseTooLargeError } from "../../graphql/response-budget.js";
import type { StackNode, UpdateRow } from "../../permissions/access.js";
import { Stack } from "../stacks/stack.type.js";
import { AppendUpdateEventsInput, CompleteUpdateInput, StartUpdateInput } from "./update.inputs.js";
import { StackUpdate, StackUpdateConnection, UpdateEventConnection } from "./update.type.js";

/** An update with the stack it belongs to, as the caller sees it. */
export interface UpdateNode extends UpdateRow {
  readonly stack: StackNode;
}

function requireUpdate(ctx: Context, updateId: string): UpdateNode {
  const { update, stack } = ctx.access.update(updateId);
  if (!update || !stack.stack) throw new Error("update admitted by the permission map is missing");
  return { ...update, stack: stack.stack };
}

@Resolver(() => StackUpdate)
export class StackUpdateResolver {
  @Mutation(() => StackUpdate, { description: "PREVIEW needs READ; every other kind needs WRITE and runs alone." })
  startUpdate(@Arg("input", () => StartUpdateInput) input: StartUpdateInput, @Ctx() ctx: Context): UpdateNode {
    const stack = ctx.access.requireStack(input.stack);
    return { ...ctx.services.updates.start(ctx.caller, stack, input.kind, input.message), stack };
  }

  @Mutation(() => Int, { description: "Idempotent by sequence; returns how many events were newly stored." })
  appendUpdateEvents(@Arg("input", () => AppendUpdateEventsInput) input: AppendUpdateEventsInput, @Ctx() ctx: Context): number {
    return ctx.services.updates.append(requireUpdate(ctx, input.updateId), input.events);
  }

  @Mutation(() => StackUpdate)
  completeUpdate(@Arg("input", () => CompleteUpdateInput) input: CompleteUpdateInput, @Ctx() ctx: Context): UpdateNode {
    const update = requireUpdate(ctx, input.updateId);
    return { ...ctx.services.updates.complete(ctx.caller, update, update.stack, input), stack: update.stack };
  }

  @Mutation(() => StackUpdate)
  cancelUpdate(@Arg("updateId", () => ID) updateId: string, @Ctx() ctx: Context): UpdateNode {
    const update = requireUpdate(ctx, updateId);
    return { ...ctx.services.updates.cancel(ctx.caller, update, update.stack), stack: update.stack };
  }

  @FieldResolver(() => UpdateEventConnection, { description: "List Update Events, in sequence order." })
  events(
    @Root() update: UpdateNode,
    @Arg("first", () => Int, { nullable: true, defaultValue: 100 }) first: number | null,
    @Arg("after", () => String, { nullable: true }) after: string | null,
    @Ctx() ctx: Context,
  ): UpdateEventConnection {
    const budget = ctx.requestState.responseBudget;
    const { page, count, bytes } = ctx.services.updates.events(update, first, after, budget.remaining);
    if (page.nodes.length === 0 && page.hasNextPage) throw new ResponseTooLargeError(budget.limit, `the events of update ${update.version}`);
    budget.charge(bytes, `the events of update ${update.version}`);
    return new UpdateEventConnection(page, count);
  }
}

@Resolver(() => Stack)
export class StackHistoryResolver {
  @FieldResolver(() => StackUpdateConnection, { description: "List Stack Updates (every kind but PREVIEW). Newest first." })
  updates(
    @Root() stack: StackNode,
    @Arg("first", () => Int, { nullable: true, defaultValue: 50 }) first: number | null,
    @Arg("after", () => String, { nullable: true }) after: string | null,
    @Ctx() ctx: Context,
  ): StackUpdateConnection {
    return this.history(ctx, stack, false, first, after);
  }

  @FieldResolver(() => StackUpdateConnection, { description: "List Previews. Newest first." })
  previews(
    @Root() stack: StackNode,
    @Arg("first", () => Int, { nullable: true, defaultValue: 50 }) first: number | null,
    @Arg("after", () => String, { nullable: true }) after: string | null,
    @Ctx() ctx: Context,
  ): StackUpdateConnection {
    return this.history(ctx, stack, true, first, after);
  }

  @FieldResolver(() => StackUpdate, {
    nullable: true,
    description: "Get Update Status: an update (any kind, previews included) by its version number.",
  })
  update(@Root() stack: StackNode, @Arg("version", () => Int) version: number, @Ctx() ctx: Context): UpdateNode | null {
    const update = ctx.services.updates.byVersion(stack, version);
    return update ? { ...update, stack } : null;
  }

  private history(ctx: Context, stack: StackNode, previews: boolean, first: number | null, after: string | null) {
    const { page, count } = ctx.services.updates.list(stack, previews, first, after);
    return new StackUpdateConnection({ ...page, nodes: page.nodes.map((u) => ({ ...u, stack })) }, count);
  }
}
