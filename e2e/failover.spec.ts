import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { randomBytes } from "node:crypto";
import { expect, test, type Page } from "@playwright/test";
import { ApiClient, adminSession, jobEnded, pollUntil } from "../server/lab/api-client";
import { startUntilRunning, type RunningProcess } from "../server/lab/child-process";

// Failover and rebuild in the browser, with real processes on free loopback ports: a primary
// protects a folder through a real agent, its secondary copies the catalog and the recovery
// points; the primary dies. The secondary's admin switches protection of the folder to the
// secondary; on a new, empty server an admin runs the rebuild wizard (/setup/rebuild) with the
// rebuild token the secondary issued, watches its progress through the restart, signs in to the
// rebuilt primary with the primary's own account, and takes ownership of the folder back.

const PRIMARY_ADMIN = { username: "primary-admin", password: "primary admin password" };
const SECONDARY_ADMIN = { username: "second-admin", password: "secondary admin password" };
const running: RunningProcess[] = [];
const dirs: string[] = [];
const tmp = () => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), "custodian-e2e-rebuild-"));
  dirs.push(d);
  return d;
};
const start = async (what: string, args: string[]) => {
  const p = await startUntilRunning({ what, args, timeoutMs: 60_000 });
  running.push(p);
  return p;
};
const serve = (what: string, data: string, name: string) => start(what, ["serve", "--data", data, "--port", "0", "--host", "127.0.0.1", "--no-demo", "--name", name, "--log-level", "warn"]);

let secondary: RunningProcess;
let replacement: RunningProcess;
let onSecondary: ApiClient;
let token = "";
let pointsBefore = 0;
let linkPath = "";

async function signIn(page: Page, baseUrl: string, who: { username: string; password: string }) {
  await page.goto(`${baseUrl}/login`);
  await page.getByLabel("User name").fill(who.username);
  await page.getByLabel("Password").fill(who.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByTestId("current-user")).toBeVisible();
}

test.describe.configure({ mode: "serial" });

test.beforeAll(async () => {
  test.setTimeout(180_000);
  const folder = tmp();
  for (let i = 0; i < 12; i++) fs.writeFileSync(path.join(folder, `report-${i}.bin`), randomBytes(64 * 1024));
  const [primary, second, agent] = await Promise.all([
    serve("primary", tmp(), "lost-primary"),
    serve("secondary", tmp(), "e2e-rebuild-secondary"),
    start("agent", ["agent", "--data", tmp(), "--port", "0", "--name", "finance-pc", "--folder", `finance=${folder}`]),
  ]);
  secondary = second;
  const agentToken = /Pairing token[^:]*: (\S+)/.exec(agent.output())![1]!;

  // The primary protects the agent's folder and makes two recovery points.
  const a = await adminSession(primary.url, PRIMARY_ADMIN);
  const primaryId = (await a.query<{ id: string; isSelf: boolean }[]>("servers.list")).find((s) => s.isSelf)!.id;
  await a.mutate("agents.pair", { url: agent.url, token: agentToken });
  const computers = await a.mutate<{ name: string; sources: { id: number; name: string }[] }[]>("protection.refreshSources");
  const sourceId = computers.find((c) => c.name === "finance-pc")!.sources.find((s) => s.name === "finance")!.id;
  const { policy } = await a.query<{ policy: Record<string, unknown> }>("protection.defaults", { hasDatabases: false });
  await a.mutate("protection.createGroup", { name: "Finance", policy: { ...policy, synchronization: { justBeforeRecoveryPoint: true } }, members: [sourceId] });
  const count = async () => (await a.query<unknown[]>("recovery.recoveryPoints", { dataSourceId: sourceId })).length;
  await pollUntil("the initial replica", async () => ((await count()) >= 1 ? true : undefined), 60_000);
  await a.mutate("protection.runNow", { type: "recovery-point", dataSourceId: sourceId });
  await pollUntil("a second recovery point", async () => ((await count()) >= 2 ? true : undefined), 60_000);
  pointsBefore = await count();

  // The secondary links, copies the catalog and both recovery points.
  const b = (onSecondary = await adminSession(secondary.url, SECONDARY_ADMIN));
  const secondaryId = (await b.query<{ id: string; isSelf: boolean }[]>("servers.list")).find((s) => s.isSelf)!.id;
  linkPath = `/servers/links/${primaryId}/${secondaryId}`;
  const enrol = await a.mutate<{ token: string }>("servers.createEnrolmentToken");
  await b.mutate("servers.linkPrimary", { url: primary.url, token: enrol.token });
  await b.mutate("servers.configureSecondaryProtection", { primaryId, sourceIds: [sourceId], catalogEveryMinutes: 1440, replicaEveryMinutes: 60, catalogRetentionDays: 14, autoSwitch: false, graceMinutes: 15 });
  const jobs = await b.mutate<{ catalogCopyJobId: number; replicationJobId: number }>("servers.replicateNow", { primaryId });
  for (const id of [jobs.catalogCopyJobId, jobs.replicationJobId]) expect((await jobEnded(b, id)).state).toBe("succeeded");

  // The primary is lost; the secondary's admin issues a rebuild token; a new server starts empty.
  await primary.stop("SIGKILL");
  token = (await b.mutate<{ token: string }>("servers.createRebuildToken", { primaryId })).token;
  replacement = await serve("replacement", path.join(tmp(), "data"), "replacement");
});

