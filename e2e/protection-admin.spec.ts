import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect, test, type Page } from "@playwright/test";
import { signInAs } from "./fixtures";
import { SPARE_PORT } from "./playwright.config";

// A real protection agent on SPARE_PORT with a small folder, paired and protected through the
// browser as the demo admin; the initial replica runs for real on the demo server.
const ROOT = path.join(import.meta.dirname, "..");
const COMPUTER = "e2e-workstation";
const GROUP = "E2E Projects";
let agent: ChildProcess | null = null;
let tmp = "";
let agentInfo: { url: string; token: string };

function startAgent(): Promise<{ url: string; token: string }> {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "custodian-e2e-agent-"));
  const folder = path.join(tmp, "projects");
  fs.mkdirSync(path.join(folder, "plans"), { recursive: true });
  fs.writeFileSync(path.join(folder, "readme.txt"), "Projects share\n");
  fs.writeFileSync(path.join(folder, "plans", "roadmap.md"), "# Roadmap\n".repeat(200));
  fs.writeFileSync(path.join(folder, "plans", "budget.csv"), "item,amount\n".repeat(500));
  const child = spawn(
    process.execPath,
    ["bin/custodian.js", "agent", "--data", path.join(tmp, "agent-data"), "--port", String(SPARE_PORT), "--host", "127.0.0.1", "--name", COMPUTER, "--folder", `projects=${folder}`],
    { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] },
  );
  agent = child;
  let out = "";
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the agent did not start within 30 s:\n${out}`)), 30_000);
    const onData = (b: Buffer) => {
      out += b.toString();
      const token = /Pairing token[^:]*: (\S+)/.exec(out)?.[1];
      const url = /is running at (\S+)/.exec(out)?.[1];
      if (token && url) {
        clearTimeout(timer);
        resolve({ url, token });
      }
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`the agent exited (${code}):\n${out}`));
    });
  });
}

test.describe.configure({ mode: "serial" });

test.beforeAll(async () => {
  agentInfo = await startAgent();
});

test.afterAll(() => {
  if (agent?.pid && agent.exitCode === null) process.kill(agent.pid, "SIGTERM");
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

const ADMIN_CONTROLS = ["Synchronize now", "Create recovery point now", "Run consistency check", "Edit policy", "Stop protection", "Pair computer", "Refresh data sources"];

async function memberRow(page: Page) {
  return page.getByRole("table", { name: `Members of ${GROUP}` }).getByRole("row", { name: `${COMPUTER} projects` });
}

test("an admin pairs an agent, protects its folder with the wizard and sees the first recovery point; a manager only reads", async ({ page, browser }) => {
  test.setTimeout(120_000);
  await signInAs(page, "admin");
  await page.goto("/protection");
  await expect(page.getByRole("heading", { level: 1, name: "Protection groups" })).toBeVisible();

  // Pairing: the form's own checks, then the agent's refusal of a wrong token, each under its field.
  const pair = page.getByRole("form", { name: "Pair a computer" });
  await pair.getByRole("button", { name: "Pair computer" }).click();
  await expect(pair.getByText("the agent's address, e.g. http://host:3200")).toBeVisible();
  await expect(pair.getByText("the pairing token the agent printed")).toBeVisible();
  await pair.getByLabel("Agent address").fill(agentInfo.url);
  await pair.getByLabel("Pairing token").fill("not-the-right-token");
  await pair.getByRole("button", { name: "Pair computer" }).click();
  await expect(pair.getByText(/wrong pairing token.*A token works once/i)).toBeVisible();
  await pair.getByLabel("Pairing token").fill(agentInfo.token);
  await pair.getByRole("button", { name: "Pair computer" }).click();
  await expect(pair.getByRole("status")).toContainText(`Paired with ${COMPUTER}: projects`);

  // Its data source appears, unprotected, under the computer and in DPM's unprotected list.
  const sources = page.getByRole("list", { name: `Data sources of ${COMPUTER}` });
  await expect(sources.getByRole("listitem").filter({ hasText: "projects" })).toContainText("unprotected");
  await expect(page.getByRole("table", { name: "Unprotected data sources" }).getByRole("row").filter({ hasText: COMPUTER })).toContainText("projects");

  // The wizard, in DPM's order.
  await page.getByRole("link", { name: "New protection group" }).click();
  const wizard = page.getByRole("form", { name: "Create a protection group" });
  await expect(wizard.getByRole("heading", { name: "Step 1 of 5: Members" })).toBeVisible();
  await wizard.getByRole("button", { name: "Next" }).click();
  await expect(wizard.getByText("Choose at least one data source to protect.")).toBeVisible();
  await wizard.getByRole("group", { name: COMPUTER }).getByRole("checkbox", { name: /projects/ }).check();
  await wizard.getByRole("button", { name: "Next" }).click();

  await expect(wizard.getByRole("heading", { name: "Step 2 of 5: Name" })).toBeVisible();
  await wizard.getByLabel("Protection group name").fill("Projects (e2e)");
  await expect(wizard.getByText(/letters, digits and spaces only/)).toBeVisible();
  await wizard.getByLabel("Protection group name").fill(GROUP);
  await expect(wizard.getByText(/letters, digits and spaces only/)).toHaveCount(0);
  await wizard.getByRole("button", { name: "Next" }).click();

  // DPM's defaults first; an out-of-range retention is explained under its field as it is typed.
  await expect(wizard.getByRole("heading", { name: "Step 3 of 5: Short-term goals" })).toBeVisible();
  const retention = wizard.getByLabel("Retention range (days)");
  await expect(retention).toHaveValue("5");
  await expect(wizard.getByLabel("Synchronization frequency")).toHaveValue("15");
  await retention.fill("500");
  await expect(wizard.getByText("The retention range is a whole number of days from 1 to 448.")).toBeVisible();
  await expect(retention).toHaveAttribute("aria-invalid", "true");
  await wizard.getByRole("button", { name: "Next" }).click();
  await expect(wizard.getByRole("heading", { name: "Step 3 of 5: Short-term goals" })).toBeVisible();
  await retention.fill("3");
  await expect(wizard.getByText(/from 1 to 448/)).toHaveCount(0);
  // No database among the members: no express-full schedule.
  await expect(wizard.getByRole("group", { name: "Express full backups (databases)" })).toHaveCount(0);
  await wizard.getByRole("button", { name: "Next" }).click();

  await expect(wizard.getByRole("heading", { name: "Step 4 of 5: Consistency check" })).toBeVisible();
  await expect(wizard.getByLabel(/automatically if a replica becomes inconsistent/)).toBeChecked();
  await wizard.getByRole("button", { name: "Next" }).click();

  await expect(wizard.getByRole("heading", { name: "Step 5 of 5: Summary" })).toBeVisible();
  await expect(wizard).toContainText("Synchronize every 15 minutes; recovery points at 08:00, 12:00, 18:00 every day; keep 3 days; SLA 24 h");
  await wizard.getByRole("button", { name: "Create group" }).click();

  // The group's page: the initial replica runs, then the member has a recovery point and an OK replica.
  await expect(page).toHaveURL(/\/protection\/groups\/\d+\?created=1$/);
  await expect(page.getByText(`Protection group ${GROUP} created.`)).toBeVisible();
  await expect(page.getByRole("link", { name: "Monitoring → Jobs" })).toBeVisible();
  const row = await memberRow(page);
  await expect(row.getByTestId("recovery-point-count")).not.toHaveText("0", { timeout: 30_000 });
  expect(Number(await row.getByTestId("recovery-point-count").textContent())).toBeGreaterThanOrEqual(1);
  await expect(row.getByTestId("replica-state")).toHaveText("OK");
  await expect(page.getByRole("table", { name: "Recent jobs of this group" }).getByRole("row").filter({ hasText: "Initial replica" })).toContainText("succeeded");
  await expect(page.getByRole("region", { name: `Protection group ${GROUP}` })).toContainText("keep 3 days");

  // A manager reads the same page without any of the admin's controls.
  const manager = await browser.newPage();
  await signInAs(manager, "manager");
  await manager.goto("/protection");
  const card = manager.getByRole("region", { name: `Protection group ${GROUP}` });
  await expect(card.getByRole("row", { name: `${COMPUTER} projects` })).toBeVisible();
  await expect(manager.getByRole("list", { name: `Data sources of ${COMPUTER}` })).toContainText("in group E2E Projects");
  for (const name of ADMIN_CONTROLS) await expect(manager.getByRole("button", { name })).toHaveCount(0);
  await expect(manager.getByRole("button", { name: /^Actions for/ })).toHaveCount(0);
  await expect(manager.getByRole("link", { name: "New protection group" })).toHaveCount(0);
  await expect(manager.getByRole("form")).toHaveCount(0);
  await manager.goto("/protection/new");
  await expect(manager.getByText("Only administrators create protection groups")).toBeVisible();
  await expect(manager.getByRole("form", { name: "Create a protection group" })).toHaveCount(0);
  await manager.close();
});

test("an admin makes a recovery point now, edits the policy and stops protection choosing to keep the data", async ({ page }) => {
  test.setTimeout(90_000);
  await signInAs(page, "admin");
  await page.goto("/protection");
  const card = page.getByRole("region", { name: `Protection group ${GROUP}` });
  const count = card.getByRole("row", { name: `${COMPUTER} projects` }).getByTestId("recovery-point-count");
  await expect(count).not.toHaveText("0");
  const before = Number(await count.textContent());

  fs.writeFileSync(path.join(tmp, "projects", "plans", "roadmap.md"), "# Roadmap, revised\n".repeat(300));
  await card.getByRole("button", { name: "Create recovery point now" }).click();
  await expect(card.getByRole("status")).toContainText(/Recovery point started for projects \(job #\d+\)/);
  await expect(count).toHaveText(String(before + 1), { timeout: 30_000 });

  // A member's own actions; express full is for databases only, so a folder is not offered one.
  await card.getByRole("button", { name: "Actions for projects" }).click();
  await expect(page.getByRole("menuitem", { name: "Run consistency check" })).toBeVisible();
  await expect(page.getByRole("menuitem", { name: "Express full now" })).toHaveCount(0);
  await page.keyboard.press("Escape");

  // Edit policy: the same wizard, starting from the group's policy.
  await card.getByRole("button", { name: "Edit policy" }).click();
  const wizard = page.getByRole("form", { name: `Modify ${GROUP}` });
  await expect(wizard.getByRole("group", { name: COMPUTER }).getByRole("checkbox", { name: /projects/ })).toBeDisabled();
  await wizard.getByRole("button", { name: "Next" }).click();
  await expect(wizard.getByLabel("Protection group name")).toHaveValue(GROUP);
  await wizard.getByRole("button", { name: "Next" }).click();
  await expect(wizard.getByLabel("Retention range (days)")).toHaveValue("3");
  await wizard.getByLabel("Retention range (days)").fill("4");
  await wizard.getByLabel("Synchronization frequency").selectOption("60");
  await wizard.getByRole("button", { name: "Next" }).click();
  await wizard.getByRole("button", { name: "Next" }).click();
  await wizard.getByRole("button", { name: "Save changes" }).click();
  await expect(page.getByText(`Changes to ${GROUP} saved.`)).toBeVisible();
  await expect(card).toContainText("Synchronize every hour; recovery points at 08:00, 12:00, 18:00 every day; keep 4 days; SLA 24 h");

  // Stop protection: nothing happens until the admin chooses what becomes of the data.
  await card.getByRole("button", { name: "Stop protection" }).click();
  const dialog = page.getByRole("dialog", { name: `Stop protection of ${GROUP}?` });
  await expect(dialog).toBeVisible();
  await expect(dialog.getByRole("button", { name: "Stop protection" })).toBeDisabled();
  await expect(dialog).toContainText(`${before + 1} recovery points stay on this server`);
  await dialog.getByRole("radio", { name: /Keep the protected data/ }).check();
  await dialog.getByRole("button", { name: "Stop protection" }).click();
  await expect(dialog).toBeHidden();
  await expect(page).toHaveURL(/\/protection$/);
  await expect(card).toHaveCount(0);
  await expect(page.getByRole("table", { name: "Unprotected data sources" }).getByRole("row").filter({ hasText: COMPUTER })).toContainText("projects");
});
