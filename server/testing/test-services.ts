import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { randomUUID } from "node:crypto";
import pino from "pino";
import { ProtectionRuntime } from "@/server/protection-runtime";
import { TRPCError } from "@trpc/server";
import { openCatalog } from "@/db/client";
import type { Services } from "@/server/services";
import { DomainError } from "@/server/domain/errors";
import { createJobRunner } from "@/server/composition";
import { fixedClock } from "@/server/domain/clock";
import { LoginThrottle, type LoginThrottleOptions } from "@/server/domain/auth/login-throttle";
import { createCaller } from "@/server/api/root";
import type { Context, SessionCookie } from "@/server/api/trpc";
import { resolveSession, type SessionUser } from "@/server/domain/auth/sessions";
import { createUser } from "@/server/domain/users/manage-users";
import type { Role } from "@/db/schema";

/**
 * Services on a fresh, migrated in-memory catalog with a fixed clock: what router and domain
 * tests run on. `onDisk` puts the catalog in the data folder instead (for what snapshots it).
 */
export function createTestServices(o: { loginThrottle?: LoginThrottleOptions; now?: string; onDisk?: boolean } = {}) {
  const clock = fixedClock(o.now ?? "2026-11-24T12:00:00Z");
  const protection = new ProtectionRuntime(path.join(os.tmpdir(), `custodian-test-${process.pid}-${randomUUID()}`));
  if (o.onDisk) fs.mkdirSync(protection.dataDir, { recursive: true });
  const services = {
    db: openCatalog(o.onDisk ? protection.catalogFile : ":memory:"),
    clock,
    log: pino({ level: "silent" }),
    loginThrottle: new LoginThrottle(o.loginThrottle),
    serverName: "test-server",
    // A pool in a temp folder, made only if a test uses it.
    protection,
  } as Omit<Services, "jobs"> as Services;
  services.jobs = createJobRunner(services);
  return { services, clock };
}

/** A cookie jar in memory, standing in for the browser between calls. */
export class MemoryCookie implements SessionCookie {
  token: string | null = null;
  async set(token: string) {
    this.token = token;
  }
  clear() {
    this.token = null;
  }
}

/** A tRPC caller as the holder of `cookie` (resolving its session like the HTTP layer does). */
export function callerFor(services: Services, cookie: MemoryCookie = new MemoryCookie(), clientAddress = "127.0.0.1") {
  const user: SessionUser | null = cookie.token ? resolveSession(services.db, cookie.token, services.clock.now()) : null;
  const ctx: Context = { services, user, clientAddress, userAgent: "vitest", session: cookie };
  return createCaller(ctx);
}

export const TEST_PASSWORD = "correct horse battery";

/** Creates a user with `role` and returns a caller signed in as them. */
export async function signedInAs(services: Services, role: Role, username: string = role) {
  await createUser(services, { username, role, password: TEST_PASSWORD });
  const cookie = new MemoryCookie();
  await callerFor(services, cookie).auth.login({ username, password: TEST_PASSWORD });
  return { cookie, caller: () => callerFor(services, cookie) };
}

/** The TRPCError a call fails with; fails the test if the call succeeds. */
export async function errorOf(p: Promise<unknown>): Promise<TRPCError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof TRPCError) return err;
    throw err;
  }
  throw new Error("expected the call to fail");
}

/** The DomainError a synchronous domain call throws; fails the test if it returns. */
export function domainErrorOf(fn: () => unknown): DomainError {
  try {
    fn();
  } catch (err) {
    if (err instanceof DomainError) return err;
    throw err;
  }
  throw new Error("expected a DomainError");
}
