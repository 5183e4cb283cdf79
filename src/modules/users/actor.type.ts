import type { UserRow } from "../../db/rows.js";
import { Ctx, Field, FieldResolver, ID, ObjectType, Resolver, Root } from "type-graphql";
import { ActorKind, type ActorKindValue } from "../../graphql/enums.js";
import type { ResolverContext as Context } from "../resolver-context.js";
import { User } from "./user.type.js";

/** `user` is resolved by ActorResolver (batched). */
@ObjectType({
  simpleResolvers: true,
  description:
    "Who did something: a user, an organization access token, or the server itself. `kind` tells a user from a token of the same name.",
})
export class Actor {
  @Field(() => ActorKind, { description: "A user, an organization access token, or the server." })
  kind!: ActorKindValue;

  @Field(() => String, { description: "The user's login or the token's name as it was then; for the server, what acted (e.g. admin CLI)." })
  name!: string;

  @Field(() => ID, { nullable: true, description: "The organization access token's id, when one acted." })
  organizationTokenId!: string | null;

  userId!: string | null;
}

/** What an actor is built from: the ids and name stored with the action. */
export function toActor(stored: { userId: string | null; tokenId: string | null; name: string }): Actor {
  const kind: ActorKindValue = stored.userId ? "USER" : stored.tokenId ? "ORGANIZATION_TOKEN" : "SYSTEM";
  return { kind, name: stored.name, organizationTokenId: stored.tokenId, userId: stored.userId };
}

@Resolver(() => Actor)
export class ActorResolver {
  @FieldResolver(() => User, { nullable: true, description: "The user, when a user acted." })
  async user(@Root() actor: Actor, @Ctx() ctx: Context): Promise<UserRow | null> {
    return actor.userId ? ((await ctx.loaders.of("userById").load(actor.userId)) ?? null) : null;
  }
}
