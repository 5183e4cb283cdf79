import { asc, count, eq, sql } from "drizzle-orm";
import type { UserRow } from "../../db/rows.js";
import type { Db, Store } from "../../db/store.js";
import { rowsByIds } from "../../db/by-id.js";
import { onUniqueViolation } from "../../db/errors.js";
import { ConflictError, NotFoundError } from "../../errors.js";
import { newId } from "../../lib/ids.js";
import { checkEmail, checkName, checkText, quote } from "../../lib/validation.js";
import type { AccessTokenService, IssuedToken } from "../access-tokens/access-token.service.js";
import type { CreateUserInput } from "./user.inputs.js";

export interface CreatedUser {
  readonly user: UserRow;
  /** The user's first personal access token. */
  readonly token: IssuedToken;
}

/** Users: created by site admins (GraphQL or the admin CLI), never deleted. */
export class UserService {
  constructor(
    private readonly store: Store,
    private readonly tokens: AccessTokenService,
  ) {}

  /** The store's tables (SQLite's or PostgreSQL's). */
  private get t() {
    return this.store.tables;
  }

  /** Creates the user and their first personal access token in one transaction. */
  async create(input: CreateUserInput): Promise<CreatedUser> {
    const login = checkName("login", input.login, "input.login");
    const name = input.name == null ? null : checkText("name", input.name, 100, "input.name").trim() || null;
    const email = input.email == null || input.email === "" ? null : checkEmail(input.email, "input.email");
    try {
      return await this.store.transaction(async (tx) => {
        const [user] = await tx
          .insert(this.t.usersTable)
          .values({ id: newId(), login, name, email, isSiteAdmin: input.siteAdmin ?? false, createdAt: new Date() })
          .returning();
        const token = await this.tokens.insertPersonal(tx, user!.id, "First token, issued with the account", null);
        return { user: user!, token };
      });
    } catch (error) {
      throw onUniqueViolation(error, () => new ConflictError(`the login "${login}" is taken`, { field: "input.login" }));
    }
  }

  /** The user with this login (any letter case); `q`: the transaction to read in, if any. */
  async findByLogin(login: string, q: Db = this.store.db): Promise<UserRow | undefined> {
    const u = this.t.usersTable;
    const [user] = await q
      .select()
      .from(u)
      .where(eq(sql`lower(${u.login})`, login.toLowerCase()))
      .limit(1);
    return user;
  }

  /** The user with this login (any letter case); NOT_FOUND otherwise. */
  async requireByLogin(login: string, q: Db = this.store.db): Promise<UserRow> {
    const user = await this.findByLogin(login, q);
    if (!user) throw new NotFoundError(`no user has the login ${quote(login)}`);
    return user;
  }

  byIds(ids: readonly string[]): Promise<UserRow[]> {
    return rowsByIds(this.store.db, this.t.usersTable, ids);
  }

  list(): Promise<UserRow[]> {
    return this.store.db.select().from(this.t.usersTable).orderBy(asc(this.t.usersTable.createdAt), asc(this.t.usersTable.id));
  }

  async count(): Promise<number> {
    const [row] = await this.store.db.select({ n: count() }).from(this.t.usersTable);
    return row!.n;
  }
}
