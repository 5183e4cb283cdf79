// The engine events of an update: checking a batch, storing it idempotently by sequence
// (a resend with other content is CONFLICT), and reading them back in pages.
import type { UpdateRow } from "../../db/rows.js";
import { isDeepStrictEqual } from "node:util";
import { and, asc, count, eq, gt, inArray } from "drizzle-orm";
import type { Store, Tx } from "../../db/store.js";
import { type UpdateStatusValue } from "../../db/schema.js";
import { BadUserInputError, ConflictError } from "../../errors.js";
import { type CursorCodec, type Page, pageSize } from "../../lib/pagination.js";
import { quote } from "../../lib/validation.js";
import { type EngineEventTypeValue, knownEngineEventType } from "./engine-events.js";
import type { UpdateEventInput } from "./update.inputs.js";

export const MAX_EVENTS_PER_APPEND = 1000;
const MAX_EVENT_PAYLOAD_BYTES = 64 * 1024;
/** A page of events stops early (hasNextPage stays true) once its payloads pass this size. */
const EVENT_PAGE_BYTE_BUDGET = 4 * 1024 * 1024;
/** An event's sequence, type and timestamp, as they add to a response beside its payload. */
const EVENT_OVERHEAD_BYTES = 100;
const EVENT_TYPE_PATTERN = /^[A-Za-z][A-Za-z0-9_.:-]{0,99}$/;

export interface StoredEvent {
  sequence: number;
  timestamp: Date;
  type: string;
  engineEventType: EngineEventTypeValue | null;
  payload: unknown;
}

/** An event checked and ready to store; `index` is its place in the batch sent. */
type EventRow = {
  readonly updateId: string;
  readonly sequence: number;
  readonly timestamp: Date;
  readonly type: string;
  /** JSON text. */
  readonly payload: string;
  readonly index: number;
};

export class UpdateEventLog {
  constructor(
    private readonly store: Store,
    private readonly cursors: CursorCodec,
  ) {}

  /** The store's tables (SQLite's or PostgreSQL's). */
  private get t() {
    return this.store.tables;
  }

  /** The batch checked (BAD_USER_INPUT about the first bad event, or a sequence given twice). */
  check(update: UpdateRow, events: UpdateEventInput[]): EventRow[] {
    if (events.length > MAX_EVENTS_PER_APPEND) {
      throw new BadUserInputError(`at most ${MAX_EVENTS_PER_APPEND} events per call: send them in batches`, { field: "input.events" });
    }
    const now = Date.now();
    const indexOf = new Map<number, number>();
    return events.map((event, i) => {
      const at = `input.events[${i}]`;
      if (!Number.isInteger(event.sequence) || event.sequence < 0) {
        throw new BadUserInputError(`events[${i}].sequence must be an integer ≥ 0`, { field: `${at}.sequence` });
      }
      const first = indexOf.get(event.sequence);
      if (first !== undefined) {
        throw new BadUserInputError(
          `events[${first}] and events[${i}] both have sequence ${event.sequence}: a batch sends each sequence once`,
          {
            field: `${at}.sequence`,
          },
        );
      }
      indexOf.set(event.sequence, i);
      if (!EVENT_TYPE_PATTERN.test(event.type)) {
        throw new BadUserInputError(`events[${i}].type ${quote(event.type)} is not an event type, e.g. stdoutEvent`, {
          field: `${at}.type`,
        });
      }
      if (event.payload === undefined || event.payload === null) {
        throw new BadUserInputError(`events[${i}].payload is required`, { field: `${at}.payload` });
      }
      const payload = JSON.stringify(event.payload);
      if (Buffer.byteLength(payload) > MAX_EVENT_PAYLOAD_BYTES) {
        throw new BadUserInputError(`events[${i}].payload is larger than ${MAX_EVENT_PAYLOAD_BYTES / 1024} KiB`, {
          field: `${at}.payload`,
        });
      }
      return {
        updateId: update.id,
        sequence: event.sequence,
        timestamp: event.timestamp ?? new Date(now),
        type: event.type,
        payload,
        index: i,
      };
    });
  }

