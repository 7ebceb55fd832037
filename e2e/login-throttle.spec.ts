import { expect, test } from "@playwright/test";
import { signIn, signInAs, trpc } from "./fixtures";

test("repeated bad sign-ins are throttled, even when the right password follows", async ({ page, browser }) => {
  const admin = await browser.newPage();
  await signInAs(admin, "admin");
  const created = await trpc(admin.request, "users.create", { username: "throttle-me", role: "manager", password: "the right password", mustChangePassword: false });
  expect(created.status).toBe(200);
  await admin.close();

  for (let i = 0; i < 5; i++) {
    await signIn(page, "throttle-me", `wrong password ${i}`);
    await expect(page.locator("form").getByRole("alert")).toHaveText("Unknown user name or wrong password.");
  }
  await signIn(page, "throttle-me", "the right password");
  await expect(page.locator("form").getByRole("alert")).toContainText("Too many failed sign-in attempts");
  await expect(page).toHaveURL(/\/login/);
});
