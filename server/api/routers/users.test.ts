import { describe, expect, it } from "vitest";
import { auditEvents } from "@/db/schema";
import { createTestServices, errorOf, signedInAs } from "@/server/testing/test-services";

describe("user management", () => {
  it("creates users, refuses duplicates, and audits each change", async () => {
    const { services } = createTestServices();
    const admin = (await signedInAs(services, "admin", "ada")).caller;
    const created = await admin().users.create({ username: "bob", role: "tape", password: "initial password 1" });
    expect(created).toMatchObject({ username: "bob", role: "tape" });
    const listed = (await admin().users.list()).find((u) => u.username === "bob");
    expect(listed).toMatchObject({ role: "tape", disabled: false, mustChangePassword: true });
    expect(listed).not.toHaveProperty("passwordHash");

    const dup = await errorOf(admin().users.create({ username: "bob", role: "admin", password: "initial password 2" }));
    expect(dup.code).toBe("CONFLICT");

    const trail = services.db.select().from(auditEvents).all().filter((e) => e.action === "users.create");
    expect(trail.map((e) => [e.username, e.target, e.outcome])).toEqual([
      ["ada", "bob", "ok"],
      ["ada", "bob", "failed"],
    ]);
    expect(JSON.stringify(trail)).not.toContain("initial password");
  });

  it("never leaves the server without an enabled admin", async () => {
    const { services } = createTestServices();
    const ada = await signedInAs(services, "admin", "ada");
    const list = await ada.caller().users.list();
    const adaId = list.find((u) => u.username === "ada")!.id;
    expect((await errorOf(ada.caller().users.update({ id: adaId, disabled: true }))).code).toBe("PRECONDITION_FAILED");

    // With a second admin, one admin may demote the other; the demoted admin's session ends.
    const bea = await signedInAs(services, "admin", "bea");
    await bea.caller().users.update({ id: adaId, role: "manager" });
    expect(await ada.caller().auth.me()).toBeNull();
    const beaId = (await bea.caller().users.list()).find((u) => u.username === "bea")!.id;
    expect((await errorOf(bea.caller().users.update({ id: beaId, role: "helpdesk" }))).code).toBe("PRECONDITION_FAILED");
  });

  it("refuses an empty update", async () => {
    const { services } = createTestServices();
    const admin = (await signedInAs(services, "admin", "ada")).caller;
    const id = (await admin().users.list())[0]!.id;
    expect((await errorOf(admin().users.update({ id }))).code).toBe("BAD_REQUEST");
  });

  it("reports an unknown user id as NOT_FOUND", async () => {
    const { services } = createTestServices();
    const admin = (await signedInAs(services, "admin", "ada")).caller;
    expect((await errorOf(admin().users.resetPassword({ id: 999 }))).code).toBe("NOT_FOUND");
  });
});

describe("audit log", () => {
  it("filters by user, action, outcome and time, newest first, in pages", async () => {
    const { services, clock } = createTestServices();
    const admin = (await signedInAs(services, "admin", "ada")).caller;
    const manager = (await signedInAs(services, "manager", "max")).caller;
    for (let i = 0; i < 5; i++) {
      clock.advance(60_000);
      await admin().users.create({ username: `user-${i}`, role: "helpdesk", password: "long enough password" });
    }
    const all = await manager().audit.list({ action: "users.create" });
    expect(all.events.map((e) => e.target)).toEqual(["user-4", "user-3", "user-2", "user-1", "user-0"]);

    const page1 = await manager().audit.list({ action: "users.create", limit: 2 });
    expect(page1.events.map((e) => e.target)).toEqual(["user-4", "user-3"]);
    const page2 = await manager().audit.list({ action: "users.create", limit: 2, cursor: page1.nextCursor! });
    expect(page2.events.map((e) => e.target)).toEqual(["user-2", "user-1"]);

    const t0 = all.events.at(-1)!.at;
    const windowed = await manager().audit.list({ action: "users.create", from: new Date(t0.getTime() + 1), to: new Date(t0.getTime() + 120_000) });
    expect(windowed.events.map((e) => e.target)).toEqual(["user-2", "user-1"]);

    expect((await manager().audit.list({ username: "max" })).events.map((e) => e.action)).toEqual(["auth.login"]);
    expect((await manager().audit.list({ action: "100%_" })).events).toEqual([]); // LIKE wildcards are literal
  });
});