// eslint-disable-next-line no-empty-pattern -- Playwright reads the fixtures a hook uses from this pattern.
test.afterEach(async ({}, info) => {
  // A failure shows what the servers said.
  if (info.status !== info.expectedStatus) running.forEach((p, i) => fs.writeFileSync(info.outputPath(`process-${i}-${p.child.spawnargs[2]}.log`), p.output()));
});

test.afterAll(async () => {
  await Promise.all(running.map((p) => p.stop()));
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

test("the secondary's admin switches protection of the lost primary's folder to the secondary", async ({ page }) => {
  await signIn(page, secondary.url, SECONDARY_ADMIN);
  await page.goto(`${secondary.url}${linkPath}`);
  await page.getByRole("button", { name: "Switch protection of finance-pc › finance" }).click();
  const dialog = page.getByRole("dialog");
  await expect(dialog).toContainText("The protection agent of each data source takes this server as its owner");
  await dialog.getByRole("button", { name: "Switch protection" }).click();
  await expect(dialog.getByText("1 switched, 0 refused.")).toBeVisible({ timeout: 20_000 });
  await dialog.getByRole("button", { name: "Done" }).click();
  await expect(page.getByRole("table", { name: /copied here/ })).toContainText(/switched/i);
});

test("an admin rebuilds the lost primary on a new server, watching the pre-checks and the progress", async ({ page }) => {
  test.setTimeout(150_000);
  await page.goto(`${replacement.url}/`);
  await expect(page).toHaveURL(/\/setup$/);
  await page.getByRole("link", { name: "Rebuild it from its secondary" }).click();
  await expect(page.getByRole("heading", { name: "Rebuild a lost server" })).toBeVisible();
  await expect(page.getByText("New: no users, no protection, no recovery points, no links.")).toBeVisible();
  // The browser's own address is the default for where agents will reach the rebuilt server.
  await expect(page.getByLabel("This server's address")).toHaveValue(replacement.url);

  // Bad input is refused at its field.
  await page.getByLabel("Secondary server's address").fill("backup2:3100");
  await page.getByLabel("Rebuild token").fill("not-a-token-the-secondary-issued");
  await page.getByRole("button", { name: "Run the pre-checks" }).click();
  await expect(page.getByText("the secondary's address must be an http(s) address", { exact: false }).or(page.getByText("an http(s) address, e.g. http://backup2:3100"))).toBeVisible();
  await page.getByLabel("Secondary server's address").fill(secondary.url);
  await page.getByRole("button", { name: "Run the pre-checks" }).click();
  await expect(page.getByText(/no such rebuild token is pending/)).toBeVisible();

  await page.getByLabel("Rebuild token").fill(token);
  await page.getByRole("button", { name: "Run the pre-checks" }).click();
  const checks = page.getByRole("list", { name: "Pre-checks" });
  await expect(checks).toContainText("Rebuild token: pending for lost-primary");
  await expect(checks.getByLabel("failed")).toHaveCount(0);
  await expect(page.getByText(`then ${pointsBefore} recovery point(s) of 1 data source(s)`, { exact: false })).toBeVisible();
  await page.screenshot({ path: test.info().outputPath("rebuild-prechecks.png"), fullPage: true });

  await page.getByRole("button", { name: "Rebuild lost-primary here" }).click();
  await expect(page.getByRole("list", { name: "Rebuild steps" })).toBeVisible();
  // Then the restart, and the report from the rebuilt server.
  await expect(page.getByText("lost-primary is rebuilt from its catalog")).toBeVisible({ timeout: 90_000 });
  await expect(page.getByText(`${pointsBefore} restored`, { exact: false }).or(page.getByText("restored,", { exact: false }))).toBeVisible();
  // The agent is protected by the secondary since the switch: it stays there until the switch back.
  await expect(page.getByText("0 handed to this server, 1 still protected by e2e-rebuild-secondary", { exact: false })).toBeVisible();
  await expect(page.getByText("Servers → the link → Take ownership", { exact: false })).toBeVisible();
  await page.screenshot({ path: test.info().outputPath("rebuild-done.png"), fullPage: true });

  // The primary's own admin signs in to the rebuilt server, which is lost-primary again.
  await page.getByRole("button", { name: "Sign in to lost-primary" }).click();
  await expect(page.getByRole("heading", { name: "Sign in" })).toBeVisible();
  await page.getByLabel("User name").fill(PRIMARY_ADMIN.username);
  await page.getByLabel("Password").fill(PRIMARY_ADMIN.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByTestId("current-user")).toContainText("Admin (Administrator)");
  const api = new ApiClient(replacement.url);
  expect((await api.query<{ serverName: string; setupRequired: boolean }>("auth.status")).serverName).toBe("lost-primary");
  // The wizard is closed once the server has users.
  await page.goto(`${replacement.url}/setup/rebuild`);
  await expect(page.getByText(/set up already/)).toBeVisible();
});

test("the rebuilt primary's admin takes ownership of the switched folder back", async ({ page }) => {
  // The secondary's heartbeat tells the rebuilt primary which of its sources it protects (each minute; now, here).
  await onSecondary.mutate("servers.heartbeatNow");
  await signIn(page, replacement.url, PRIMARY_ADMIN);
  await page.goto(`${replacement.url}${linkPath}`);
  const table = page.getByRole("table", { name: "Data sources switched to e2e-rebuild-secondary" });
  await expect(table).toContainText("finance");
  await page.getByRole("button", { name: "Take ownership of finance-pc › finance" }).click();
  const dialog = page.getByRole("dialog");
  await dialog.getByRole("button", { name: "Take ownership" }).click();
  await expect(dialog.getByText("1 taken back, 0 refused.")).toBeVisible({ timeout: 20_000 });
  await expect(dialog.getByText(/being copied back/)).toBeVisible();
  await dialog.getByRole("button", { name: "Done" }).click();
  await expect(page.getByRole("button", { name: "Take ownership of finance-pc › finance" })).toHaveCount(0);
  // And the secondary shows the folder protected by the primary again.
  await expect
    .poll(async () => (await onSecondary.query<{ sources: { name: string; switch: { kind: string } }[] }>("servers.link", { primaryId: linkPath.split("/")[3], secondaryId: linkPath.split("/")[4] })).sources[0]!.switch.kind, { timeout: 20_000 })
    .toBe("primary");
});

test("the secondary's admin removes the link in the browser, keeping the copies", async ({ page }) => {
  await signIn(page, secondary.url, SECONDARY_ADMIN);
  await page.goto(`${secondary.url}${linkPath}`);
  await page.getByRole("button", { name: "Remove link…" }).click();
  const dialog = page.getByRole("dialog");
  // Keep or delete is the admin's choice, asked every time: no choice, no removal.
  await dialog.getByRole("button", { name: "Remove link" }).click();
  await expect(dialog.locator("#copies-errors")).toBeVisible();
  await dialog.getByRole("radio", { name: /Keep the copies/ }).check();
  await dialog.getByRole("button", { name: "Remove link" }).click();
  await expect(page.getByText("The link lost-primary → e2e-rebuild-secondary is removed on this server.")).toBeVisible({ timeout: 30_000 });
  await expect(page.getByText("lost-primary removed its half of the link too.")).toBeVisible();
  // Both ends forgot it.
  expect((await onSecondary.call("servers.link", { primaryId: linkPath.split("/")[3], secondaryId: linkPath.split("/")[4] }, "query")).error?.data.code).toBe("NOT_FOUND");
  const onPrimary = await adminSession(replacement.url, PRIMARY_ADMIN);
  expect((await onPrimary.call("servers.link", { primaryId: linkPath.split("/")[3], secondaryId: linkPath.split("/")[4] }, "query")).error?.data.code).toBe("NOT_FOUND");
});
