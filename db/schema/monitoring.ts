import { sqliteTable, text, integer, index } from "drizzle-orm/sqlite-core";

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
  },
  (t) => [index("jobs_state_idx").on(t.state, t.createdAt), index("jobs_created_idx").on(t.createdAt)],
);

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
  },
  (t) => [index("alerts_active_idx").on(t.active, t.raisedAt)],
);
