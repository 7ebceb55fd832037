import { expect, test } from "@playwright/test";
import { EMPTY_PORT } from "./playwright.config";

test.use({ baseURL: `http://127.0.0.1:${EMPTY_PORT}` });

test("the first visitor of an empty catalog creates the first admin", async ({ page }) => {
  await page.goto("/");
  await expect(page).toHaveURL(/\/setup$/);
  await expect(page.getByRole("heading", { name: "Set up Custodian" })).toBeVisible();

  // Bad input: the server's messages appear next to each field.
  await page.getByLabel("User name").fill("Not Valid!");
  await page.getByLabel("Password", { exact: true }).fill("short");
  await page.getByLabel("Confirm password").fill("short");
  await page.getByRole("button", { name: "Create administrator" }).click();
  await expect(page.getByText(/2–32 characters/)).toBeVisible();
  await expect(page.getByText("At least 10 characters.")).toBeVisible();

  await page.getByLabel("User name").fill("root-admin");
  await page.getByLabel("Password", { exact: true }).fill("first admin password");
  await page.getByLabel("Confirm password").fill("first admin password");
  await page.getByRole("button", { name: "Create administrator" }).click();
  await expect(page).toHaveURL(/\/login/);
  await expect(page.getByRole("heading", { name: "Sign in" })).toBeVisible();

  await page.getByLabel("User name").fill("root-admin");
  await page.getByLabel("Password").fill("first admin password");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByTestId("current-user")).toContainText("root-admin");
  await expect(page.getByRole("heading", { level: 1, name: "Alerts" })).toBeVisible();

  // Once set up, the setup page is closed.
  await page.goto("/setup");
  await expect(page).toHaveURL(/\/login/);
});
