import { defineConfig } from "drizzle-kit";

// `npm run db:generate` writes a new migration after a schema change; the server
// applies pending migrations at start-up (db/client.ts). Never hand-edit a landed migration.
export default defineConfig({
  dialect: "sqlite",
  schema: "./db/schema/index.ts",
  out: "./db/migrations",
  casing: "snake_case",
});
