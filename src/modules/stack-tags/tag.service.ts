import { and, eq, inArray, sql } from "drizzle-orm";
import type { Caller } from "../../auth/principal.js";
import type { Store, Tx } from "../../db/store.js";

import { BadUserInputError, NotFoundError } from "../../errors.js";
import { quote } from "../../lib/validation.js";
import type { StackNode } from "../../permissions/access.js";
import type { AuditWriter } from "../audit/audit.writer.js";
import { fullName } from "../stacks/stack.service.js";
import { checkTagName, checkTagValue, MAX_TAGS_PER_STACK, refuseBuiltInTag } from "./tag-rules.js";
import type { StackTag } from "./tag.type.js";

/** Stack tags: read (batched), set, delete. */
export class StackTagService {
  /** Hot: every stack list reads it. One prepared statement for any number of stacks. */
  private readonly tagsOfStacks;
  /** Hot: what CI does on every run. */
  private readonly tagNamesOfStack;
  private readonly upsertTag;

  constructor(
    private readonly store: Store,
    private readonly audit: AuditWriter,
  ) {
    this.tagsOfStacks = db
      .select({ stackId: this.t.stackTagsTable.stackId, name: this.t.stackTagsTable.name, value: this.t.stackTagsTable.value })
      .from(this.t.stackTagsTable)
      .where(inArray(this.t.stackTagsTable.stackId, sql`(select value from json_each(${sql.placeholder("ids")}))`))
      .prepare();
    this.tagNamesOfStack = db
      .select({ name: this.t.stackTagsTable.name })
      .from(this.t.stackTagsTable)
      .where(eq(this.t.stackTagsTable.stackId, sql.placeholder("stackId")))
      .prepare();
    this.upsertTag = db
      .insert(this.t.stackTagsTable)
      .values({ stackId: sql.placeholder("stackId"), name: sql.placeholder("name"), value: sql.placeholder("value") })
      .onConflictDoUpdate({ target: [this.t.stackTagsTable.stackId, this.t.stackTagsTable.name], set: { value: sql`excluded.value` } })
      .prepare();
  }

  /** Tags of many stacks in one query, by name. */
  byStackIds(stackIds: readonly string[]): Map<string, StackTag[]> {
    const tags = new Map<string, StackTag[]>(stackIds.map((id) => [id, []]));
    const rows = this.tagsOfStacks.all({ ids: JSON.stringify(stackIds) });
    for (const row of rows) tags.get(row.stackId)?.push({ name: row.name, value: row.value });
    // sorted here, per stack (a few tags each), rather than by SQL over the whole result
    for (const list of tags.values()) list.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    return tags;
  }

  /** Creates or replaces the tag. */
  set(caller: Caller, stack: StackNode, name: string, value: string): StackTag {
    checkTagName(name, "input.name");
    refuseBuiltInTag(name, "input.name");
    checkTagValue(value, "input.value");
    return this.store.transaction(async () => {
      const existing = this.tagNamesOfStack.all({ stackId: stack.id });
      if (existing.length >= MAX_TAGS_PER_STACK && !existing.some((t) => t.name === name)) {
        throw new BadUserInputError(
          `stack "${fullName(stack.organization, stack)}" already has ${MAX_TAGS_PER_STACK} tags, the most a stack may have`,
        );
      }
      this.upsertTag.run({ stackId: stack.id, name, value });
      await this.audit.write(tx, caller, {
        organizationId: stack.organizationId,
        event: "stack-tag-set",
        description: `Set tag ${quote(name)} on stack "${fullName(stack.organization, stack)}" to ${quote(value)}`,
      });
      return { name, value };
    });
  }

  delete(caller: Caller, stack: StackNode, name: string): true {
    checkTagName(name, "input.name");
    refuseBuiltInTag(name, "input.name");
    return this.store.transaction(async (tx) => {
      const removed = tx
        .delete(this.t.stackTagsTable)
        .where(and(eq(this.t.stackTagsTable.stackId, stack.id), eq(this.t.stackTagsTable.name, name)))
        .run().changes;
      if (removed === 0) throw new NotFoundError(`stack "${fullName(stack.organization, stack)}" has no tag ${quote(name)}`);
      await this.audit.write(tx, caller, {
        organizationId: stack.organizationId,
        event: "stack-tag-deleted",
        description: `Deleted tag ${quote(name)} from stack "${fullName(stack.organization, stack)}"`,
      });
      return true as const;
    });
  }
}
