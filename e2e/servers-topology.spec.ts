import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { expect, request as playwrightRequest, test, type Browser, type BrowserContext, type Page } from "@playwright/test";
import { signIn, signInAs, trpc } from "./fixtures";
import { DEMO_DATA, DEMO_PORT, SPARE_PORT } from "./playwright.config";

// Servers protecting servers in the browser, with real processes: the demo server is the
// primary; a second, fresh server on SPARE_PORT becomes its secondary through the UI, copies
// the demo's catalog and recovery points, and both servers draw the link.
const ROOT = path.join(import.meta.dirname, "..");
const SECONDARY_DATA = path.join(ROOT, path.dirname(DEMO_DATA), "secondary");
const PRIMARY_URL = `http://127.0.0.1:${DEMO_PORT}`;
const SECONDARY_URL = `http://127.0.0.1:${SPARE_PORT}`;
const PRIMARY = `e2e-${DEMO_PORT}`;
const SECONDARY = "e2e-secondary";
const SECONDARY_ADMIN = { username: "second-admin", password: "secondary admin password" };
const LINK = `${PRIMARY} → ${SECONDARY}`;
// The demo's own groups (another spec may add a group whose agent is gone by now).
const GROUPS = ["File shares", "Databases"];

let secondary: ChildProcess | null = null;
let secondaryLog = "";
let onPrimary: BrowserContext;
let onSecondary: BrowserContext;
let linkPath = "";

async function healthy(url: string): Promise<boolean> {
  try {
    return (await fetch(`${url}/healthz`)).ok;
  } catch {
    return false;
  }
}

/** Starts the secondary; a port still held by the previous spec's agent is retried for a while (exit code 2). */
async function startSecondary(): Promise<void> {
  fs.rmSync(SECONDARY_DATA, { recursive: true, force: true });
  for (let attempt = 1; ; attempt++) {
    const child = spawn(
      process.execPath,
      ["bin/custodian.js", "serve", "--data", SECONDARY_DATA, "--port", String(SPARE_PORT), "--host", "127.0.0.1", "--no-demo", "--name", SECONDARY, "--log-level", "warn"],
      { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] },
    );
    secondary = child;
    child.stdout!.on("data", (b: Buffer) => (secondaryLog += b.toString()));
    child.stderr!.on("data", (b: Buffer) => (secondaryLog += b.toString()));
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline && child.exitCode === null && !(await healthy(SECONDARY_URL))) await new Promise((r) => setTimeout(r, 250));
    if (child.exitCode === null && (await healthy(SECONDARY_URL))) return;
    if (child.exitCode === 2 && attempt < 20) {
      await new Promise((r) => setTimeout(r, 1000));
      continue;
    }
    throw new Error(`the secondary server did not start (exit ${child.exitCode}):\n${secondaryLog}`);
  }
}

async function newContext(browser: Browser, baseURL: string) {
  return browser.newContext({ baseURL });
}

test.describe.configure({ mode: "serial" });

test.beforeAll(async ({ browser }) => {
  test.setTimeout(120_000);
  await startSecondary();
  // First-start set-up of the fresh server, through its API.
  const api = await playwrightRequest.newContext({ baseURL: SECONDARY_URL });
  const setup = await trpc(api, "auth.setup", SECONDARY_ADMIN);
  expect(setup.error, JSON.stringify(setup.error)).toBeUndefined();
  await api.dispose();
  onPrimary = await newContext(browser, PRIMARY_URL);
  onSecondary = await newContext(browser, SECONDARY_URL);
  const p = await onPrimary.newPage();
  await signInAs(p, "admin");
  await p.close();
  const s = await onSecondary.newPage();
  await signIn(s, SECONDARY_ADMIN.username, SECONDARY_ADMIN.password);
  await expect(s.getByTestId("current-user")).toBeVisible();
  await s.close();
});

test.afterAll(async () => {
  await onPrimary?.close();
  await onSecondary?.close();
  if (secondary?.pid && secondary.exitCode === null) {
    const exited = new Promise((r) => secondary!.once("exit", r));
    process.kill(secondary.pid, "SIGTERM");
    await Promise.race([exited, new Promise((r) => setTimeout(r, 15_000))]);
  }
});

const graph = (page: Page) => page.getByRole("figure", { name: "Server topology" });

