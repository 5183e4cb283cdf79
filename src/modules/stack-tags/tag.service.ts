import { and, eq, inArray } from "drizzle-orm";
import type { Caller } from "../../auth/principal.js";
import type { Store } from "../../db/store.js";
import { BadUserInputError, NotFoundError } from "../../errors.js";
import { quote } from "../../lib/validation.js";
import type { StackNode } from "../../permissions/access.js";
import type { AuditWriter } from "../audit/audit.writer.js";
import { fullName } from "../stacks/stack.service.js";
import { checkTagName, checkTagValue, MAX_TAGS_PER_STACK, refuseBuiltInTag } from "./tag-rules.js";
import type { StackTag } from "./tag.type.js";

/** Stack tags: read (batched), set, delete. */
export class StackTagService {
  constructor(
    private readonly store: Store,
    private readonly audit: AuditWriter,
  ) {}

  /** The store's tables (SQLite's or PostgreSQL's). */
  private get t() {
    return this.store.tables;
  }

  /** Tags of many stacks in one query (hot: every stack list reads it), by name. */
  async byStackIds(stackIds: readonly string[]): Promise<Map<string, StackTag[]>> {
    const tags = new Map<string, StackTag[]>(stackIds.map((id) => [id, []]));
    if (stackIds.length === 0) return tags;
    const tag = this.t.stackTagsTable;
    const rows = await this.store.db
      .select({ stackId: tag.stackId, name: tag.name, value: tag.value })
      .from(tag)
      .where(inArray(tag.stackId, [...stackIds]));
    for (const row of rows) tags.get(row.stackId)?.push({ name: row.name, value: row.value });
    // sorted here, per stack (a few tags each), rather than by SQL over the whole result
    for (const list of tags.values()) list.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    return tags;
  }

  /** Creates or replaces the tag. */
  set(caller: Caller, stack: StackNode, name: string, value: string): Promise<StackTag> {
    checkTagName(name, "input.name");
    refuseBuiltInTag(name, "input.name");
    checkTagValue(value, "input.value");
    const tag = this.t.stackTagsTable;
    return this.store.transaction(async (tx) => {
      // hot: what CI does on every run
      const existing = await tx.select({ name: tag.name }).from(tag).where(eq(tag.stackId, stack.id));
      if (existing.length >= MAX_TAGS_PER_STACK && !existing.some((t) => t.name === name)) {
        throw new BadUserInputError(
          `stack "${fullName(stack.organization, stack)}" already has ${MAX_TAGS_PER_STACK} tags, the most a stack may have`,
        );
      }
      await tx
        .insert(tag)
        .values({ stackId: stack.id, name, value })
        .onConflictDoUpdate({ target: [tag.stackId, tag.name], set: { value } });
      await this.audit.write(tx, caller, {
        organizationId: stack.organizationId,
        event: "stack-tag-set",
        description: `Set tag ${quote(name)} on stack "${fullName(stack.organization, stack)}" to ${quote(value)}`,
      });
      return { name, value };
    });
  }

  delete(caller: Caller, stack: StackNode, name: string): Promise<true> {
    checkTagName(name, "input.name");
    refuseBuiltInTag(name, "input.name");
    return this.store.transaction(async (tx) => {
      const tag = this.t.stackTagsTable;
      const removed = (
        await tx
          .delete(tag)
          .where(and(eq(tag.stackId, stack.id), eq(tag.name, name)))
          .returning({ name: tag.name })
      ).length;
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
