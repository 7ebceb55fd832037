import { and, asc, count, eq } from "drizzle-orm";
import type { CatalogDb } from "@/db/client";
import { users, type Role } from "@/db/schema";
import type { Services } from "@/server/services";
import { DomainError } from "../errors";
import { hashPassword, generatePassword } from "../auth/passwords";
import { deleteUserSessions } from "../auth/sessions";
import { refuseUserChange } from "./user-rules";

const userColumns = {
  id: users.id,
  username: users.username,
  displayName: users.displayName,
  role: users.role,
  disabled: users.disabled,
  mustChangePassword: users.mustChangePassword,
  createdAt: users.createdAt,
  lastLoginAt: users.lastLoginAt,
};

export function listUsers(db: CatalogDb) {
  return db.select(userColumns).from(users).orderBy(asc(users.username)).all();
}

export function countUsers(db: CatalogDb): number {
  return db.select({ n: count() }).from(users).get()?.n ?? 0;
}

function getUser(db: CatalogDb, id: number) {
  const u = db.select(userColumns).from(users).where(eq(users.id, id)).get();
  if (!u) throw new DomainError("NOT_FOUND", `There is no user with id ${id}.`, String(id));
  return u;
}

function countEnabledAdmins(db: CatalogDb): number {
  return (
    db
      .select({ n: count() })
      .from(users)
      .where(and(eq(users.role, "admin"), eq(users.disabled, false)))
      .get()?.n ?? 0
  );
}

export interface CreateUserOptions {
  username: string;
  displayName?: string;
  role: Role;
  password: string;
  mustChangePassword?: boolean;
}

/** Inserts a user inside `db` (a transaction when the caller needs one); the hash is computed by the caller. */
export function insertUser(db: CatalogDb, now: Date, o: Omit<CreateUserOptions, "password"> & { passwordHash: string }) {
  const existing = db.select({ id: users.id }).from(users).where(eq(users.username, o.username)).get();
  if (existing) {
    throw new DomainError("CONFLICT", `The user name "${o.username}" is taken.`, o.username, {
      username: ["This user name is taken."],
    });
  }
  const row = db
    .insert(users)
    .values({
      username: o.username,
      displayName: o.displayName ?? "",
      role: o.role,
      passwordHash: o.passwordHash,
      mustChangePassword: o.mustChangePassword ?? false,
      createdAt: now,
      updatedAt: now,
    })
    .returning({ id: users.id })
    .get();
  return { id: row.id, username: o.username, role: o.role };
}

export async function createUser(s: Pick<Services, "db" | "clock">, o: CreateUserOptions) {
  const passwordHash = await hashPassword(o.password);
  return insertUser(s.db, s.clock.now(), { ...o, passwordHash });
}

export interface UpdateUserOptions {
  actorId: number;
  id: number;
  role?: Role;
  disabled?: boolean;
  displayName?: string;
}

export function updateUser(s: Pick<Services, "db" | "clock">, o: UpdateUserOptions) {
  // Check and write in one transaction so two admins cannot each demote "the other last admin".
  return s.db.transaction((tx) => {
    const target = getUser(tx, o.id);
    const refusal = refuseUserChange(o.actorId, target, o, countEnabledAdmins(tx));
    if (refusal) throw new DomainError("PRECONDITION", refusal, target.username);
    tx.update(users)
      .set({
        ...(o.role !== undefined && { role: o.role }),
        ...(o.disabled !== undefined && { disabled: o.disabled }),
        ...(o.displayName !== undefined && { displayName: o.displayName }),
        updatedAt: s.clock.now(),
      })
      .where(eq(users.id, o.id))
      .run();
    // A disabled user or a changed role must not keep a session carrying the old rights.
    if (o.disabled === true || (o.role !== undefined && o.role !== target.role)) deleteUserSessions(tx, o.id);
    return { id: o.id, username: target.username };
  });
}

/**
 * Sets a new random password that the user must change at next sign-in, and ends the
 * user's sessions. Returns the password once, for the admin to hand over.
 */
export async function resetPassword(s: Pick<Services, "db" | "clock">, o: { id: number }) {
  const target = getUser(s.db, o.id);
  const password = generatePassword();
  const passwordHash = await hashPassword(password);
  s.db.transaction((tx) => {
    tx.update(users)
      .set({ passwordHash, mustChangePassword: true, updatedAt: s.clock.now() })
      .where(eq(users.id, o.id))
      .run();
    deleteUserSessions(tx, o.id);
  });
  return { id: o.id, username: target.username, temporaryPassword: password };
}