test("an admin creates an enrolment token on the primary; on the secondary a wrong token is refused at its field and the right one links", async () => {
  test.setTimeout(60_000);
  const p = await onPrimary.newPage();
  await p.goto("/servers");
  await expect(p.getByRole("heading", { level: 1, name: "Servers" })).toBeVisible();
  await p.getByRole("button", { name: "Create enrolment token" }).click();
  const tokenField = p.getByLabel("Enrolment token (shown only now)");
  await expect(tokenField).toHaveValue(/\S{20,}/);
  await expect(p.getByText(/Works once, until .* \(24 hours\)/)).toBeVisible();
  const token = await tokenField.inputValue();

  const s = await onSecondary.newPage();
  await s.goto("/servers");
  await expect(s.getByRole("heading", { name: "No server protects this one, and it protects no other server" })).toBeVisible();
  const form = s.getByRole("form", { name: "Protect a primary server" });
  // The form's own check, then the primary's refusal of a wrong token, each under its field.
  await form.getByLabel("Primary server's address").fill(PRIMARY_URL);
  await form.getByLabel("Enrolment token").fill("short");
  await form.getByRole("button", { name: "Link to primary" }).click();
  await expect(form.getByText("The enrolment token the primary's admin created.")).toBeVisible();
  await form.getByLabel("Enrolment token").fill("not-the-token-the-primary-made");
  await form.getByRole("button", { name: "Link to primary" }).click();
  await expect(form.getByLabel("Enrolment token")).toHaveAttribute("aria-invalid", "true");
  await expect(form.getByText("Wrong enrolment token.")).toBeVisible();

  await form.getByLabel("Enrolment token").fill(token);
  await form.getByRole("button", { name: "Link to primary" }).click();
  await expect(form.getByRole("status")).toContainText(`This server is now the secondary of ${PRIMARY}.`);
  await form.getByRole("link", { name: "Choose what to protect" }).click();
  await expect(s).toHaveURL(/\/servers\/links\/[0-9a-f-]{36}\/[0-9a-f-]{36}$/);
  linkPath = new URL(s.url()).pathname;
  await expect(s.getByRole("heading", { level: 1, name: LINK })).toBeVisible();
  await expect(s.getByTestId("link-state")).toHaveText("Not configured");
  await p.close();
  await s.close();
});

