import { Field, InputType } from "type-graphql";
import { StackRef } from "../stacks/stack.inputs.js";

@InputType({ description: "A tag to create or replace on a stack (setStackTag)." })
export class SetStackTagInput {
  @Field(() => StackRef, { description: "The stack to tag." })
  stack!: StackRef;

  @Field(() => String, { description: "1–40 of letters, digits, - _ . :; not a built-in tag." })
  name!: string;

  @Field(() => String, { description: "At most 256 characters." })
  value!: string;
}

@InputType({ description: "A tag to delete from a stack (deleteStackTag)." })
export class DeleteStackTagInput {
  @Field(() => StackRef, { description: "The stack to remove the tag from." })
  stack!: StackRef;

  @Field(() => String, { description: "The tag's name; not a built-in tag." })
  name!: string;
}
