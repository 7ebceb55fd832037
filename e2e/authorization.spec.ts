import { expect, test } from "@playwright/test";
import { signInAs, trpc } from "./fixtures";

test("a help-desk user's direct call to an admin procedure is FORBIDDEN and changes nothing", async ({ page, browser }) => {
  const admin = await browser.newPage();
  await signInAs(admin, "admin");
  const before = await trpc(admin.request, "users.list", undefined, "query");
  expect(before.status).toBe(200);

  await signInAs(page, "helpdesk");
  for (const [procedure, input] of [
    ["users.create", { username: "intruder", role: "admin", password: "0123456789abcdef" }],
    ["users.update", { id: 1, role: "helpdesk" }],
    ["users.resetPassword", { id: 1 }],
  ] as const) {
    const res = await trpc(page.request, procedure, input);
    expect(res.status, procedure).toBe(403);
    expect(res.error?.data.code).toBe("FORBIDDEN");
  }
  const auditRead = await trpc(page.request, "audit.list", {}, "query");
  expect(auditRead.status).toBe(403);

  // Signing in touched the help-desk user's last-sign-in time; nothing else may differ.
  type UserRow = { id: number; username: string; role: string; disabled: boolean; mustChangePassword: boolean; displayName: string };
  const essentials = (rows: unknown) => (rows as UserRow[]).map(({ id, username, role, disabled, mustChangePassword, displayName }) => ({ id, username, role, disabled, mustChangePassword, displayName }));
  const after = await trpc(admin.request, "users.list", undefined, "query");
  expect(essentials(after.data)).toEqual(essentials(before.data));
  expect((after.data as UserRow[]).map((u) => u.username)).not.toContain("intruder");

  // The refused attempts are in the audit trail, from the help-desk user.
  const trail = await trpc(admin.request, "audit.list", { username: "helpdesk", outcome: "denied" }, "query");
  const actions = (trail.data as { events: { action: string }[] }).events.map((e) => e.action);
  expect(actions).toEqual(expect.arrayContaining(["users.create", "users.update", "users.resetPassword"]));
  await admin.close();
});
