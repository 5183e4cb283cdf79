import { Field, ObjectType } from "type-graphql";

@ObjectType({ simpleResolvers: true, description: "A tag on a stack: a name and a value." })
export class StackTag {
  @Field(() => String, {
    description:
      "1–40 of letters, digits, - _ . :, e.g. env or pulumi:project. Built-in tags: pulumi:project, pulumi:runtime, pulumi:description, pulumi:template, vcs:owner, vcs:repo, vcs:kind, vcs:root.",
  })
  name!: string;

  @Field(() => String, { description: "At most 256 characters; may be empty." })
  value!: string;
}
