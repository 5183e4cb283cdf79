import { and, count, desc, eq, lt } from "drizzle-orm";
import type { Caller, Principal } from "../../auth/principal.js";
import type { DeliveryRow, OrganizationRow, WebhookRow } from "../../db/rows.js";
import type { Db, Store, Tx } from "../../db/store.js";
import { countInOrganization, findByName, listByName } from "../../db/organization-rows.js";
import { onUniqueViolation } from "../../db/errors.js";

import { BadUserInputError, nameTaken, NotFoundError, organizationCapReached } from "../../errors.js";
import { newId } from "../../lib/ids.js";
import { byNamePage, type CursorCodec, type PageRequest, pageSize, toPage } from "../../lib/pagination.js";
import type { SecretBox } from "../../lib/secret-box.js";
import { checkDisplayName, checkWebhookName, quote } from "../../lib/validation.js";
import { type ChargeBytes, unbounded } from "../../lib/response-budget.js";
import { visiblePayloadUrl } from "../../permissions/visibility.js";
import type { AuditWriter } from "../audit/audit.writer.js";
import { recordAttempt, sendAttempt } from "./webhook-delivery.js";
import { newMessageId } from "./webhook-outbox.js";
import { pingEvent } from "./webhook-payloads.js";
import { checkFilters, checkPayloadUrl, checkSigningSecret } from "./webhook-rules.js";
import type { WebhookSender } from "./webhook-sender.js";
import type { CreateWebhookInput, UpdateWebhookInput } from "./webhook.inputs.js";
import type { Webhook, WebhookDelivery } from "./webhook.type.js";

/** Each event fans out to every webhook of its organization: keep that bounded. */
export const MAX_WEBHOOKS_PER_ORGANIZATION = 20;

/**
 * Rows → GraphQL objects, field by field, as `principal` may see them: the secret's
 * ciphertext never leaves, and the payload URL is shown as visiblePayloadUrl allows.
 */
export const toWebhook = (row: WebhookRow, principal: Principal): Webhook => ({
  id: row.id,
  name: row.name,
  displayName: row.displayName,
  payloadUrl: visiblePayloadUrl(principal, row.payloadUrl),
  hasSecret: row.secretCiphertext !== null,
  active: row.active,
  format: row.format,
  filters: row.filters,
  createdAt: row.createdAt,
  organizationId: row.organizationId,
});

/** What a delivery adds to a response, about: its payload, headers and response body, and the rest. */
const deliveryBytes = (row: DeliveryRow): number =>
  row.payload.length +
  JSON.stringify(row.requestHeaders).length +
  (row.responseHeaders ? JSON.stringify(row.responseHeaders).length : 0) +
  (row.responseBody?.length ?? 0) +
  row.requestUrl.length +
  200;

export const toDelivery = (row: DeliveryRow, principal: Principal): WebhookDelivery => ({
  ...row,
  id: String(row.id),
  requestUrl: visiblePayloadUrl(principal, row.requestUrl),
  payload: JSON.parse(row.payload) as unknown,
});

/** Organization webhooks: CRUD, ping, delivery history. Deliveries of events: WebhookDispatcher. */
export class WebhookService {
  constructor(
    private readonly store: Store,
    private readonly audit: AuditWriter,
    private readonly cursors: CursorCodec,
    private readonly secrets: SecretBox,
    private readonly sender: WebhookSender,
  ) {}

  /** The store\'s tables (SQLite\'s or PostgreSQL\'s). */
  private get t() {
    return this.store.tables;
  }

  list(organization: OrganizationRow): Promise<WebhookRow[]> {
    return listByName(this.store.db, this.t.webhooksTable, organization.id);
  }

  /** Up to `size` + 1 webhooks by name, ignoring case (keyset on lower(name): the unique index's order). */
  page(organization: OrganizationRow, request: PageRequest): Promise<WebhookRow[]> {
    return listByName(this.store.db, this.t.webhooksTable, organization.id, byNamePage(request));
  }

  count(organization: OrganizationRow): Promise<number> {
    return countInOrganization(this.store.db, this.t.webhooksTable, organization.id);
  }

  byName(organization: OrganizationRow, name: string, q: Db = this.store.db): Promise<WebhookRow | null> {
    return findByName(q, this.t.webhooksTable, organization.id, name);
  }

  async create(caller: Caller, organization: OrganizationRow, input: CreateWebhookInput): Promise<WebhookRow> {
    const name = checkWebhookName(input.name, "input.name");
    const displayName = input.displayName == null ? name : checkDisplayName(input.displayName);
    const payloadUrl = checkPayloadUrl(input.payloadUrl, "input.payloadUrl");
    const secret = input.secret == null ? null : checkSigningSecret(input.secret, "input.secret");
    const filters = checkFilters(input.filters ?? [], "input.filters");
    const id = newId();
    try {
      return await this.store.transaction(async (tx) => {
        if ((await countInOrganization(tx, this.t.webhooksTable, organization.id)) >= MAX_WEBHOOKS_PER_ORGANIZATION) {
          throw organizationCapReached(organization.name, MAX_WEBHOOKS_PER_ORGANIZATION, "webhooks");
        }
        const [row] = await tx
          .insert(this.t.webhooksTable)
          .values({
            id,
            organizationId: organization.id,
            name,
            displayName,
            payloadUrl,
            secretCiphertext: secret ? this.secrets.seal(secret, id) : null,
            active: input.active ?? true,
            format: input.format ?? "RAW",
            filters,
            createdAt: new Date(),
          })
          .returning();
        await this.audit.write(tx, caller, {
          organizationId: organization.id,
          event: "webhook-created",
          description: `Created webhook "${name}" (${row!.format}, ${row!.active ? "active" : "inactive"})`,
        });
        return row!;
      });
    } catch (error) {
      throw onUniqueViolation(error, () => nameTaken(organization.name, "webhook", name));
    }
  }

