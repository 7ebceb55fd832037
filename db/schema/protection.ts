import { sqliteTable, text, integer, index, uniqueIndex } from "drizzle-orm/sqlite-core";

export const DATA_SOURCE_KINDS = ["folder", "sqlite"] as const;

/** A computer running a protection agent (or the server's built-in local agent). */
export const protectedComputers = sqliteTable(
  "protected_computers",
  {
    id: integer().primaryKey({ autoIncrement: true }),
    name: text().notNull(),
    createdAt: integer({ mode: "timestamp_ms" }).notNull(),
  },
  (t) => [uniqueIndex("computers_name_unique").on(t.name)],
);

/** Data sources that share one short-term policy (SPEC §3). */
export const protectionGroups = sqliteTable(
  "protection_groups",
  {
    id: integer().primaryKey({ autoIncrement: true }),
    name: text().notNull(),
    createdAt: integer({ mode: "timestamp_ms" }).notNull(),
  },
  (t) => [uniqueIndex("groups_name_unique").on(t.name)],
);

/** A folder or database on a protected computer; in at most one group. */
export const dataSources = sqliteTable(
  "data_sources",
  {
    id: integer().primaryKey({ autoIncrement: true }),
    computerId: integer()
      .notNull()
      .references(() => protectedComputers.id),
    kind: text({ enum: DATA_SOURCE_KINDS }).notNull(),
    path: text().notNull(),
    groupId: integer().references(() => protectionGroups.id),
    createdAt: integer({ mode: "timestamp_ms" }).notNull(),
  },
  (t) => [
    uniqueIndex("sources_computer_path_unique").on(t.computerId, t.path),
    index("sources_group_idx").on(t.groupId),
  ],
);

/** An immutable point-in-time version of a data source. */
export const recoveryPoints = sqliteTable(
  "recovery_points",
  {
    id: integer().primaryKey({ autoIncrement: true }),
    dataSourceId: integer()
      .notNull()
      .references(() => dataSources.id),
    createdAt: integer({ mode: "timestamp_ms" }).notNull(),
    kind: text({ enum: ["incremental", "express-full", "tape"] }).notNull(),
    sizeBytes: integer().notNull().default(0),
  },
  (t) => [index("rp_source_time_idx").on(t.dataSourceId, t.createdAt)],
);

/**
 * Protection agents this server has paired with (one-time token), one per protected computer.
 * Only the agent's public key is kept: requests it signs are checked against it.
 */
export const agents = sqliteTable(
  "agents",
  {
    id: text().primaryKey(),
    computerId: integer()
      .notNull()
      .references(() => protectedComputers.id),
    url: text().notNull(),
    publicKey: text().notNull(),
    keyId: text().notNull(),
    /** The server's built-in agent for its own computer. */
    builtIn: integer({ mode: "boolean" }).notNull().default(false),
    pairedAt: integer({ mode: "timestamp_ms" }).notNull(),
    lastContactAt: integer({ mode: "timestamp_ms" }),
  },
  (t) => [uniqueIndex("agents_key_unique").on(t.keyId), uniqueIndex("agents_computer_unique").on(t.computerId)],
);
