import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { eq } from "drizzle-orm";
import { sessions, users } from "@/db/schema";
import { createTestServices } from "@/server/testing/test-services";
import { createUser } from "@/server/domain/users/manage-users";
import {
  createSession,
  deleteSession,
  deleteUserSessions,
  purgeExpiredSessions,
  resolveSession,
  SESSION_IDLE_MS,
  SESSION_MAX_MS,
} from "./sessions";

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

async function setUp(username = "alice") {
  const { services, clock } = createTestServices();
  const user = await createUser(services, { username, role: "manager", password: "pw-1234567890" });
  const open = (userId = user.id) =>
    createSession(services.db, { userId, now: clock.now(), clientAddress: "10.0.0.1", userAgent: "vitest" });
  const resolve = (token: string) => resolveSession(services.db, token, clock.now());
  return { services, clock, db: services.db, user, open, resolve };
}

describe("sessions", () => {
  it("a new session resolves to its user", async () => {
    const { user, open, resolve } = await setUp();
    const token = open();
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/); // 32 random bytes, base64url
    expect(resolve(token)).toEqual({
      id: user.id,
      username: "alice",
      displayName: "",
      role: "manager",
      mustChangePassword: false,
    });
    expect(resolve(token + "x")).toBeNull();
    expect(resolve("")).toBeNull();
  });

  it("tokens are unique per session", async () => {
    const { open, resolve, user } = await setUp();
    const a = open();
    const b = open();
    expect(a).not.toBe(b);
    expect(resolve(a)?.id).toBe(user.id);
    expect(resolve(b)?.id).toBe(user.id);
  });

  it("stores only the SHA-256 of the token, never the token", async () => {
    const { db, open, clock } = await setUp();
    const token = open();
    const rows = db.select().from(sessions).all();
    expect(rows).toHaveLength(1);
    const row = rows[0]!;
    expect(row.id).toBe(createHash("sha256").update(token).digest("hex"));
    expect(row.id).not.toBe(token);
    expect(row.expiresAt.getTime()).toBe(clock.now().getTime() + SESSION_IDLE_MS);
    // the token appears nowhere in the sessions table
    const raw = db.$client.prepare("SELECT * FROM sessions").all() as Record<string, unknown>[];
    expect(JSON.stringify(raw)).not.toContain(token);
  });

  it("expires after SESSION_IDLE_MS without activity", async () => {
    const { clock, open, resolve } = await setUp();
    const token = open();
    clock.advance(SESSION_IDLE_MS);
    expect(resolve(token)).toBeNull(); // expiresAt == now counts as expired
    clock.advance(-SESSION_IDLE_MS); // back in time, the row is still there: expiry is not deletion
    expect(resolve(token)).not.toBeNull();
  });

  it("is still valid just before the idle limit, and gone just after", async () => {
    const a = await setUp();
    const t1 = a.open();
    a.clock.advance(SESSION_IDLE_MS - 1);
    expect(a.resolve(t1)).not.toBeNull();

    const b = await setUp();
    const t2 = b.open();
    b.clock.advance(SESSION_IDLE_MS + 1);
    expect(b.resolve(t2)).toBeNull();
  });

  it("activity extends the session (the touch happens after more than a minute)", async () => {
    const { clock, open, resolve, db } = await setUp();
    const token = open();
    const created = clock.now().getTime();

    clock.advance(30_000); // within a minute: no write
    expect(resolve(token)).not.toBeNull();
    expect(db.select().from(sessions).get()!.lastSeenAt.getTime()).toBe(created);

    clock.advance(2 * MINUTE); // now more than a minute since lastSeen: touched
    expect(resolve(token)).not.toBeNull();
    const touched = db.select().from(sessions).get()!;
    expect(touched.lastSeenAt.getTime()).toBe(clock.now().getTime());
    expect(touched.expiresAt.getTime()).toBe(clock.now().getTime() + SESSION_IDLE_MS);

    // past the original idle deadline, but within the extended one
    clock.set(new Date(created + SESSION_IDLE_MS + MINUTE));
    expect(resolve(token)).not.toBeNull();
  });

  it("ends SESSION_MAX_MS after sign-in even when kept active", async () => {
    const { clock, open, resolve, db } = await setUp();
    const token = open();
    const created = clock.now().getTime();
    const step = SESSION_IDLE_MS - HOUR;
    while (clock.now().getTime() + step <= created + SESSION_MAX_MS) {
      clock.advance(step);
      expect(resolve(token)).not.toBeNull();
    }
    clock.set(new Date(created + SESSION_MAX_MS));
    expect(resolve(token)).not.toBeNull(); // exactly at the limit: still in
    clock.advance(1);
    expect(resolve(token)).toBeNull();
    expect(db.select().from(sessions).all()).toHaveLength(0); // and the row is deleted
  });

  it("a disabled user's sessions do not resolve", async () => {
    const { db, user, open, resolve } = await setUp();
    const token = open();
    db.update(users).set({ disabled: true }).where(eq(users.id, user.id)).run();
    expect(resolve(token)).toBeNull();
    db.update(users).set({ disabled: false }).where(eq(users.id, user.id)).run();
    expect(resolve(token)).not.toBeNull();
  });

  it("deleteSession ends one session; deleteUserSessions ends all of one user's", async () => {
    const { services, db, user, open, resolve } = await setUp();
    const bob = await createUser(services, { username: "bob", role: "helpdesk", password: "pw-1234567890" });
    const a1 = open();
    const a2 = open();
    const a3 = open();
    const b1 = open(bob.id);

    deleteSession(db, a1);
    expect(resolve(a1)).toBeNull();
    expect(resolve(a2)).not.toBeNull();

    deleteUserSessions(db, user.id);
    expect(resolve(a2)).toBeNull();
    expect(resolve(a3)).toBeNull();
    expect(resolve(b1)?.username).toBe("bob");
    expect(db.select().from(sessions).all().map((s) => s.userId)).toEqual([bob.id]);
  });

  it("purgeExpiredSessions deletes expired rows only and returns how many", async () => {
    const { db, clock, open, resolve } = await setUp();
    open();
    open();
    clock.advance(2 * HOUR);
    const fresh = open();
    clock.advance(SESSION_IDLE_MS - HOUR); // the first two are past their deadline, the third is not
    expect(purgeExpiredSessions(db, clock.now())).toBe(2);
    expect(db.select().from(sessions).all()).toHaveLength(1);
    expect(resolve(fresh)).not.toBeNull();
    expect(purgeExpiredSessions(db, clock.now())).toBe(0);
  });

  it("truncates long client address and user agent", async () => {
    const { db, clock, user } = await setUp();
    createSession(db, { userId: user.id, now: clock.now(), clientAddress: "a".repeat(500), userAgent: "u".repeat(1000) });
    const row = db.select().from(sessions).get()!;
    expect(row.clientAddress).toHaveLength(100);
    expect(row.userAgent).toHaveLength(300);
  });
});
