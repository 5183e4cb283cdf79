// Keyset pagination (CONTRACT.md §9). A cursor is the last row's sort key, signed with a
// key derived from the server key and bound to its list (e.g. "events:<update id>"), so a
// cursor that was tampered with, or taken from another list, is refused as BAD_USER_INPUT
// instead of silently paging from elsewhere.
import { createHmac, timingSafeEqual } from "node:crypto";
import { BadUserInputError, type FieldPath } from "../errors.js";

export type CursorKey = ReadonlyArray<string | number>;

export class CursorCodec {
  constructor(private readonly key: Buffer) {}

  private sign(list: string, payload: string): string {
    return createHmac("sha256", this.key).update(`${list}\n${payload}`).digest("base64url").slice(0, 22);
  }

  encode(list: string, key: CursorKey): string {
    const payload = Buffer.from(JSON.stringify(key)).toString("base64url");
    return `${payload}.${this.sign(list, payload)}`;
  }

  /** The sort key a cursor carries; BAD_USER_INPUT (about `field`) when it was not issued for `list`. */
  decode(list: string, cursor: string, field: FieldPath = "after"): CursorKey {
    const [payload, mac, extra] = cursor.split(".");
    const expected = payload ? this.sign(list, payload) : "";
    if (
      extra !== undefined ||
      !payload ||
      !mac ||
      mac.length !== expected.length ||
      !timingSafeEqual(Buffer.from(mac), Buffer.from(expected))
    ) {
      throw new BadUserInputError("invalid cursor: pass `after` the endCursor of the previous page", { field });
    }
    const key: unknown = JSON.parse(Buffer.from(payload, "base64url").toString("utf8"));
    if (!Array.isArray(key) || !key.every((v) => typeof v === "string" || typeof v === "number")) {
      throw new BadUserInputError("invalid cursor: pass `after` the endCursor of the previous page", { field });
    }
    return key;
  }
}

export interface PageSizeLimits {
  readonly fallback: number;
  readonly max: number;
}

export const DEFAULT_PAGE: PageSizeLimits = { fallback: 50, max: 100 };

/** `first` checked against the list's limits; null or absent gives the list's default. */
export function pageSize(first: number | null | undefined, limits: PageSizeLimits = DEFAULT_PAGE, field: FieldPath = "first"): number {
  const size = first ?? limits.fallback;
  if (!Number.isInteger(size) || size < 1 || size > limits.max) {
    throw new BadUserInputError(`first must be between 1 and ${limits.max}`, { field });
  }
  return size;
}

export interface Page<T> {
  readonly nodes: T[];
  readonly hasNextPage: boolean;
  readonly endCursor: string | null;
}

/**
 * Cuts `rows` (fetched with LIMIT size + 1) to a page: the extra row only tells whether
 * there is a next page.
 */
export function toPage<T>(rows: T[], size: number, cursorOf: (last: T) => string): Page<T> {
  const hasNextPage = rows.length > size;
  const nodes = hasNextPage ? rows.slice(0, size) : rows;
  const last = nodes[nodes.length - 1];
  return { nodes, hasNextPage, endCursor: last === undefined ? null : cursorOf(last) };
}

/** A page asked of one list: its size and where it starts (null: at the start). */
export interface PageRequest {
  readonly size: number;
  readonly from: CursorKey | null;
}

/** A page request of a list keyed by lower-cased name: the name to start after, and the LIMIT (size + 1). */
export const byNamePage = (request: PageRequest) => ({
  after: request.from ? String(request.from[0]) : undefined,
  limit: request.size + 1,
});

/** A page of one parent's list, as a DataLoader key: the parent, the page size and where it starts. */
export const pageKey = (parentId: string, size: number, from: readonly (string | number)[] | null): string =>
  JSON.stringify([parentId, size, from]);

/** One list's cursors: `first`/`after` in, a page with its endCursor out. */
export class ListCursors {
  constructor(
    private readonly codec: CursorCodec,
    /** The list and its parent, e.g. "team-members:<team id>": a cursor works only here. */
    private readonly list: string,
  ) {}

  request(first: number | null | undefined, after: string | null | undefined, limits: PageSizeLimits = DEFAULT_PAGE): PageRequest {
    const size = pageSize(first, limits);
    return { size, from: after ? this.codec.decode(this.list, after) : null };
  }

  /** `rows` fetched with LIMIT size + 1. */
  page<T>(rows: T[], size: number, keyOf: (row: T) => CursorKey): Page<T> {
    return toPage(rows, size, (last) => this.codec.encode(this.list, keyOf(last)));
  }
}