  /** Only the fields given change; the secret stays unless a new one is given or clearSecret. */
  update(caller: Caller, organization: OrganizationRow, input: UpdateWebhookInput): Promise<WebhookRow> {
    if (input.secret != null && input.clearSecret) {
      throw new BadUserInputError("give a new secret or clearSecret, not both", { field: "input.clearSecret" });
    }
    const changes: Partial<WebhookRow> = {};
    const described: string[] = [];
    if (input.displayName != null) changes.displayName = checkDisplayName(input.displayName);
    if (input.payloadUrl != null) changes.payloadUrl = checkPayloadUrl(input.payloadUrl, "input.payloadUrl");
    if (input.active != null) changes.active = input.active;
    if (input.format != null) changes.format = input.format;
    if (input.filters != null) changes.filters = checkFilters(input.filters, "input.filters");
    const newSecret = input.secret != null ? checkSigningSecret(input.secret, "input.secret") : null;
    for (const key of Object.keys(changes)) described.push(key);
    if (newSecret) described.push("secret");
    if (input.clearSecret) described.push("secret removed");
    return this.store.transaction(async (tx) => {
      const webhook = await this.requireWebhook(tx, organization, input.name);
      if (described.length === 0) return webhook;
      if (newSecret) changes.secretCiphertext = this.secrets.seal(newSecret, webhook.id);
      if (input.clearSecret) changes.secretCiphertext = null;
      const [row] = await tx.update(this.t.webhooksTable).set(changes).where(eq(this.t.webhooksTable.id, webhook.id)).returning();
      await this.audit.write(tx, caller, {
        organizationId: organization.id,
        event: "webhook-updated",
        description: `Updated webhook "${webhook.name}": ${described.join(", ")}`,
      });
      return row!;
    });
  }

  /** Its pending deliveries and delivery history go with it. */
  delete(caller: Caller, organization: OrganizationRow, name: string): Promise<true> {
    return this.store.transaction(async (tx) => {
      const webhook = await this.requireWebhook(tx, organization, name);
      await tx.delete(this.t.webhooksTable).where(eq(this.t.webhooksTable.id, webhook.id));
      await this.audit.write(tx, caller, {
        organizationId: organization.id,
        event: "webhook-deleted",
        description: `Deleted webhook "${webhook.name}"`,
      });
      return true as const;
    });
  }

  /** Sends a `ping` now, outside the outbox, and returns its delivery, successful or not. */
  async ping(caller: Caller, organization: OrganizationRow, name: string): Promise<DeliveryRow> {
    const webhook = await this.byName(organization, name);
    if (!webhook) throw new NotFoundError(`"${organization.name}" has no webhook named ${quote(name)}`);
    const attempt = { webhook, event: pingEvent(organization, webhook.name), messageId: newMessageId(), attempt: 1, outboxId: null };
    const sent = await sendAttempt(this.sender, this.secrets, attempt);
    return this.store.transaction(async (tx) => {
      if (!(await this.byName(organization, webhook.name, tx))) throw new NotFoundError(`webhook "${webhook.name}" was deleted meanwhile`);
      const delivery = await recordAttempt(tx, this.store, attempt, sent);
      await this.audit.write(tx, caller, {
        organizationId: organization.id,
        event: "webhook-pinged",
        description: `Pinged webhook "${webhook.name}": ${sent.result.responseCode ?? sent.result.error}`,
      });
      return delivery;
    });
  }

  /** Newest first. */
  async deliveries(webhook: Webhook, first: number | null, after: string | null, charge: ChargeBytes = unbounded) {
    const size = pageSize(first);
    const list = `deliveries:${webhook.id}`;
    const from = after ? this.cursors.decode(list, after) : null;
    const d = this.t.webhookDeliveriesTable;
    const rows = await this.store.db
      .select()
      .from(d)
      .where(and(eq(d.webhookId, webhook.id), from ? lt(d.id, Number(from[0])) : undefined))
      .orderBy(desc(d.id))
      .limit(size + 1);
    const page = toPage(rows, size, (last) => this.cursors.encode(list, [last.id]));
    const bytes = page.nodes.reduce((sum, row) => sum + deliveryBytes(row), 0);
    charge(bytes, `${page.nodes.length} deliveries of webhook "${webhook.name}"`);
    return {
      page,
      count: async () => {
        const [row] = await this.store.db.select({ n: count() }).from(d).where(eq(d.webhookId, webhook.id));
        return row!.n;
      },
    };
  }

  private async requireWebhook(tx: Tx, organization: OrganizationRow, name: string): Promise<WebhookRow> {
    const webhook = await this.byName(organization, name, tx);
    if (!webhook) throw new NotFoundError(`"${organization.name}" has no webhook named ${quote(name)}`);
    return webhook;
  }
}