  /**
   * Inside the caller's write transaction (`tx`): stores the events not stored yet and returns
   * how many; an event already stored must be the same (CONFLICT otherwise), and new events
   * need the update to be running (`status`).
   */
  async append(tx: Tx, update: UpdateRow, status: UpdateStatusValue, rows: EventRow[]): Promise<number> {
    if (rows.length === 0) return 0;
    const e = this.t.updateEventsTable;
    // the stored events of a batch, in one query (the primary key serves it)
    const sequences = rows.map((r) => r.sequence);
    const stored = await tx
      .select({ sequence: e.sequence, type: e.type, payload: e.payload })
      .from(e)
      .where(and(eq(e.updateId, update.id), inArray(e.sequence, sequences)));
    const storedBySequence = new Map(stored.map((row) => [row.sequence, row]));
    const fresh: EventRow[] = [];
    for (const row of rows) {
      const before = storedBySequence.get(row.sequence);
      if (before) refuseChangedResend(before, row);
      else fresh.push(row);
    }
    if (fresh.length > 0 && status !== "RUNNING") {
      throw new ConflictError(`update ${update.version} already ended (${status}): events can be appended only while it runs`);
    }
    if (fresh.length > 0) {
      await tx
        .insert(e)
        .values(fresh.map(({ updateId, sequence, timestamp, type, payload }) => ({ updateId, sequence, timestamp, type, payload })));
    }
    return fresh.length;
  }

  /** Engine events in sequence order; pages of up to 1,000. */
  async page(
    update: UpdateRow,
    first: number | null,
    after: string | null,
    maxBytes = EVENT_PAGE_BYTE_BUDGET,
  ): Promise<{ page: Page<StoredEvent>; count: () => Promise<number>; bytes: number }> {
    const size = pageSize(first, { fallback: 100, max: 1000 });
    const from = after ? this.cursors.decode(`events:${update.id}`, after) : null;
    const e = this.t.updateEventsTable;
    const stored = await this.store.db
      .select({ sequence: e.sequence, timestamp: e.timestamp, type: e.type, payload: e.payload })
      .from(e)
      .where(and(eq(e.updateId, update.id), from ? gt(e.sequence, Number(from[0])) : undefined))
      .orderBy(asc(e.sequence))
      .limit(size + 1);
    // up to `size` events, fewer when their payloads pass the byte budget (the rest come next)
    const budget = Math.min(EVENT_PAGE_BYTE_BUDGET, maxBytes);
    let take = 0;
    let bytes = 0;
    while (take < size && take < stored.length) {
      const next = stored[take]!.payload.length + EVENT_OVERHEAD_BYTES;
      // the first event of a page always goes in, as long as the response can take it
      if (bytes + next > (take === 0 ? maxBytes : budget)) break;
      bytes += next;
      take++;
    }
    const nodes = stored
      .slice(0, take)
      .map((row) => ({ ...row, engineEventType: knownEngineEventType(row.type), payload: JSON.parse(row.payload) as unknown }));
    const last = nodes[nodes.length - 1];
    const page: Page<StoredEvent> = {
      nodes,
      hasNextPage: take < stored.length,
      endCursor: last ? this.cursors.encode(`events:${update.id}`, [last.sequence]) : null,
    };
    return {
      page,
      count: async () => {
        const [row] = await this.store.db.select({ n: count() }).from(e).where(eq(e.updateId, update.id));
        return row!.n;
      },
      bytes,
    };
  }
}

/** CONFLICT when a resent sequence carries another type or payload than the stored one. */
function refuseChangedResend(stored: { sequence: number; type: string; payload: string }, sent: EventRow): void {
  const field = `input.events[${sent.index}]`;
  if (stored.type !== sent.type) {
    throw new ConflictError(
      `event sequence ${stored.sequence} is already stored with type ${quote(stored.type)}, not ${quote(sent.type)}: a resent event must be the same; new events need new sequences`,
      { field: `${field}.type` },
    );
  }
  // the same JSON text is the same payload; otherwise compare values (key order does not count)
  if (stored.payload !== sent.payload && !isDeepStrictEqual(JSON.parse(stored.payload), JSON.parse(sent.payload))) {
    throw new ConflictError(
      `event sequence ${stored.sequence} is already stored with another payload: a resent event must be the same; new events need new sequences`,
      { field: `${field}.payload` },
    );
  }
}
