import { defineConfig } from "drizzle-kit";

// The PostgreSQL migrations: generated from src/db/postgres/schema.ts by `npm run db:generate`
// (which runs the top-level SQLite config too), committed, and applied by
// src/db/postgres/migrate.ts. Paths are relative to the repository root, where npm runs.
export default defineConfig({
  dialect: "postgresql",
  schema: "./src/db/postgres/schema.ts",
  out: "./src/db/postgres/migrations",
  strict: true,
  verbose: true,
});