test("the secondary protects the demo's sources: settings checked at their fields, Replicate now copies recovery points and a catalog snapshot", async () => {
  test.setTimeout(240_000);
  const s = await onSecondary.newPage();
  await s.goto(linkPath);
  const settings = s.getByRole("form", { name: "Secondary protection settings" });
  for (const g of GROUPS) await settings.getByRole("checkbox", { name: `Select all in ${g}` }).check();
  await expect(settings.getByLabel("Copy the catalog")).toHaveValue("1440");
  await settings.getByLabel("Keep catalog copies (days)").fill("0");
  await settings.getByRole("checkbox", { name: /Switch protection to this server by itself/ }).check();
  await settings.getByLabel("Grace period (minutes)").fill("2");
  await settings.getByRole("button", { name: "Save settings" }).click();
  await expect(settings.getByText("Keep catalog copies at least a day.")).toBeVisible();
  await expect(settings.getByText("At least 3 minutes (three heartbeats)")).toBeVisible();

  await settings.getByLabel("Keep catalog copies (days)").fill("7");
  await settings.getByRole("checkbox", { name: /Switch protection to this server by itself/ }).uncheck();
  await settings.getByLabel("Grace period (minutes)").fill("15");
  await settings.getByLabel("Copy new recovery points").selectOption("30");
  await settings.getByRole("button", { name: "Save settings" }).click();
  await expect(settings.getByRole("status")).toContainText(/Saved: \d+ data sources selected\./);

  await s.getByRole("button", { name: "Replicate now" }).click();
  await expect(s.getByText(/Queued: the catalog copy \(job #\d+\) and the replication \(job #\d+\)/)).toBeVisible();

  // The copies: every selected source holds recovery points here (replica OK), and a catalog snapshot is listed.
  const copied = s.getByRole("table", { name: `Data sources of ${PRIMARY} copied here` });
  await expect(async () => {
    const counts = await copied.locator("tbody tr").filter({ has: s.getByRole("button", { name: /^Switch protection of .+ › / }) }).evaluateAll((rows) => rows.map((r) => Number(r.children[3]?.textContent?.match(/^\d+/)?.[0] ?? 0)));
    expect(counts.length).toBeGreaterThanOrEqual(2);
    expect(Math.min(...counts)).toBeGreaterThan(0);
  }).toPass({ timeout: 200_000, intervals: [2_000] });
  await expect(s.getByRole("table", { name: `Catalog copies of ${PRIMARY}` }).locator("tbody tr")).not.toHaveCount(0, { timeout: 60_000 });
  await expect(copied.getByText("Creation pending")).toHaveCount(0);

  // The link's jobs, each opening its job page.
  const jobs = s.getByRole("table", { name: "Jobs of this link" });
  await expect(jobs.getByRole("link", { name: "Replication from the primary" }).first()).toBeVisible();
  await expect(jobs.getByRole("link", { name: "Catalog copy from the primary" }).first()).toHaveAttribute("href", /\/monitoring\/jobs\/\d+$/);
  await expect(s.getByTestId("link-state")).toHaveText("Healthy", { timeout: 30_000 });

  // Help desk's view of the copies: they say where they come from.
  await s.goto("/recovery");
  await expect(s.getByRole("list", { name: "Data sources" }).getByText(`copy of ${PRIMARY}`).first()).toBeVisible();
  await s.close();
});

test("switch protection of the demo's sources is refused with the reason: they are on the primary's built-in agent", async () => {
  const s = await onSecondary.newPage();
  await s.goto(linkPath);
  const copied = s.getByRole("table", { name: `Data sources of ${PRIMARY} copied here` });
  await copied.getByRole("button", { name: "Switch protection of group" }).first().click();
  const dialog = s.getByRole("dialog");
  await expect(dialog.getByText(/takes this server as its owner/)).toBeVisible();
  await expect(dialog.getByText(/fenced off/)).toBeVisible();
  await dialog.getByRole("button", { name: "Switch protection" }).click();
  await expect(dialog.getByText(/^0 switched, \d+ refused\.$/)).toBeVisible();
  await expect(dialog.getByText(/has no protection agent another server can take over/).first()).toBeVisible();
  await dialog.getByRole("button", { name: "Done" }).click();
  await expect(dialog).toBeHidden();
  await expect(copied.getByText("Switched to the secondary")).toHaveCount(0);
  await s.close();
});

test("both servers draw the link in the topology graph with its state; the links table opens the link; a manager only reads", async ({ browser }) => {
  test.setTimeout(120_000);
  const edge = (page: Page) => graph(page).getByRole("link", { name: new RegExp(`^${LINK}: Healthy`) });

  const s = await onSecondary.newPage();
  await s.goto("/servers");
  await expect(edge(s)).toBeVisible({ timeout: 30_000 });
  await expect(edge(s)).toContainText(/lag (under a minute|\d+ min)/);
  await expect(edge(s)).toContainText(/catalog copied/);
  await edge(s).click();
  await expect(s).toHaveURL(new RegExp(`${linkPath}$`));
  await s.goto("/servers");
  await s.getByRole("table", { name: "Links between servers" }).getByRole("link", { name: LINK }).click();
  await expect(s).toHaveURL(new RegExp(`${linkPath}$`));

  // The primary learns the link's state from the secondary's heartbeat (each minute; sent now here).
  const beat = await trpc(s.request, "servers.heartbeatNow");
  expect(beat.error, JSON.stringify(beat.error)).toBeUndefined();
  const p = await onPrimary.newPage();
  await expect(async () => {
    await p.goto("/servers");
    await expect(edge(p)).toBeVisible({ timeout: 5_000 });
  }).toPass({ timeout: 90_000, intervals: [3_000] });
  await expect(p.getByRole("table", { name: "Links between servers" }).getByRole("row", { name: new RegExp(LINK) })).toContainText("Healthy");
  await p.goto(linkPath);
  await expect(p.getByRole("heading", { level: 1, name: LINK })).toBeVisible();
  await expect(p.getByRole("table", { name: `Catalog copies of ${PRIMARY}` }).locator("tbody tr")).not.toHaveCount(0);

  const managerContext = await browser.newContext({ baseURL: PRIMARY_URL });
  const m = await managerContext.newPage();
  await signInAs(m, "manager");
  await m.goto("/servers");
  await expect(edge(m)).toBeVisible();
  await expect(m.getByRole("table", { name: "Servers", exact: true })).toContainText(SECONDARY);
  await expect(m.getByRole("button", { name: "Create enrolment token" })).toHaveCount(0);
  await expect(m.getByRole("form", { name: "Protect a primary server" })).toHaveCount(0);
  await m.goto(linkPath);
  await expect(m.getByRole("heading", { level: 1, name: LINK })).toBeVisible();
  await expect(m.getByTestId("link-state")).toHaveText("Healthy");
  for (const action of ["Replicate now", "Save settings", "Switch protection of group", "Take ownership"]) await expect(m.getByRole("button", { name: action })).toHaveCount(0);
  await expect(m.getByRole("form", { name: "Secondary protection settings" })).toHaveCount(0);
  await managerContext.close();
  await p.close();
  await s.close();
});
