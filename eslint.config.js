import js from "@eslint/js";
import tseslint from "typescript-eslint";

// Layering, as the README describes it: the engine and tape libraries stand alone, the domain
// knows nothing of HTTP or React, db/ knows nothing of server/, and the UI reaches the server
// only through tRPC (type imports of the router, plus db/schema/users for the Role type).
const restrict = (patterns) => ["error", { patterns }];

export default tseslint.config(
  { ignores: [".next/**", ".next-*/**", ".e2e-*/**", "bench-results/**", "node_modules/**", "data/**", ".e2e-data/**", "test-results/**", "next-env.d.ts", "db/migrations/**"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_", destructuredArrayIgnorePattern: "^_" }],
      "@typescript-eslint/consistent-type-imports": ["error", { fixStyle: "inline-type-imports" }],
    },
  },
  {
    files: ["server/domain/**/*.ts"],
    rules: {
      "no-restricted-imports": restrict([
        { group: ["@/server/api/*", "@/server/http/*", "next", "next/*", "react", "@trpc/*"], message: "The domain knows nothing of HTTP, tRPC or React." },
      ]),
    },
  },
  {
    files: ["server/engine/**/*.ts"],
    rules: {
      "no-restricted-imports": restrict([
        { group: ["@/db/*", "@/server/api/*", "@/server/domain/*", "@/server/http/*", "@/components/*", "@/app/*", "next", "react"], message: "The engine is a leaf library: it imports nothing from the catalog, the API or the domain." },
      ]),
    },
  },
  {
    files: ["server/agent/**/*.ts"],
    rules: {
      "no-restricted-imports": restrict([
        { group: ["@/db/*", "@/server/api/*", "@/server/domain/*", "@/server/http/*", "@/components/*", "@/app/*", "next", "react"], message: "The agent protocol is a library on top of the engine: the catalog and the API reach it through narrow interfaces (AgentDirectory)." },
      ]),
    },
  },
  {
    files: ["db/**/*.ts"],
    rules: { "no-restricted-imports": restrict([{ group: ["@/server/*", "@/components/*", "@/app/*"], message: "db/ imports nothing from the server or the UI." }]) },
  },
  {
    files: ["components/**/*.{ts,tsx}", "app/**/*.{ts,tsx}"],
    ignores: ["**/*.test.ts"],
    rules: {
      "no-restricted-imports": restrict([
        { group: ["@/server/*", "@/db/*"], allowTypeImports: true, message: "The UI talks to the server through tRPC only (type imports are fine)." },
        { group: ["better-sqlite3", "drizzle-orm", "drizzle-orm/*", "pino", "@node-rs/*"], message: "Server-only packages stay out of the UI." },
      ]),
    },
  },
  {
    files: ["**/*.js", "**/*.mjs"],
    languageOptions: { globals: { process: "readonly", console: "readonly", URL: "readonly" } },
  },
);
