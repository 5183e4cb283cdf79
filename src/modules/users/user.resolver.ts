import { Arg, Ctx, Field, FieldResolver, Mutation, ObjectType, Resolver, Root } from "type-graphql";
import type { ResolverContext as Context } from "../resolver-context.js";
import { PersonalAccessToken } from "../access-tokens/access-token.type.js";
import { toPersonalAccessToken } from "../access-tokens/access-token.mappers.js";
import { CreateUserInput } from "./user.inputs.js";
import { User } from "./user.type.js";

@ObjectType({ simpleResolvers: true })
export class CreateUserPayload {
  @Field(() => User)
  user!: User;

  @Field(() => PersonalAccessToken, { description: "The user's first personal access token." })
  token!: PersonalAccessToken;

  @Field(() => String, { description: "The first token's secret: hand it to the user; it is never shown again." })
  secret!: string;
}

@Resolver(() => User)
export class UserResolver {
  @Mutation(() => CreateUserPayload, { description: "Site administrators only." })
  createUser(@Arg("input", () => CreateUserInput) input: CreateUserInput, @Ctx() ctx: Context): CreateUserPayload {
    const { user, token } = ctx.services.users.create(input);
    return { user, token: toPersonalAccessToken(token.row), secret: token.secret };
  }

  @FieldResolver(() => String, {
    nullable: true,
    description: "Visible to the user themself, to admins of an organization they belong to, and to site admins; null otherwise.",
  })
  async email(@Root() user: User & { email?: string | null }, @Ctx() ctx: Context): Promise<string | null> {
    if (!user.email) return null;
    return (await ctx.loaders.emailVisible.load(user.id)) ? user.email : null;
  }
}
