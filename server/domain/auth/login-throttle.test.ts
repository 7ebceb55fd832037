import { describe, expect, it } from "vitest";
import { DomainError } from "../errors";
import { LoginThrottle } from "./login-throttle";

const OPTIONS = { perAccount: 3, perAddress: 5, windowSeconds: 60 };

async function thrown(p: Promise<unknown>): Promise<DomainError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(DomainError);
    return err as DomainError;
  }
  throw new Error("expected the attempt to be throttled");
}

describe("LoginThrottle", () => {
  it("allows attempts until the per-account limit, then throws THROTTLED with a retry time", async () => {
    const t = new LoginThrottle(OPTIONS);
    for (let i = 0; i < OPTIONS.perAccount; i++) {
      await expect(t.assertAllowed("alice", "10.0.0.1")).resolves.toBeUndefined();
      await t.recordFailure("alice", "10.0.0.1");
    }
    const err = await thrown(t.assertAllowed("alice", "10.0.0.1"));
    expect(err.code).toBe("THROTTLED");
    expect(err.subject).toBe("alice");
    expect(err.retryAfterSeconds).toBeGreaterThan(0);
    expect(err.retryAfterSeconds).toBeLessThanOrEqual(OPTIONS.windowSeconds);
    expect(err.message).toMatch(/Try again in \d+ seconds/);
    // the account is blocked from any address, not only the one that failed
    expect((await thrown(t.assertAllowed("alice", "10.0.0.2"))).code).toBe("THROTTLED");
  });

  it("does not count successful checks, only failures", async () => {
    const t = new LoginThrottle(OPTIONS);
    for (let i = 0; i < 10; i++) await t.assertAllowed("bob", "10.0.0.1");
    await t.recordFailure("bob", "10.0.0.1");
    await expect(t.assertAllowed("bob", "10.0.0.1")).resolves.toBeUndefined();
  });

  it("a success clears the account's counter", async () => {
    const t = new LoginThrottle(OPTIONS);
    for (let i = 0; i < OPTIONS.perAccount - 1; i++) await t.recordFailure("carol", `10.0.1.${i}`);
    await t.recordSuccess("carol");
    // without the reset, these would bring the account to perAccount + 1 failures
    for (let i = 0; i < OPTIONS.perAccount - 1; i++) await t.recordFailure("carol", `10.0.2.${i}`);
    await expect(t.assertAllowed("carol", "10.0.3.1")).resolves.toBeUndefined();

    await t.recordFailure("carol", "10.0.4.1");
    await expect(t.assertAllowed("carol", "10.0.3.1")).rejects.toMatchObject({ code: "THROTTLED" });
    await t.recordSuccess("CAROL"); // case-insensitive here too
    await expect(t.assertAllowed("carol", "10.0.3.1")).resolves.toBeUndefined();
  });

  it("counts the account case-insensitively", async () => {
    const t = new LoginThrottle(OPTIONS);
    await t.recordFailure("Dave", "10.0.0.1");
    await t.recordFailure("DAVE", "10.0.0.2");
    await t.recordFailure("dave", "10.0.0.3");
    await expect(t.assertAllowed("dAvE", "10.0.0.4")).rejects.toMatchObject({ code: "THROTTLED" });
    await expect(t.assertAllowed("dave", "10.0.0.4")).rejects.toMatchObject({ code: "THROTTLED" });
  });

  it("the per-address limit blocks other user names from the same address, not other addresses", async () => {
    const t = new LoginThrottle(OPTIONS);
    for (let i = 0; i < OPTIONS.perAddress; i++) {
      await expect(t.assertAllowed(`user${i}`, "192.0.2.7")).resolves.toBeUndefined();
      await t.recordFailure(`user${i}`, "192.0.2.7"); // one failure each: no account is at its limit
    }
    const err = await thrown(t.assertAllowed("someone-else", "192.0.2.7"));
    expect(err.code).toBe("THROTTLED");
    expect(err.retryAfterSeconds).toBeGreaterThan(0);
    await expect(t.assertAllowed("someone-else", "192.0.2.8")).resolves.toBeUndefined();
    await expect(t.assertAllowed("user0", "192.0.2.8")).resolves.toBeUndefined();
    // a success clears the account only, not the address
    await t.recordSuccess("user0");
    await expect(t.assertAllowed("user0", "192.0.2.7")).rejects.toMatchObject({ code: "THROTTLED" });
  });

  it("instances do not share counts", async () => {
    const a = new LoginThrottle(OPTIONS);
    const b = new LoginThrottle(OPTIONS);
    for (let i = 0; i < OPTIONS.perAccount; i++) await a.recordFailure("erin", "10.0.0.1");
    await expect(a.assertAllowed("erin", "10.0.0.9")).rejects.toMatchObject({ code: "THROTTLED" });
    await expect(b.assertAllowed("erin", "10.0.0.1")).resolves.toBeUndefined();
  });
});
