import { sql } from "drizzle-orm";
import { sqliteTable, text, integer, index, uniqueIndex } from "drizzle-orm/sqlite-core";

export const JOB_STATES = ["scheduled", "queued", "running", "succeeded", "failed", "cancelled"] as const;
export type JobState = (typeof JOB_STATES)[number];

/** Every unit of work the server does, persisted with its state (SPEC §3, Jobs). */
export const jobs = sqliteTable(
  "jobs",
  {
    id: integer().primaryKey({ autoIncrement: true }),
    type: text().notNull(),
    state: text({ enum: JOB_STATES }).notNull(),
    target: text().notNull().default(""),
    createdAt: integer({ mode: "timestamp_ms" }).notNull(),
    startedAt: integer({ mode: "timestamp_ms" }),
    finishedAt: integer({ mode: "timestamp_ms" }),
    error: text(),
    dataSourceId: integer(),
    groupId: integer(),
    agentId: text(),
    /** What the job was asked to do, as JSON (its type's parameters). */
    params: text().notNull().default("{}"),
    /** What it produced, as JSON (a recovery point, a restore report...). */
    result: text(),
    /** Why it exists: the schedule, a user, the system (automatic check, retry), the demo. */
    trigger: text().notNull().default("user"),
    requestedBy: text(),
    scheduledFor: integer({ mode: "timestamp_ms" }),
    attempt: integer().notNull().default(1),
    retryOf: integer(),
    /** Who ended it when it failed or was cancelled: DPM retries only what the system ended. */
    endedBy: text({ enum: ["system", "user"] }),
    filesDone: integer().notNull().default(0),
    bytesDone: integer().notNull().default(0),
    bytesTotal: integer(),
    bytesPerSecond: integer().notNull().default(0),
    progressAt: integer({ mode: "timestamp_ms" }),
    /** The peer server a link's job works with (catalog copy, replication, pull after switch back). */
    peerServerId: text(),
  },
  (t) => [
    index("jobs_state_idx").on(t.state, t.createdAt),
    index("jobs_created_idx").on(t.createdAt),
    index("jobs_source_idx").on(t.dataSourceId, t.createdAt),
    index("jobs_type_idx").on(t.type, t.createdAt),
    // Job outcomes per day by type (reports) without reading the table.
    index("jobs_created_state_type_idx").on(t.createdAt, t.state, t.type),
    // "Was this job retried already?" for each listed job.
    index("jobs_retry_of_idx").on(t.retryOf),
    index("jobs_peer_idx").on(t.peerServerId, t.createdAt),
  ],
);

/** A job's log, line by line. */
export const jobLog = sqliteTable(
  "job_log",
  {
    id: integer().primaryKey({ autoIncrement: true }),
    jobId: integer()
      .notNull()
      .references(() => jobs.id, { onDelete: "cascade" }),
    at: integer({ mode: "timestamp_ms" }).notNull(),
    level: text({ enum: ["info", "warn", "error"] }).notNull(),
    message: text().notNull(),
  },
  (t) => [index("job_log_job_idx").on(t.jobId, t.id)],
);

/** Small persistent facts of the server's loops (the scheduler's last tick, for the dead-man's switch). */
export const schedulerState = sqliteTable("scheduler_state", {
  key: text().primaryKey(),
  value: text().notNull(),
});

export const ALERT_SEVERITIES = ["critical", "warning", "info"] as const;

/** Alerts are raised and resolved by the system and keep their history (SPEC §3). */
export const alerts = sqliteTable(
  "alerts",
  {
    id: integer().primaryKey({ autoIncrement: true }),
    severity: text({ enum: ALERT_SEVERITIES }).notNull(),
    active: integer({ mode: "boolean" }).notNull().default(true),
    type: text().notNull(),
    title: text().notNull(),
    target: text().notNull().default(""),
    raisedAt: integer({ mode: "timestamp_ms" }).notNull(),
    resolvedAt: integer({ mode: "timestamp_ms" }),
    acknowledgedBy: text(),
    /** The condition's identity (type + what it is about): one active alert per key. */
    key: text().notNull().default(""),
    detail: text().notNull().default(""),
    recommendedAction: text().notNull().default(""),
    dataSourceId: integer(),
    groupId: integer(),
    computerId: integer(),
    acknowledgedAt: integer({ mode: "timestamp_ms" }),
    /** Who ended it: the system (the condition cleared) or a user (inactivated by hand). */
    resolvedBy: text(),
    lastSeenAt: integer({ mode: "timestamp_ms" }),
  },
  (t) => [
    index("alerts_active_idx").on(t.active, t.raisedAt),
    uniqueIndex("alerts_active_key_unique").on(t.key).where(sql`${t.active} = 1`),
    index("alerts_source_idx").on(t.dataSourceId, t.active),
  ],
);
