import { sqliteTable, text, integer, index, uniqueIndex } from "drizzle-orm/sqlite-core";

/** The four roles of SPEC §1 (DPM 2012's operation-level roles). */
export const ROLES = ["admin", "manager", "helpdesk", "tape"] as const;
export type Role = (typeof ROLES)[number];

export const users = sqliteTable(
  "users",
  {
    id: integer().primaryKey({ autoIncrement: true }),
    username: text().notNull(),
    displayName: text().notNull().default(""),
    role: text({ enum: ROLES }).notNull(),
    /** argon2id PHC string; never leaves the domain layer. */
    passwordHash: text().notNull(),
    disabled: integer({ mode: "boolean" }).notNull().default(false),
    /** Set when an admin resets the password: the user must choose a new one at next login. */
    mustChangePassword: integer({ mode: "boolean" }).notNull().default(false),
    createdAt: integer({ mode: "timestamp_ms" }).notNull(),
    updatedAt: integer({ mode: "timestamp_ms" }).notNull(),
    lastLoginAt: integer({ mode: "timestamp_ms" }),
  },
  (t) => [uniqueIndex("users_username_unique").on(t.username)],
);

/**
 * Server-side sessions. The cookie carries a sealed random token; the row is keyed by the
 * token's SHA-256 so a leaked catalog does not leak live sessions. Disabling a user or
 * resetting a password deletes the user's rows, which ends the sessions at once.
 */
export const sessions = sqliteTable(
  "sessions",
  {
    id: text().primaryKey(),
    userId: integer()
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    createdAt: integer({ mode: "timestamp_ms" }).notNull(),
    expiresAt: integer({ mode: "timestamp_ms" }).notNull(),
    lastSeenAt: integer({ mode: "timestamp_ms" }).notNull(),
    clientAddress: text().notNull().default(""),
    userAgent: text().notNull().default(""),
  },
  (t) => [index("sessions_user_idx").on(t.userId)],
);
