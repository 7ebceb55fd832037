import { expect, test } from "@playwright/test";
import { signIn, signInAs } from "./fixtures";

test("an admin adds a user who must then choose a new password; managers read the audit trail", async ({ page, browser }) => {
  await signInAs(page, "admin");
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Users" }).click();
  const form = page.getByRole("form", { name: "Add a user" });

  await form.getByLabel("User name").fill("x");
  await form.getByLabel("Initial password").fill("short");
  await form.getByRole("button", { name: "Add user" }).click();
  await expect(form.getByText(/2–32 characters/)).toBeVisible();
  await expect(form.getByText("At least 10 characters.")).toBeVisible();

  await form.getByLabel("User name").fill("new-operator");
  await form.getByLabel("Role").selectOption("tape");
  await form.getByLabel("Initial password").fill("initial password");
  await form.getByRole("button", { name: "Add user" }).click();
  await expect(page.getByText("User new-operator added.")).toBeVisible();
  await expect(page.getByRole("table", { name: "Users" })).toContainText("new-operator");

  const newcomer = await browser.newPage();
  await signIn(newcomer, "new-operator", "initial password");
  await expect(newcomer).toHaveURL(/\/change-password$/);
  await newcomer.getByLabel("Current password").fill("initial password");
  await newcomer.getByLabel("New password", { exact: true }).fill("my own password");
  await newcomer.getByLabel("Confirm new password").fill("my own password");
  await newcomer.getByRole("button", { name: "Change password" }).click();
  await expect(newcomer).toHaveURL(/\/tape$/);
  await newcomer.close();

  const manager = await browser.newPage();
  await signInAs(manager, "manager");
  await manager.goto("/settings/audit");
  await manager.getByLabel("Action contains").fill("users.create");
  const rows = manager.getByRole("table", { name: "Audit events" }).getByRole("row");
  await expect(rows.filter({ hasText: "new-operator" }).filter({ hasText: "ok" })).toHaveCount(1);
  // Managers read users but cannot change them: no actions, no form.
  await manager.goto("/settings/users");
  await expect(manager.getByRole("table", { name: "Users" })).toBeVisible();
  await expect(manager.getByRole("button", { name: /Reset password/ })).toHaveCount(0);
  await expect(manager.getByRole("form", { name: "Add a user" })).toHaveCount(0);
  await manager.close();
});
