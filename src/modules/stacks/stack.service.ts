import type { OrganizationRow, StackRow } from "../../db/rows.js";
import { and, asc, count, eq, exists, gt, type SQL, sql } from "drizzle-orm";
import type { Caller } from "../../auth/principal.js";
import { callerUser } from "../../auth/principal.js";
import type { Store, Tx } from "../../db/store.js";
import { onUniqueViolation } from "../../db/errors.js";

import { BadUserInputError, ConflictError, NotFoundError } from "../../errors.js";
import { newId } from "../../lib/ids.js";
import { type CursorCodec, type Page, pageSize, toPage } from "../../lib/pagination.js";
import { checkStackName, quote } from "../../lib/validation.js";
import { type ChargeBytes, unbounded } from "../../lib/response-budget.js";
import type { Access, OrganizationAccess, StackNode } from "../../permissions/access.js";
import { stacksWithAtLeast } from "../../permissions/stack-permission.js";
import type { AuditWriter } from "../audit/audit.writer.js";
import type { WebhookOutbox } from "../webhooks/webhook-outbox.js";
import { stackEvent } from "../webhooks/webhook-payloads.js";
import { checkTagName, checkTagValue, MAX_TAGS_PER_STACK, PROJECT_TAG } from "../stack-tags/tag-rules.js";
import type { CreateStackInput } from "./stack.inputs.js";
import { checkState } from "./stack-state.js";

export interface StackListArgs {
  first?: number | null;
  after?: string | null;
  project?: string | null;
  tagName?: string | null;
  tagValue?: string | null;
}

const CURSOR_LIST = "stacks";
export const fullName = (organization: OrganizationRow, stack: StackRow) => `${organization.name}/${stack.project}/${stack.name}`;

/** Stacks: create, list, delete, transfer, state. */
export class StackService {
  constructor(
    private readonly store: Store,
    private readonly audit: AuditWriter,
    private readonly cursors: CursorCodec,
    private readonly outbox: WebhookOutbox,
  ) {}

  /** The store's tables (SQLite's or PostgreSQL's). */
  private get t() {
    return this.store.tables;
  }

  async create(caller: Caller, organization: OrganizationRow, input: CreateStackInput): Promise<StackRow> {
    const project = checkStackName("project name", input.project, "input.project");
    const name = checkStackName("stack name", input.stack, "input.stack");
    const tags = new Map<string, string>();
    for (const [i, tag] of (input.tags ?? []).entries()) {
      const tagName = checkTagName(tag.name, `input.tags[${i}].name`);
      if (tags.has(tagName)) throw new BadUserInputError(`tag ${quote(tagName)} is given twice`, { field: `input.tags[${i}].name` });
      if (tagName === PROJECT_TAG && tag.value !== project) {
        throw new BadUserInputError(`the ${PROJECT_TAG} tag is always the project name (${quote(project)})`, {
          field: `input.tags[${i}].value`,
        });
      }
      tags.set(tagName, checkTagValue(tag.value, `input.tags[${i}].value`));
    }
    tags.set(PROJECT_TAG, project);
    if (tags.size > MAX_TAGS_PER_STACK)
      throw new BadUserInputError(`a stack has at most ${MAX_TAGS_PER_STACK} tags`, { field: "input.tags" });
    try {
      return await this.store.transaction(async (tx) => {
        const [stack] = await tx
          .insert(this.t.stacksTable)
          .values({
            id: newId(),
            organizationId: organization.id,
            project,
            name,
            createdByUserId: callerUser(caller)?.id ?? null,
            createdAt: new Date(),
          })
          .returning();
        await tx.insert(this.t.stackTagsTable).values([...tags].map(([tagName, value]) => ({ stackId: stack!.id, name: tagName, value })));
        await this.audit.write(tx, caller, {
          organizationId: organization.id,
          event: "stack-created",
          description: `Created stack "${fullName(organization, stack!)}"`,
        });
        await this.outbox.enqueue(tx, organization.id, stackEvent("stack_created", caller, organization, stack!));
        return stack!;
      });
    } catch (error) {
      throw onUniqueViolation(
        error,
        () => new ConflictError(`stack "${organization.name}/${project}/${name}" already exists`, { field: "input.stack" }),
      );
    }
  }

