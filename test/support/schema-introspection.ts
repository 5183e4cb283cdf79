// Reads the structure of a migrated SQLite and a migrated PostgreSQL database into one
// normalised shape, so test/schema-parity.test.ts can compare what the two sets of migrations
// actually built: tables, columns (type family, nullability, default, numbering), primary keys,
// indexes (unique, columns and expressions, partial WHERE), CHECK constraints and foreign keys.
import type Database from "better-sqlite3";

export interface ColumnModel {
  /** The SQLite storage type that holds the same values (see PG_TYPE_FAMILY). */
  type: string;
  notNull: boolean;
  default: string | null;
  /** Numbered by the database (SQLite AUTOINCREMENT, PostgreSQL identity). */
  autoNumbered: boolean;
}

export interface IndexModel {
  unique: boolean;
  columns: string[];
  where: string | null;
}

export interface TableModel {
  columns: Record<string, ColumnModel>;
  primaryKey: string[];
  indexes: Record<string, IndexModel>;
  checks: Record<string, string>;
  /** "from_cols -> table(to_cols) on delete X on update Y", sorted. */
  foreignKeys: string[];
}

export type SchemaModel = Record<string, TableModel>;

/**
 * PostgreSQL column types and the SQLite storage type of the same values in src/db/schema.ts:
 * JSON is text there, booleans are 0/1 and times are epoch milliseconds. (Which integer column
 * is a boolean or a time is in the TypeScript, checked by test/schema-types.test.ts.)
 */
const PG_TYPE_FAMILY: Record<string, string> = {
  text: "text",
  jsonb: "text",
  integer: "integer",
  bigint: "integer", // SQLite integers are 64-bit
  boolean: "integer",
  "timestamp with time zone": "integer", // of precision 3 (milliseconds)
};

const MIGRATION_TABLES = new Set(["__drizzle_migrations", "sqlite_sequence"]);
/**
 * Tables only PostgreSQL has, by design (not in either schema.ts: custom migrations), left out
 * of the comparison: `rate_limits`, the fleet's shared rate-limit counts (SQLite counts in its
 * process; src/db/postgres/rate-limit-store.ts).
 */
const POSTGRES_ONLY_TABLES = new Set(["rate_limits"]);

// ---------------------------------------------------------------------------------------------
// SQLite

