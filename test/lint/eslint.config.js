// ESLint (flat config; the top level of the repository is fixed, so it lives here), run by
// `npm run lint` as part of `npm test`: typescript-eslint's type-aware rules, and the import
// boundaries of the layers the README's architecture section draws. Formatting is Prettier's
// (prettier.config.js beside this file).
import { fileURLToPath } from "node:url";
import boundaries from "eslint-plugin-boundaries";
import tseslint from "typescript-eslint";

const root = fileURLToPath(new URL("../..", import.meta.url));

// The layers of src/, bottom to top (a file belongs to the first that matches). A file may
// import from its own layer and the layers below.
const LAYERS = [
  { type: "base", pattern: ["src/errors.ts", "src/config.ts", "src/config-schema.ts", "src/lib/**"] },
  // the store's interface and what both dialects share
  { type: "db", pattern: "src/db/*.ts" },
  // the dialects: only the composition root uses them (src/open-store.ts picks one)
  { type: "dialects", pattern: ["src/db/sqlite/**", "src/db/postgres/**"] },
  { type: "auth", pattern: "src/auth/**" },
  { type: "permissions", pattern: "src/permissions/**" },
  // the GraphQL building blocks features use: scalars, enums, connection types
  { type: "graphql-types", pattern: ["src/graphql/scalars.ts", "src/graphql/enums.ts", "src/graphql/connection.ts"] },
  { type: "features", pattern: "src/modules/**" },
  // the GraphQL assembly: schema, context, loaders, executor, plugins
  { type: "graphql", pattern: "src/graphql/!(scalars|enums|connection).ts" },
  // transport
  { type: "http", pattern: "src/http/**" },
  // the composition root and the entry points
  {
    type: "root",
    pattern: ["src/services.ts", "src/server.ts", "src/open-store.ts", "src/index.ts", "src/bootstrap.ts", "src/cli/**", "src/scripts/**"],
  },
];
const below = (type) =>
  LAYERS.slice(0, LAYERS.findIndex((layer) => layer.type === type) + 1)
    .map((layer) => layer.type)
    .filter((t) => t !== "dialects" || type === "dialects" || type === "root");
// what each layer may import (graphql-types sits beside permissions: it needs only base and db)
const ALLOWED = {
  base: ["base"],
  db: below("db"),
  dialects: ["base", "db", "dialects"],
  auth: below("auth"),
  permissions: below("permissions").filter((t) => t !== "graphql-types"),
  "graphql-types": ["base", "db", "graphql-types"],
  features: below("features"),
  graphql: below("graphql"),
  http: below("http"),
  root: below("root"),
};

export default tseslint.config(
  { ignores: ["dist/**", "node_modules/**", "coverage/**", "**/*.js", "**/*.mjs", "src/db/migrations/**", "src/db/postgres/migrations/**"] },
  {
    files: ["**/*.ts"],
    extends: [tseslint.configs.recommendedTypeChecked],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: root } },
    rules: {
      "@typescript-eslint/no-floating-promises": "error",
      "@typescript-eslint/no-misused-promises": "error",
      // unused names are the type checker's (noUnusedLocals, noUnusedParameters)
      "@typescript-eslint/no-unused-vars": "off",
      // Apollo plugin hooks, DataLoader batch functions and Fastify hooks are async by contract,
      // whether or not a given one awaits anything
      "@typescript-eslint/require-await": "off",
    },
  },
  {
    files: ["src/**/*.ts"],
    plugins: { boundaries },
    settings: {
      // the layers are sets of files (some sit at the top of src/): file descriptors, by category
      "boundaries/files": LAYERS.map(({ type, pattern }) => ({ category: type, pattern })),
      "boundaries/include": ["src/**/*.ts"],
      "import/resolver": { typescript: { project: `${root}/tsconfig.json` } },
    },
    rules: {
      "boundaries/dependencies": [
        "error",
        {
          default: "disallow",
          policies: Object.entries(ALLOWED).map(([from, to]) => ({
            from: { file: { categories: from } },
            allow: { to: { file: { categories: { anyOf: to } } } },
          })),
        },
      ],
    },
  },
  {
    // One query API on both dialects (src/db/store.ts): drizzle's SQLite-only calls would not run
    // on PostgreSQL. Awaiting the builder is the portable form; the dialects' own code is exempt.
    files: ["src/**/*.ts"],
    ignores: ["src/db/sqlite/**", "src/db/postgres/**"],
    rules: {
      "no-restricted-syntax": [
        "error",
        {
          selector: "CallExpression[arguments.length=0] > MemberExpression.callee[property.name=/^(all|get|run|prepare)$/]",
          message:
            "SQLite-only query call: await the builder instead (rows: `await q`; one row: `const [row] = await q.limit(1)`; affected rows: `.returning()`).",
        },
        {
          selector: "CallExpression[arguments.length=1] > MemberExpression.callee[property.name=/^(all|get|run|values)$/][object.name=/^(db|tx|q)$/]",
          message: "raw SQL on one dialect: use the query builder, or a method of the store (src/db/store.ts) for what differs.",
        },
        {
          selector: "MemberExpression[property.name='placeholder'][object.name='sql']",
          message: "no prepared statements outside the dialects (a statement prepared on a pool connection runs outside the transaction).",
        },
      ],
    },
  },
  {
    // Tests read GraphQL responses, which are untyped JSON by nature.
    files: ["test/**/*.ts"],
    rules: {
      "@typescript-eslint/no-unsafe-assignment": "off",
      "@typescript-eslint/no-unsafe-member-access": "off",
      "@typescript-eslint/no-unsafe-call": "off",
      "@typescript-eslint/no-unsafe-return": "off",
      "@typescript-eslint/no-unsafe-argument": "off",
      "@typescript-eslint/no-explicit-any": "off",
    },
  },
);
