import { Field, ObjectType } from "type-graphql";
import type { OrganizationRoleValue } from "../../db/schema.js";
import { Connection } from "../../graphql/connection.js";
import { OrganizationRole } from "../../graphql/enums.js";
import { DateTimeScalar } from "../../graphql/scalars.js";
import { User } from "../users/user.type.js";

@ObjectType({ simpleResolvers: true })
export class OrganizationMember {
  @Field(() => User)
  user!: User;

  @Field(() => OrganizationRole)
  role!: OrganizationRoleValue;

  @Field(() => DateTimeScalar)
  joinedAt!: Date;
}

@ObjectType({ simpleResolvers: true })
export class OrganizationMemberConnection extends Connection(() => OrganizationMember) {}