  /**
   * The organization's stacks the caller can READ, oldest first (keyset on creation order),
   * filtered by project and tag; `totalCount` counts the same set. Which stacks the caller
   * can READ is decided in SQL by the same rule as each stack's viewerPermission.
   */
  async list(
    access: Access,
    organization: OrganizationAccess,
    args: StackListArgs,
  ): Promise<{
    page: Page<StackNode>;
    count: () => Promise<number>;
  }> {
    const org = organization.organization!;
    const size = pageSize(args.first);
    if (args.tagValue != null && args.tagName == null) throw new BadUserInputError("tagValue needs tagName", { field: "tagName" });
    const s = this.t.stacksTable;
    const filters: (SQL | undefined)[] = [eq(s.organizationId, org.id)];
    if (args.project != null) filters.push(eq(s.project, args.project));
    if (args.tagName != null) {
      const tag = this.t.stackTagsTable;
      filters.push(
        exists(
          this.store.db
            .select({ one: sql`1` })
            .from(tag)
            .where(
              and(eq(tag.stackId, s.id), eq(tag.name, args.tagName), args.tagValue != null ? eq(tag.value, args.tagValue) : undefined),
            ),
        ),
      );
    }
    const readable = stacksWithAtLeast(this.store.db, this.t, access.standing(organization)!, "READ");
    if (readable) filters.push(readable);
    const from = args.after ? this.cursors.decode(`${CURSOR_LIST}:${org.id}`, args.after) : null;
    // with no filter (the common list) this is a keyset page on (organization_id, seq)
    const rows = await this.store.db
      .select()
      .from(s)
      .where(and(...filters, from ? gt(s.seq, Number(from[0])) : undefined))
      .orderBy(asc(s.seq))
      .limit(size + 1);
    const nodes = (await Promise.all(rows.map((row) => access.toStackNode(organization, row, true)))).filter(
      (n): n is StackNode => n !== null,
    );
    return {
      page: toPage(nodes, size, (last) => this.cursors.encode(`${CURSOR_LIST}:${org.id}`, [last.seq])),
      count: async () => {
        const [row] = await this.store.db
          .select({ n: count() })
          .from(s)
          .where(and(...filters));
        return row!.n;
      },
    };
  }

  /** Refuses a stack that still holds resources unless `force`, and one with an update running. */
  delete(caller: Caller, stack: StackNode, force: boolean): Promise<true> {
    return this.store.transaction(async (tx) => {
      const current = await this.reload(tx, stack);
      if (current.resourceCount > 0 && !force) {
        // the input decides it (force), so it is bad input, not a conflict (CONTRACT.md §3)
        throw new BadUserInputError(`stack still contains resources (${current.resourceCount}): destroy them first, or pass force: true`, {
          field: "input.force",
        });
      }
      await this.refuseWhileRunning(tx, stack, "deleted");
      await tx.delete(this.t.stacksTable).where(eq(this.t.stacksTable.id, stack.id));
      await this.outbox.enqueue(tx, stack.organizationId, stackEvent("stack_deleted", caller, stack.organization, current));
      await this.audit.write(tx, caller, {
        organizationId: stack.organizationId,
        event: "stack-deleted",
        description: `Deleted stack "${fullName(stack.organization, stack)}"${current.resourceCount > 0 ? ` with ${current.resourceCount} resources (forced)` : ""}`,
      });
      return true as const;
    });
  }

  /**
   * Moves the stack (tags, updates, state) to `destination`; team grants on it are dropped.
   * One audit event in each organization.
   */
  async transfer(caller: Caller, stack: StackNode, destination: OrganizationRow): Promise<StackRow> {
    if (destination.id === stack.organizationId) {
      throw new BadUserInputError(`stack "${fullName(stack.organization, stack)}" is already in "${destination.name}"`, {
        field: "input.destinationOrganization",
      });
    }
    try {
      return await this.store.transaction(async (tx) => {
        await this.reload(tx, stack);
        await this.refuseWhileRunning(tx, stack, "transferred");
        await tx.delete(this.t.teamStackGrantsTable).where(eq(this.t.teamStackGrantsTable.stackId, stack.id));
        const [moved] = await tx
          .update(this.t.stacksTable)
          // the creator's ADMIN belonged to the source organization: it does not move along
          .set({ organizationId: destination.id, createdByUserId: null })
          .where(eq(this.t.stacksTable.id, stack.id))
          .returning();
        const from = fullName(stack.organization, stack);
        const to = fullName(destination, moved!);
        await this.audit.write(tx, caller, {
          organizationId: stack.organizationId,
          event: "stack-transferred-to-organization",
          description: `Transferred stack "${from}" to organization "${destination.name}"`,
        });
        await this.audit.write(tx, caller, {
          organizationId: destination.id,
          event: "stack-transferred-from-organization",
          description: `Received stack "${to}" from organization "${stack.organization.name}"`,
        });
        return moved!;
      });
    } catch (error) {
      throw onUniqueViolation(
        error,
        () =>
          new ConflictError(`"${destination.name}" already has a stack "${stack.project}/${stack.name}"`, {
            field: "input.destinationOrganization",
          }),
      );
    }
  }

