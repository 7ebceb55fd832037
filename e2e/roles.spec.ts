import { expect, test } from "@playwright/test";
import { signInAs, type Role } from "./fixtures";

const EXPECTED: Record<Role, { home: RegExp; heading: string; nav: string[] }> = {
  admin: {
    home: /\/monitoring\/alerts$/,
    heading: "Alerts",
    nav: ["Alerts", "Jobs", "Protection groups", "Recovery points", "Servers", "Tape library", "Reports", "Users", "Audit log"],
  },
  manager: {
    home: /\/reports$/,
    heading: "Reports",
    nav: ["Alerts", "Jobs", "Protection groups", "Recovery points", "Servers", "Tape library", "Reports", "Users", "Audit log"],
  },
  helpdesk: { home: /\/recovery$/, heading: "Recovery", nav: ["Jobs", "Recovery points"] },
  tape: { home: /\/tape$/, heading: "Tape library", nav: ["Jobs", "Tape library"] },
};

for (const [role, want] of Object.entries(EXPECTED) as [Role, (typeof EXPECTED)[Role]][]) {
  test(`${role} signs in, lands on its home and sees only its navigation`, async ({ page }) => {
    await signInAs(page, role);
    await expect(page).toHaveURL(want.home);
    await expect(page.getByRole("heading", { level: 1, name: want.heading })).toBeVisible();
    await expect(page.getByRole("navigation", { name: "Main" }).getByRole("link")).toHaveText(want.nav);
    // Every page it can reach renders real (empty) catalog data, with a next step, and no error.
    for (const link of await page.getByRole("navigation", { name: "Main" }).getByRole("link").all()) {
      await link.click();
      await expect(page.locator("main h1")).toBeVisible();
      await expect(page.locator("main").getByRole("alert")).toHaveCount(0);
    }
    await page.getByRole("button", { name: "Sign out" }).click();
    await expect(page).toHaveURL(/\/login/);
  });
}

test("a page outside the role says so instead of showing it", async ({ page }) => {
  await signInAs(page, "helpdesk");
  await page.goto("/settings/users");
  await expect(page.getByText("This page is not part of your role")).toBeVisible();
  await expect(page.getByRole("table", { name: "Users" })).toHaveCount(0);
});

test("signed-out visitors are sent to sign in, and come back where they were going", async ({ page }) => {
  await page.goto("/tape");
  await expect(page).toHaveURL(/\/login\?next=%2Ftape/);
  await expect(page.getByRole("heading", { name: "Sign in" })).toBeVisible();
  await page.getByLabel("User name").fill("tape");
  const { demoPassword } = await import("./fixtures");
  await page.getByLabel("Password").fill(demoPassword("tape"));
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/tape$/);
});

test("unknown pages get a 404 page", async ({ page }) => {
  const res = await page.goto("/this/does/not/exist");
  expect(res?.status()).toBe(404);
  await expect(page.getByRole("heading", { name: "This page does not exist" })).toBeVisible();
});
