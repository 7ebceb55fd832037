import { sqliteTable, text, integer, index, uniqueIndex } from "drizzle-orm/sqlite-core";

export const DATA_SOURCE_KINDS = ["folder", "sqlite"] as const;
export const REPLICA_STATES = ["creation-pending", "ok", "inconsistent", "checking", "missing"] as const;
export const RECOVERY_POINT_KINDS = ["incremental", "express-full", "tape"] as const;

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
    /** The short-term policy as JSON (server/domain/protection/short-term-policy.ts), checked on write and read. */
    policy: text().notNull().default("{}"),
    updatedAt: integer({ mode: "timestamp_ms" }),
    /** The wizard's submission key: a second submit of the same form finds the group it made. */
    requestKey: text(),
    /** On a secondary: the primary this group mirrors, and the group's id there (its policy is the primary's). */
    originServerId: text(),
    originGroupId: integer(),
  },
  (t) => [uniqueIndex("groups_name_unique").on(t.name), uniqueIndex("groups_request_key_unique").on(t.requestKey), uniqueIndex("groups_origin_unique").on(t.originServerId, t.originGroupId)],
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
    /** The source's name on its agent (what backup and restore requests name). */
    name: text().notNull().default(""),
    /** Whether the agent still reports it (a source can disappear from an agent's configuration or disk). */
    present: integer({ mode: "boolean" }).notNull().default(true),
    replicaState: text({ enum: REPLICA_STATES }).notNull().default("creation-pending"),
    replicaStateAt: integer({ mode: "timestamp_ms" }),
    /** The pool's manifest that is this source's replica (its last synchronization). */
    replicaManifest: text(),
    lastSyncAt: integer({ mode: "timestamp_ms" }),
    protectedSince: integer({ mode: "timestamp_ms" }),
    /**
     * On a secondary: the primary whose data source this is a copy of, and its id there.
     * Such a source is not protected from here (no schedule, no discovery) until switched.
     */
    originServerId: text(),
    originSourceId: integer(),
    /** Switch protection's state (server/domain/servers/switch-rules.ts) as JSON; null for a source never switched. */
    switchState: text(),
    /**
     * Whether this server runs the source's protection jobs: an own source that is not switched
     * away, or a primary's source switched to this server. Kept beside switchState so that the
     * scheduler and the alerts filter on a column.
     */
    protectedHere: integer({ mode: "boolean" }).notNull().default(true),
  },
  (t) => [
    uniqueIndex("sources_computer_path_unique").on(t.computerId, t.path),
    uniqueIndex("sources_origin_unique").on(t.originServerId, t.originSourceId),
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
    kind: text({ enum: RECOVERY_POINT_KINDS }).notNull(),
    sizeBytes: integer().notNull().default(0),
    /** The pool manifest holding it; null only for rows made before the data path existed. */
    manifestId: text(),
    files: integer().notNull().default(0),
    /** Bytes this recovery point added to the pool (new chunks, compressed). */
    addedBytes: integer().notNull().default(0),
    jobId: integer(),
    /** Where it was made: null here, else the server whose recovery point was copied (replication, or the pull after switch back). */
    madeByServerId: text(),
  },
  // Covering indexes: the health charts group by day over millions of rows, and the latest
  // size per data source is read for thousands of sources, without touching the table.
  (t) => [
    index("rp_source_time_idx").on(t.dataSourceId, t.createdAt, t.sizeBytes),
    uniqueIndex("rp_manifest_unique").on(t.manifestId),
    index("rp_time_idx").on(t.createdAt, t.dataSourceId, t.addedBytes),
  ],
);

/**
 * Every path seen in a data source's recovery points, once (the search index: an FTS5
 * trigram table over `path` is kept in step by triggers, see migration 0002).
 */
export const indexedFiles = sqliteTable(
  "indexed_files",
  {
    id: integer().primaryKey({ autoIncrement: true }),
    dataSourceId: integer()
      .notNull()
      .references(() => dataSources.id, { onDelete: "cascade" }),
    path: text().notNull(),
  },
  (t) => [uniqueIndex("indexed_files_source_path_unique").on(t.dataSourceId, t.path)],
);

/**
 * One version of a file: the same content in a run of consecutive recovery points, from
 * the first to the last that holds it. A file's timeline is its versions.
 */
export const fileVersions = sqliteTable(
  "file_versions",
  {
    id: integer().primaryKey({ autoIncrement: true }),
    fileId: integer()
      .notNull()
      .references(() => indexedFiles.id, { onDelete: "cascade" }),
    firstRecoveryPointId: integer().notNull(),
    lastRecoveryPointId: integer().notNull(),
    size: integer().notNull(),
    mtimeMs: integer().notNull(),
    contentHash: text().notNull(),
  },
  (t) => [index("file_versions_file_idx").on(t.fileId, t.lastRecoveryPointId), index("file_versions_last_idx").on(t.lastRecoveryPointId), index("file_versions_first_idx").on(t.firstRecoveryPointId)],
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
