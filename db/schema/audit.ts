import { sqliteTable, text, integer, index } from "drizzle-orm/sqlite-core";

export const AUDIT_OUTCOMES = ["ok", "denied", "failed", "error"] as const;
export type AuditOutcome = (typeof AUDIT_OUTCOMES)[number];

/**
 * Append-only record of every mutation and every login attempt (SPEC §1).
 * `username` is copied, not joined, so the trail survives renames and the
 * failed logins of names that do not exist.
 */
export const auditEvents = sqliteTable(
  "audit_events",
  {
    id: integer().primaryKey({ autoIncrement: true }),
    at: integer({ mode: "timestamp_ms" }).notNull(),
    userId: integer(),
    username: text().notNull().default(""),
    action: text().notNull(),
    target: text().notNull().default(""),
    outcome: text({ enum: AUDIT_OUTCOMES }).notNull(),
    detail: text().notNull().default(""),
    clientAddress: text().notNull().default(""),
  },
  (t) => [
    index("audit_at_idx").on(t.at),
    index("audit_user_idx").on(t.username, t.at),
    index("audit_action_idx").on(t.action, t.at),
  ],
);
