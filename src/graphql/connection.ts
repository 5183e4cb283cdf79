// Connection types (CONTRACT.md §9): { nodes, pageInfo, totalCount }. totalCount is a
// method so its COUNT query runs only when a client asks for it (through a DataLoader, for
// connections under a list, so N parents cost one COUNT).
import { type ClassType, Field, Int, ObjectType } from "type-graphql";
import type { Page } from "../lib/pagination.js";

@ObjectType({ simpleResolvers: true, description: "Where a page of a list ends, and whether another page follows." })
export class PageInfo {
  @Field(() => Boolean, { description: "True when more nodes follow this page: ask again with `after: endCursor`." })
  hasNextPage!: boolean;

  @Field(() => String, {
    nullable: true,
    description: "An opaque cursor, valid for this list only: pass it as `after` to get the next page. Null when this page is empty.",
  })
  endCursor!: string | null;
}

export type Count = () => number | Promise<number>;

export interface ConnectionShape<T> {
  nodes: T[];
  pageInfo: PageInfo;
  totalCount(): number | Promise<number>;
}

export function Connection<T extends object>(nodeType: () => ClassType<T>) {
  @ObjectType({ simpleResolvers: true })
  abstract class ConnectionClass implements ConnectionShape<T> {
    @Field(() => [nodeType()], { description: "This page's nodes, in the list's order." })
    nodes: T[];

    @Field(() => PageInfo, { description: "Where this page ends, and whether another follows." })
    pageInfo: PageInfo;

    readonly #count: Count;

    constructor(page: Page<T>, count: Count) {
      this.nodes = page.nodes;
      this.pageInfo = { hasNextPage: page.hasNextPage, endCursor: page.endCursor };
      this.#count = count;
    }

    @Field(() => Int, { description: "How many nodes the whole list holds (every page)." })
    totalCount(): number | Promise<number> {
      return this.#count();
    }
  }
  return ConnectionClass;
}
