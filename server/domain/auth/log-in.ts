import { eq } from "drizzle-orm";
import { users } from "@/db/schema";
import type { Services } from "@/server/services";
import { DomainError } from "../errors";
import { recordAuditEvent } from "../audit/record-audit-event";
import { dummyPasswordHash, verifyPassword } from "./passwords";
import { createSession, type SessionUser } from "./sessions";

export interface LogInOptions {
  username: string;
  password: string;
  clientAddress: string;
  userAgent: string;
}

const BAD_CREDENTIALS = "Unknown user name or wrong password.";

/**
 * Checks the throttle, then the credentials; records the attempt in the audit log whatever
 * the outcome. Unknown users and wrong passwords get the same message and the same cost.
 */
export async function logIn(s: Services, o: LogInOptions): Promise<{ token: string; user: SessionUser }> {
  const audit = (outcome: "ok" | "failed" | "denied", detail: string, userId?: number) =>
    recordAuditEvent(s.db, {
      at: s.clock.now(),
      userId,
      username: o.username,
      action: "auth.login",
      target: o.username,
      outcome,
      detail,
      clientAddress: o.clientAddress,
    });

  try {
    await s.loginThrottle.assertAllowed(o.username, o.clientAddress);
  } catch (err) {
    audit("denied", "throttled: too many failed attempts");
    throw err;
  }

  const user = s.db
    .select({
      id: users.id,
      username: users.username,
      displayName: users.displayName,
      role: users.role,
      mustChangePassword: users.mustChangePassword,
      disabled: users.disabled,
      passwordHash: users.passwordHash,
    })
    .from(users)
    .where(eq(users.username, o.username))
    .get();

  const ok = await verifyPassword(user?.passwordHash ?? (await dummyPasswordHash()), o.password);
  if (!user || !ok || user.disabled) {
    await s.loginThrottle.recordFailure(o.username, o.clientAddress);
    audit("failed", !user ? "unknown user" : user.disabled && ok ? "account disabled" : "wrong password", user?.id);
    throw new DomainError(
      "UNAUTHENTICATED",
      user?.disabled && ok ? "This account is disabled. Ask an administrator." : BAD_CREDENTIALS,
      o.username,
    );
  }

  await s.loginThrottle.recordSuccess(o.username);
  const now = s.clock.now();
  s.db.update(users).set({ lastLoginAt: now }).where(eq(users.id, user.id)).run();
  const token = createSession(s.db, { userId: user.id, now, clientAddress: o.clientAddress, userAgent: o.userAgent });
  audit("ok", "signed in", user.id);
  const { passwordHash: _h, disabled: _d, ...sessionUser } = user;
  return { token, user: sessionUser };
}