export function introspectSqlite(sqlite: Database.Database): SchemaModel {
  const tables = sqlite
    .prepare("SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'")
    .all() as Array<{ name: string; sql: string }>;
  const model: SchemaModel = {};
  for (const { name: table, sql: createTable } of tables) {
    if (MIGRATION_TABLES.has(table)) continue;
    const info = sqlite.pragma(`table_info(${quote(table)})`) as Array<{
      name: string;
      type: string;
      notnull: number;
      dflt_value: string | null;
      pk: number;
    }>;
    const columns: Record<string, ColumnModel> = {};
    for (const column of info) {
      const autoNumbered = new RegExp(`[\`"]${column.name}[\`"]\\s+integer\\s+PRIMARY KEY AUTOINCREMENT`, "i").test(createTable);
      columns[column.name] = {
        type: column.type.toLowerCase(),
        // a PRIMARY KEY column is NOT NULL on PostgreSQL whatever it declares
        notNull: column.notnull === 1 || column.pk > 0,
        default: column.dflt_value === null ? null : normaliseExpression(column.dflt_value),
        autoNumbered,
      };
    }
    const primaryKey = info
      .filter((c) => c.pk > 0)
      .sort((a, b) => a.pk - b.pk)
      .map((c) => c.name);

    const indexes: Record<string, IndexModel> = {};
    const indexList = sqlite.pragma(`index_list(${quote(table)})`) as Array<{ name: string; unique: number; origin: string }>;
    for (const index of indexList) {
      if (index.origin === "pk") continue; // the primary key, compared above
      const { sql } = sqlite.prepare("SELECT sql FROM sqlite_master WHERE type = 'index' AND name = ?").get(index.name) as {
        sql: string | null;
      };
      if (sql === null) {
        // an inline UNIQUE constraint: plain columns only
        const cols = (sqlite.pragma(`index_info(${quote(index.name)})`) as Array<{ name: string }>).map((c) => c.name);
        indexes[index.name] = { unique: true, columns: cols, where: null };
        continue;
      }
      const parsed = parseCreateIndex(sql);
      indexes[index.name] = { unique: index.unique === 1, columns: parsed.columns, where: parsed.where };
    }

    const checks: Record<string, string> = {};
    for (const match of createTable.matchAll(/CONSTRAINT\s+["`]?(\w+)["`]?\s+CHECK\s*\(/gi)) {
      const open = match.index + match[0].length - 1;
      checks[match[1]!] = normaliseExpression(createTable.slice(open + 1, closingParen(createTable, open)));
    }

    const fks = sqlite.pragma(`foreign_key_list(${quote(table)})`) as Array<{
      id: number;
      seq: number;
      table: string;
      from: string;
      to: string;
      on_update: string;
      on_delete: string;
    }>;
    const byId = new Map<number, typeof fks>();
    for (const fk of fks) byId.set(fk.id, [...(byId.get(fk.id) ?? []), fk]);
    const foreignKeys = [...byId.values()].map((parts) => {
      parts.sort((a, b) => a.seq - b.seq);
      const first = parts[0]!;
      return foreignKey(
        parts.map((p) => p.from),
        first.table,
        parts.map((p) => p.to),
        first.on_delete,
        first.on_update,
      );
    });

    model[table] = { columns, primaryKey, indexes, checks, foreignKeys: foreignKeys.sort() };
  }
  return model;
}

/** `CREATE [UNIQUE] INDEX name ON table (a, lower("b")) [WHERE …]` → its columns and WHERE. */
function parseCreateIndex(sql: string): { columns: string[]; where: string | null } {
  const on = /\bON\s+[`"]?\w+[`"]?\s*\(/i.exec(sql);
  if (!on) throw new Error(`cannot parse index: ${sql}`);
  const open = on.index + on[0].length - 1;
  const close = closingParen(sql, open);
  const rest = sql.slice(close + 1).trim();
  const where = /^WHERE\s+([\s\S]+)$/i.exec(rest);
  return {
    columns: splitTopLevel(sql.slice(open + 1, close)).map(normaliseExpression),
    where: where ? normaliseExpression(where[1]!) : null,
  };
}

// ---------------------------------------------------------------------------------------------
// PostgreSQL

type Query = <R>(text: string, params?: unknown[]) => Promise<R[]>;

export async function introspectPostgres(query: Query, schema = "public"): Promise<SchemaModel> {
  const model: SchemaModel = {};
  const tables = await query<{ table_name: string }>(
    "SELECT table_name FROM information_schema.tables WHERE table_schema = $1 AND table_type = 'BASE TABLE'",
    [schema],
  );
  for (const { table_name } of tables) {
    if (POSTGRES_ONLY_TABLES.has(table_name)) continue;
    model[table_name] = { columns: {}, primaryKey: [], indexes: {}, checks: {}, foreignKeys: [] };
  }
  const columns = await query<{
    table_name: string;
    column_name: string;
    data_type: string;
    is_nullable: "YES" | "NO";
    column_default: string | null;
    is_identity: "YES" | "NO";
    datetime_precision: number | null;
  }>(
    `SELECT table_name, column_name, data_type, is_nullable, column_default, is_identity, datetime_precision
       FROM information_schema.columns WHERE table_schema = $1`,
    [schema],
  );
  for (const c of columns) {
    const table = model[c.table_name];
    if (!table) continue;
    // SQLite keeps milliseconds: a time column of another precision would round them
    const type =
      c.data_type === "timestamp with time zone" && c.datetime_precision !== 3 ? `timestamptz(${c.datetime_precision})` : c.data_type;
    table.columns[c.column_name] = {
      type: PG_TYPE_FAMILY[type] ?? `postgres ${type}`,
      notNull: c.is_nullable === "NO",
      default: c.column_default === null ? null : normaliseExpression(c.column_default),
      autoNumbered: c.is_identity === "YES",
    };
  }

  const constraints = await query<{
    conname: string;
    contype: string;
    table_name: string;
    ref_table: string | null;
    columns: string[];
    ref_columns: string[] | null;
    confdeltype: string;
    confupdtype: string;
    def: string;
  }>(
    `SELECT c.conname, c.contype::text AS contype, cl.relname::text AS table_name, rf.relname::text AS ref_table,
            (SELECT array_agg(a.attname::text ORDER BY k.ord) FROM unnest(c.conkey) WITH ORDINALITY k(attnum, ord)
               JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum) AS columns,
            (SELECT array_agg(a.attname::text ORDER BY k.ord) FROM unnest(c.confkey) WITH ORDINALITY k(attnum, ord)
               JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.attnum) AS ref_columns,
            c.confdeltype::text AS confdeltype, c.confupdtype::text AS confupdtype, pg_get_constraintdef(c.oid) AS def
       FROM pg_constraint c
       JOIN pg_class cl ON cl.oid = c.conrelid
       LEFT JOIN pg_class rf ON rf.oid = c.confrelid
      WHERE cl.relnamespace = $1::text::regnamespace`,
    [schema],
  );
  for (const c of constraints) {
    const table = model[c.table_name];
    if (!table) continue;
    if (c.contype === "p") table.primaryKey = c.columns;
    else if (c.contype === "c") table.checks[c.conname] = normaliseExpression(c.def.replace(/^CHECK\s*/i, ""));
    else if (c.contype === "f") {
      table.foreignKeys.push(foreignKey(c.columns, c.ref_table!, c.ref_columns!, FK_ACTIONS[c.confdeltype]!, FK_ACTIONS[c.confupdtype]!));
    }
    // "u" (UNIQUE constraints) are compared as the unique indexes behind them
  }
  for (const table of Object.values(model)) table.foreignKeys.sort();

  const indexes = await query<{
    indexname: string;
    tablename: string;
    indexdef: string;
    unique: boolean;
    primary: boolean;
    predicate: string | null;
    columns: string[];
  }>(
    `SELECT i.indexname, i.tablename, i.indexdef, x.indisunique AS unique, x.indisprimary AS primary,
            pg_get_expr(x.indpred, x.indrelid) AS predicate,
            (SELECT array_agg(pg_get_indexdef(x.indexrelid, k, true) ORDER BY k)
               FROM generate_series(1, x.indnkeyatts) k) AS columns
       FROM pg_indexes i
       JOIN pg_class c ON c.relname = i.indexname AND c.relnamespace = $1::text::regnamespace
       JOIN pg_index x ON x.indexrelid = c.oid
      WHERE i.schemaname = $1::text`,
    [schema],
  );
  for (const index of indexes) {
    const table = model[index.tablename];
    if (!table || index.primary) continue;
    table.indexes[index.indexname] = {
      unique: index.unique,
      columns: index.columns.map(normaliseExpression),
      where: index.predicate === null ? null : normaliseExpression(index.predicate),
    };
  }
  return model;
}

const FK_ACTIONS: Record<string, string> = {
  a: "no action",
  r: "restrict",
  c: "cascade",
  n: "set null",
  d: "set default",
};

// ---------------------------------------------------------------------------------------------
// Comparison

/** Every difference between the two models, one line each; [] when they agree. */
export function compareSchemas(sqlite: SchemaModel, postgres: SchemaModel): string[] {
  const differences: string[] = [];
  const both = <T>(
    name: (key: string) => string,
    a: Record<string, T>,
    b: Record<string, T>,
    each: (label: string, x: T, y: T, key: string) => void,
  ) => {
    for (const key of Object.keys(a).sort()) {
      if (!(key in b)) differences.push(`${name(key)}: only on SQLite`);
      else each(name(key), a[key]!, b[key]!, key);
    }
    for (const key of Object.keys(b).sort()) if (!(key in a)) differences.push(`${name(key)}: only on PostgreSQL`);
  };
  const same = (label: string, x: unknown, y: unknown) => {
    if (JSON.stringify(x) !== JSON.stringify(y)) {
      differences.push(`${label}: SQLite ${JSON.stringify(x)}, PostgreSQL ${JSON.stringify(y)}`);
    }
  };
  both(
    (table) => `table ${table}`,
    sqlite,
    postgres,
    (_, a, b, table) => {
      both((column) => `column ${table}.${column}`, a.columns, b.columns, same);
      same(`primary key of ${table}`, a.primaryKey, b.primaryKey);
      both((index) => `index ${table}.${index}`, a.indexes, b.indexes, same);
      both((check) => `check ${table}.${check}`, a.checks, b.checks, same);
      same(`foreign keys of ${table}`, a.foreignKeys, b.foreignKeys);
    },
  );
  return differences;
}

const foreignKey = (from: string[], table: string, to: string[], onDelete: string, onUpdate: string) =>
  `(${from.join(", ")}) -> ${table}(${to.join(", ")}) on delete ${onDelete.toLowerCase()} on update ${onUpdate.toLowerCase()}`;

// ---------------------------------------------------------------------------------------------
// Expressions: both dialects' spellings to one canonical text

/**
 * Parses a CHECK, index or default expression and prints it canonically: identifiers unquoted
 * and lower-case, casts (`'RUNNING'::text`) dropped, booleans as SQLite stores them
 * (false → 0), redundant parentheses dropped and AND/OR chains flattened, so that
 * `status = 'RUNNING' AND is_preview = 0` and `((status = 'RUNNING'::text) AND (is_preview = false))`
 * print alike, and a real difference (a changed column, operator, literal or grouping) does not.
 */
export function normaliseExpression(text: string): string {
  const tokens = tokenize(text);
  let at = 0;
  const peek = () => tokens[at];
  const next = () => tokens[at++]!;
  const keyword = (word: string) => peek()?.kind === "word" && peek()!.text.toLowerCase() === word;
  const expect = (text: string) => {
    const token = next();
    if (token?.text !== text) throw new Error(`expected ${text} in ${JSON.stringify(textOf(tokens))}`);
  };
  type Node = string | { op: "AND" | "OR"; items: Node[] };
  const print = (node: Node, parent?: "AND" | "OR"): string => {
    if (typeof node === "string") return node;
    const inner = node.items.map((item) => print(item, node.op)).join(` ${node.op} `);
    return parent ? `(${inner})` : inner;
  };
  const chain = (op: "AND" | "OR", operand: () => Node): Node => {
    const items: Node[] = [];
    const push = (node: Node) => (typeof node !== "string" && node.op === op ? items.push(...node.items) : items.push(node));
    push(operand());
    while (keyword(op.toLowerCase())) {
      next();
      push(operand());
    }
    return items.length === 1 ? items[0]! : { op, items };
  };
  const or = (): Node => chain("OR", and);
  const and = (): Node => chain("AND", not);
  const not = (): Node => {
    if (keyword("not")) {
      next();
      return `NOT ${print(not(), "AND")}`;
    }
    return comparison();
  };
  const comparison = (): Node => {
    const left = primary();
    if (keyword("is")) {
      next();
      const negated = keyword("not") ? (next(), true) : false;
      if (!keyword("null")) throw new Error(`IS without NULL in ${JSON.stringify(textOf(tokens))}`);
      next();
      return `${print(left, "AND")} IS ${negated ? "NOT " : ""}NULL`;
    }
    if (peek()?.kind === "operator") {
      const written = next().text;
      const operator = written === "!=" ? "<>" : written;
      return `${print(left, "AND")} ${operator} ${print(primary(), "AND")}`;
    }
    return left;
  };
  const primary = (): Node => {
    const token = next();
    if (!token) throw new Error(`unexpected end of ${JSON.stringify(text)}`);
    if (token.text === "(") {
      const inner = or();
      expect(")");
      return inner;
    }
    if (token.kind === "string" || token.kind === "number") return token.text;
    if (token.kind === "word") {
      const word = token.text.toLowerCase();
      if (word === "false") return "0";
      if (word === "true") return "1";
      if (word === "null") return "NULL";
      if (peek()?.text === "(") {
        next();
        const args: string[] = [];
        while (peek()?.text !== ")") {
          args.push(print(or()));
          if (peek()?.text === ",") next();
        }
        expect(")");
        return `${word}(${args.join(", ")})`;
      }
      return word;
    }
    if (token.kind === "ident") return token.text.toLowerCase();
    throw new Error(`unexpected ${token.text} in ${JSON.stringify(text)}`);
  };
  const node = or();
  if (at !== tokens.length) throw new Error(`unparsed rest of ${JSON.stringify(text)}: ${textOf(tokens.slice(at))}`);
  return print(node);
}

type Token = { kind: "word" | "ident" | "string" | "number" | "operator" | "punct"; text: string };

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const rest = text.slice(i);
    let m: RegExpExecArray | null;
    if ((m = /^\s+/.exec(rest))) {
      // whitespace
    } else if ((m = /^::\s*(?:timestamp with time zone|character varying|double precision|[A-Za-z_]\w*)(?:\[\])?/i.exec(rest))) {
      // a cast: dropped
    } else if ((m = /^'(?:[^']|'')*'/.exec(rest))) {
      tokens.push({ kind: "string", text: m[0] });
    } else if ((m = /^"((?:[^"]|"")*)"/.exec(rest)) || (m = /^`([^`]*)`/.exec(rest))) {
      tokens.push({ kind: "ident", text: m[1]!.replace(/""/g, '"') });
    } else if ((m = /^-?\d+(\.\d+)?/.exec(rest))) {
      tokens.push({ kind: "number", text: m[0] });
    } else if ((m = /^[A-Za-z_]\w*/.exec(rest))) {
      tokens.push({ kind: "word", text: m[0] });
    } else if ((m = /^(<>|!=|<=|>=|=|<|>)/.exec(rest))) {
      tokens.push({ kind: "operator", text: m[0] });
    } else if ((m = /^[(),]/.exec(rest))) {
      tokens.push({ kind: "punct", text: m[0] });
    } else {
      throw new Error(`cannot read ${JSON.stringify(rest)} in ${JSON.stringify(text)}`);
    }
    i += m[0].length;
  }
  return tokens;
}

const textOf = (tokens: Token[]) => tokens.map((t) => t.text).join(" ");

/** The index of the `)` matching the `(` at `open` (quotes respected). */
function closingParen(text: string, open: number): number {
  let depth = 0;
  let quote: string | undefined;
  for (let i = open; i < text.length; i++) {
    const ch = text[i]!;
    if (quote) {
      if (ch === quote) quote = undefined;
    } else if (ch === "'" || ch === '"' || ch === "`") quote = ch;
    else if (ch === "(") depth++;
    else if (ch === ")" && --depth === 0) return i;
  }
  throw new Error(`unbalanced parentheses in ${text}`);
}

/** Splits on the commas that are not inside parentheses or quotes. */
function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quote: string | undefined;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quote) {
      if (ch === quote) quote = undefined;
    } else if (ch === "'" || ch === '"' || ch === "`") quote = ch;
    else if (ch === "(") depth++;
    else if (ch === ")") depth--;
    else if (ch === "," && depth === 0) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(text.slice(start));
  return parts.map((p) => p.trim());
}

const quote = (name: string) => `"${name.replace(/"/g, '""')}"`;
