import { sqliteTable, text, integer, uniqueIndex } from "drizzle-orm/sqlite-core";

/**
 * Backup servers this catalog knows: itself (is_self = 1, exactly one row) and, in later
 * releases, its primaries and secondaries. The self row carries the identity a rebuild
 * must match.
 */
export const servers = sqliteTable(
  "servers",
  {
    id: text().primaryKey(),
    name: text().notNull(),
    isSelf: integer({ mode: "boolean" }).notNull().default(false),
    url: text().notNull().default(""),
    createdAt: integer({ mode: "timestamp_ms" }).notNull(),
    lastContactAt: integer({ mode: "timestamp_ms" }),
  },
  (t) => [uniqueIndex("servers_name_unique").on(t.name)],
);
