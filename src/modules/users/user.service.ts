import { asc, count, eq, sql } from "drizzle-orm";
import type { UserRow } from "../../db/rows.js";
import { type Db, writeTransaction } from "../../db/client.js";
import { rowsByIds } from "../../db/by-id.js";
import { onUniqueViolation } from "../../db/errors.js";
import { usersTable } from "../../db/schema.js";
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
  private readonly byLogin;

  constructor(
    private readonly db: Db,
    private readonly tokens: AccessTokenService,
  ) {
    this.byLogin = db
      .select()
      .from(usersTable)
      .where(eq(sql`lower(${usersTable.login})`, sql`lower(${sql.placeholder("login")})`))
      .prepare();
  }

  /** Creates the user and their first personal access token in one transaction. */
  create(input: CreateUserInput): CreatedUser {
    const login = checkName("login", input.login, "input.login");
    const name = input.name == null ? null : checkText("name", input.name, 100, "input.name").trim() || null;
    const email = input.email == null || input.email === "" ? null : checkEmail(input.email, "input.email");
    try {
      return writeTransaction(this.db, (tx) => {
        const user = tx
          .insert(usersTable)
          .values({ id: newId(), login, name, email, isSiteAdmin: input.siteAdmin ?? false, createdAt: new Date() })
          .returning()
          .get();
        const token = this.tokens.insertPersonal(tx, user.id, "First token, issued with the account", null);
        return { user, token };
      });
    } catch (error) {
      throw onUniqueViolation(error, () => new ConflictError(`the login "${login}" is taken`, { field: "input.login" }));
    }
  }

  findByLogin(login: string): UserRow | undefined {
    return this.byLogin.get({ login });
  }

  /** The user with this login (any letter case); NOT_FOUND otherwise. Usable inside a transaction. */
  requireByLogin(login: string): UserRow {
    const user = this.byLogin.get({ login });
    if (!user) throw new NotFoundError(`no user has the login ${quote(login)}`);
    return user;
  }

  byIds(ids: readonly string[]): UserRow[] {
    return rowsByIds(this.db, usersTable, ids);
  }

  list(): UserRow[] {
    return this.db.select().from(usersTable).orderBy(asc(usersTable.createdAt), asc(usersTable.id)).all();
  }

  count(): number {
    return this.db.select({ n: count() }).from(usersTable).get()!.n;
  }
}
