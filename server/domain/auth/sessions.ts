import { createHash, randomBytes } from "node:crypto";
import { and, eq, gt, lt } from "drizzle-orm";
import type { CatalogDb } from "@/db/client";
import { sessions, users, type Role } from "@/db/schema";

/** A session ends after this long without a request. */
export const SESSION_IDLE_MS = 8 * 60 * 60 * 1000;
/** ...and in any case this long after sign-in. */
export const SESSION_MAX_MS = 7 * 24 * 60 * 60 * 1000;
/** lastSeen is written at most this often, so reads do not turn into writes. */
const TOUCH_EVERY_MS = 60 * 1000;

export interface SessionUser {
  id: number;
  username: string;
  displayName: string;
  role: Role;
  mustChangePassword: boolean;
}

const hashToken = (token: string) => createHash("sha256").update(token).digest("hex");

export function createSession(
  db: CatalogDb,
  o: { userId: number; now: Date; clientAddress: string; userAgent: string },
): string {
  const token = randomBytes(32).toString("base64url");
  db.insert(sessions)
    .values({
      id: hashToken(token),
      userId: o.userId,
      createdAt: o.now,
      lastSeenAt: o.now,
      expiresAt: new Date(o.now.getTime() + SESSION_IDLE_MS),
      clientAddress: o.clientAddress.slice(0, 100),
      userAgent: o.userAgent.slice(0, 300),
    })
    .run();
  return token;
}

/** The signed-in user for a session token, or null when the session is unknown, expired or its user disabled. */
export function resolveSession(db: CatalogDb, token: string, now: Date): SessionUser | null {
  const id = hashToken(token);
  const row = db
    .select({
      createdAt: sessions.createdAt,
      lastSeenAt: sessions.lastSeenAt,
      user: {
        id: users.id,
        username: users.username,
        displayName: users.displayName,
        role: users.role,
        mustChangePassword: users.mustChangePassword,
        disabled: users.disabled,
      },
    })
    .from(sessions)
    .innerJoin(users, eq(users.id, sessions.userId))
    .where(and(eq(sessions.id, id), gt(sessions.expiresAt, now)))
    .get();
  if (!row || row.user.disabled) return null;
  if (now.getTime() - row.createdAt.getTime() > SESSION_MAX_MS) {
    db.delete(sessions).where(eq(sessions.id, id)).run();
    return null;
  }
  if (now.getTime() - row.lastSeenAt.getTime() > TOUCH_EVERY_MS) {
    db.update(sessions)
      .set({ lastSeenAt: now, expiresAt: new Date(now.getTime() + SESSION_IDLE_MS) })
      .where(eq(sessions.id, id))
      .run();
  }
  const { disabled: _disabled, ...user } = row.user;
  return user;
}

export function deleteSession(db: CatalogDb, token: string): void {
  db.delete(sessions).where(eq(sessions.id, hashToken(token))).run();
}

export function deleteUserSessions(db: CatalogDb, userId: number): void {
  db.delete(sessions).where(eq(sessions.userId, userId)).run();
}

export function purgeExpiredSessions(db: CatalogDb, now: Date): number {
  return db.delete(sessions).where(lt(sessions.expiresAt, now)).run().changes;
}
