import { describe, expect, it } from "vitest";
import { auditEvents, sessions, users } from "@/db/schema";
import { createTestServices, callerFor, MemoryCookie, signedInAs, TEST_PASSWORD, errorOf } from "@/server/testing/test-services";

describe("first set-up", () => {
  it("creates the first admin once, then refuses", async () => {
    const { services } = createTestServices();
    const anon = callerFor(services);
    expect(await anon.auth.status()).toEqual({ serverName: "test-server", setupRequired: true });
    const admin = await anon.auth.setup({ username: "Alice", password: "a long enough password" });
    expect(admin).toMatchObject({ username: "alice", role: "admin" });
    expect((await anon.auth.status()).setupRequired).toBe(false);
    const again = await errorOf(anon.auth.setup({ username: "mallory", password: "another long password" }));
    expect(again.code).toBe("PRECONDITION_FAILED");
    expect(services.db.select().from(users).all().map((u) => u.username)).toEqual(["alice"]);
  });

  it("rejects bad input per field without creating anything", async () => {
    const { services } = createTestServices();
    const err = await errorOf(callerFor(services).auth.setup({ username: "no spaces allowed", password: "short" }));
    expect(err.code).toBe("BAD_REQUEST");
    expect(services.db.select().from(users).all()).toHaveLength(0);
  });
});

describe("sign-in and sessions", () => {
  it("signs in, identifies the user, and signs out", async () => {
    const { services } = createTestServices();
    const { cookie, caller } = await signedInAs(services, "manager", "maria");
    expect(cookie.token).toBeTruthy();
    expect(await caller().auth.me()).toMatchObject({ username: "maria", role: "manager" });
    await caller().auth.logout();
    expect(cookie.token).toBeNull();
    expect(services.db.select().from(sessions).all()).toHaveLength(0);
  });

  it("gives one message for unknown users and wrong passwords, and audits both", async () => {
    const { services } = createTestServices();
    await signedInAs(services, "helpdesk", "hank");
    const anon = callerFor(services, new MemoryCookie(), "10.0.0.9");
    const wrong = await errorOf(anon.auth.login({ username: "hank", password: "not the password" }));
    const unknown = await errorOf(anon.auth.login({ username: "nobody", password: "whatever it is" }));
    expect(wrong.code).toBe("UNAUTHORIZED");
    expect(unknown.message).toBe(wrong.message);
    const failed = services.db.select().from(auditEvents).all().filter((e) => e.action === "auth.login" && e.outcome === "failed");
    expect(failed.map((e) => [e.username, e.clientAddress])).toEqual([
      ["hank", "10.0.0.9"],
      ["nobody", "10.0.0.9"],
    ]);
  });

  it("throttles repeated failures per account, even with the right password", async () => {
    const { services } = createTestServices({ loginThrottle: { perAccount: 3, perAddress: 100, windowSeconds: 900 } });
    await signedInAs(services, "tape", "tom");
    const anon = callerFor(services);
    for (let i = 0; i < 3; i++) expect((await errorOf(anon.auth.login({ username: "tom", password: "bad password" }))).code).toBe("UNAUTHORIZED");
    const blocked = await errorOf(anon.auth.login({ username: "tom", password: TEST_PASSWORD }));
    expect(blocked.code).toBe("TOO_MANY_REQUESTS");
    expect(blocked.message).toMatch(/Try again in/);
    expect(services.db.select().from(auditEvents).all().at(-1)).toMatchObject({ action: "auth.login", outcome: "denied" });
  });

  it("ends a session when its user is disabled", async () => {
    const { services } = createTestServices();
    const admin = await signedInAs(services, "admin", "ada");
    const victim = await signedInAs(services, "helpdesk", "hal");
    const id = (await admin.caller().users.list()).find((u) => u.username === "hal")!.id;
    await admin.caller().users.update({ id, disabled: true });
    expect(await victim.caller().auth.me()).toBeNull();
    expect((await errorOf(victim.caller().recovery.sources())).code).toBe("UNAUTHORIZED");
    const relogin = await errorOf(callerFor(services).auth.login({ username: "hal", password: TEST_PASSWORD }));
    expect(relogin.message).toMatch(/disabled/);
  });
});

describe("password reset", () => {
  it("forces the user to choose a new password before anything else", async () => {
    const { services } = createTestServices();
    const admin = await signedInAs(services, "admin", "ada");
    const user = await signedInAs(services, "helpdesk", "hal");
    const id = (await admin.caller().users.list()).find((u) => u.username === "hal")!.id;
    const { temporaryPassword } = await admin.caller().users.resetPassword({ id });
    expect(await user.caller().auth.me()).toBeNull(); // old session ended

    const cookie = new MemoryCookie();
    const loggedIn = await callerFor(services, cookie).auth.login({ username: "hal", password: temporaryPassword });
    expect(loggedIn.mustChangePassword).toBe(true);
    expect((await errorOf(callerFor(services, cookie).recovery.sources())).code).toBe("FORBIDDEN");

    const wrong = await errorOf(callerFor(services, cookie).auth.changePassword({ currentPassword: "nope", newPassword: "a brand new password" }));
    expect(wrong.code).toBe("BAD_REQUEST");
    await callerFor(services, cookie).auth.changePassword({ currentPassword: temporaryPassword, newPassword: "a brand new password" });
    expect(await callerFor(services, cookie).recovery.sources()).toEqual([]);
  });
});
