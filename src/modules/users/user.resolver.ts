import { Arg, Ctx, Field, FieldResolver, Mutation, ObjectType, Resolver, Root } from "type-graphql";
import type { ResolverContext as Context } from "../resolver-context.js";
import { PersonalAccessToken } from "../access-tokens/access-token.type.js";
import { toPersonalAccessToken } from "../access-tokens/access-token.mappers.js";
import { CreateUserInput } from "./user.inputs.js";
import { User } from "./user.type.js";

@ObjectType({ simpleResolvers: true, description: "Returned once, at creation: the first token's secret is never shown again." })
export class CreateUserPayload {
  @Field(() => User, { description: "The new user." })
  user!: User;

  @Field(() => PersonalAccessToken, { description: "The user's first personal access token." })
  token!: PersonalAccessToken;

  @Field(() => String, { description: "The first token's secret: hand it to the user; it is never shown again." })
  secret!: string;
}

@Resolver(() => User)
export class UserResolver {
  @Mutation(() => CreateUserPayload, {
    description: "Creates a user and their first personal access token. Site administrators only; CONFLICT when the login is taken.",
  })
  async createUser(
    @Arg("input", () => CreateUserInput, { description: "The new user's login, name, email and site-admin flag." }) input: CreateUserInput,
    @Ctx() ctx: Context,
  ): Promise<CreateUserPayload> {
    const { user, token } = await ctx.services.users.create(input);
    return { user, token: toPersonalAccessToken(token.row), secret: token.secret };
  }

  @FieldResolver(() => String, {
    nullable: true,
    description:
      "Visible to the user themself, to site admins, and to admins of an organization the user belongs to on the ENTERPRISE_GROWTH or BUSINESS_CRITICAL tier (paid, or a trial not yet ended); null otherwise, to organization access tokens, and when none is set.",
  })
  async email(@Root() user: User & { email?: string | null }, @Ctx() ctx: Context): Promise<string | null> {
    if (!user.email) return null;
    return (await ctx.loaders.of("emailVisible").load(user.id)) ? user.email : null;
  }
}
