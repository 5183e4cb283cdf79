import { Arg, Ctx, FieldResolver, Mutation, Resolver, Root } from "type-graphql";
import type { ResolverContext as Context } from "../resolver-context.js";
import type { StackNode } from "../../permissions/access.js";
import { Stack } from "../stacks/stack.type.js";
import { DeleteStackTagInput, SetStackTagInput } from "./tag.inputs.js";
import { StackTag } from "./tag.type.js";

@Resolver(() => Stack)
export class StackTagResolver {
  @FieldResolver(() => [StackTag], { description: "Get Stack Tags, by name." })
  async tags(@Root() stack: StackNode, @Ctx() ctx: Context): Promise<StackTag[]> {
    return ctx.loaders.of("tagsByStackId").load(stack.id);
  }

  @Mutation(() => StackTag, {
    description: "Creates or replaces a tag. Built-in tags are refused; a stack has at most 50 tags. Needs WRITE on the stack.",
  })
  async setStackTag(
    @Arg("input", () => SetStackTagInput, { description: "The stack, the tag's name and its value." }) input: SetStackTagInput,
    @Ctx() ctx: Context,
  ): Promise<StackTag> {
    const stack = await ctx.access.requireStack(input.stack);
    return ctx.services.tags.set(ctx.caller, stack, input.name, input.value);
  }

  @Mutation(() => Boolean, {
    description: "NOT_FOUND when the stack has no such tag. Built-in tags are refused. Needs WRITE on the stack.",
  })
  async deleteStackTag(
    @Arg("input", () => DeleteStackTagInput, { description: "The stack and the tag's name." }) input: DeleteStackTagInput,
    @Ctx() ctx: Context,
  ): Promise<boolean> {
    const stack = await ctx.access.requireStack(input.stack);
    return ctx.services.tags.delete(ctx.caller, stack, input.name);
  }
}
