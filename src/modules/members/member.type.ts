import { Field, ObjectType } from "type-graphql";
import type { OrganizationRoleValue } from "../../db/schema.js";
import { Connection } from "../../graphql/connection.js";
import { OrganizationRole } from "../../graphql/enums.js";
import { DateTimeScalar } from "../../graphql/scalars.js";
import { User } from "../users/user.type.js";

@ObjectType({ simpleResolvers: true, description: "A user's membership of an organization." })
export class OrganizationMember {
  @Field(() => User, { description: "The member." })
  user!: User;

  @Field(() => OrganizationRole, { description: "The member's role in the organization." })
  role!: OrganizationRoleValue;

  @Field(() => DateTimeScalar, { description: "When they were added to the organization (or created it)." })
  joinedAt!: Date;
}

@ObjectType({ simpleResolvers: true, description: "A page of an organization's members, oldest member first." })
export class OrganizationMemberConnection extends Connection(() => OrganizationMember) {}