  /** Replaces the stack's checkpoint; refused while an update runs. */
  importState(caller: Caller, stack: StackNode, state: unknown): Promise<StackRow> {
    const checked = checkState(state, "input.state");
    return this.store.transaction(async (tx) => {
      await this.reload(tx, stack);
      await this.refuseWhileRunning(tx, stack, "imported into");
      const updated = await this.writeCheckpoint(tx, stack.id, checked.json, checked.resourceCount, new Date());
      await this.audit.write(tx, caller, {
        organizationId: stack.organizationId,
        event: "stack-imported",
        description: `Imported state into stack "${fullName(stack.organization, stack)}" (${checked.resourceCount} resources)`,
      });
      return updated;
    });
  }

  /**
   * The latest checkpoint (null when none); reading it is audited as `stack-exported`, once
   * per stack and request (`alreadyAudited`). Served for a stack reached on its own only,
   * not through a list: a page of 100 states would be up to 100 large documents and 100
   * audit events for one request.
   */
  async readState(caller: Caller, stack: StackNode, alreadyAudited: Set<string>, charge: ChargeBytes = unbounded): Promise<unknown> {
    if (stack.listed) {
      throw new BadUserInputError("read the state of one stack at a time: organization { stack(project, name) { state } }");
    }
    const [row] = await this.store.db
      .select({ state: this.t.stackCheckpointsTable.state })
      .from(this.t.stackCheckpointsTable)
      .where(eq(this.t.stackCheckpointsTable.stackId, stack.id))
      .limit(1);
    if (row) charge(row.state.length, `the state of stack "${fullName(stack.organization, stack)}"`);
    if (!alreadyAudited.has(stack.id)) {
      alreadyAudited.add(stack.id);
      // the read is not a change: its audit event is a transaction of its own
      await this.store.transaction((tx) =>
        this.audit.write(tx, caller, {
          organizationId: stack.organizationId,
          event: "stack-exported",
          description: `Read the state of stack "${fullName(stack.organization, stack)}"`,
        }),
      );
    }
    return row ? (JSON.parse(row.state) as unknown) : null;
  }

  /** Stores a checkpoint and the resource count it holds (also used by completed updates). */
  async writeCheckpoint(tx: Tx, stackId: string, json: string, resourceCount: number, at: Date): Promise<StackRow> {
    await tx
      .insert(this.t.stackCheckpointsTable)
      .values({ stackId, state: json, updatedAt: at })
      .onConflictDoUpdate({ target: this.t.stackCheckpointsTable.stackId, set: { state: json, updatedAt: at } });
    const [row] = await tx.update(this.t.stacksTable).set({ resourceCount }).where(eq(this.t.stacksTable.id, stackId)).returning();
    return row!;
  }

  private async reload(tx: Tx, stack: StackNode): Promise<StackRow> {
    const [row] = await tx.select().from(this.t.stacksTable).where(eq(this.t.stacksTable.id, stack.id)).limit(1);
    if (!row || row.organizationId !== stack.organizationId) {
      throw new NotFoundError(`stack "${fullName(stack.organization, stack)}" not found`);
    }
    return row;
  }

  /** CONFLICT while a non-preview update of the stack runs. */
  async refuseWhileRunning(tx: Tx, stack: StackNode, what: string): Promise<void> {
    const u = this.t.stackUpdatesTable;
    const [running] = await tx
      .select({ version: u.version })
      .from(u)
      .where(and(eq(u.stackId, stack.id), eq(u.status, "RUNNING"), eq(u.isPreview, false)))
      .limit(1);
    if (running) {
      throw new ConflictError(
        `stack "${fullName(stack.organization, stack)}" cannot be ${what} while update ${running.version} runs: complete or cancel it first`,
      );
    }
  }
}
