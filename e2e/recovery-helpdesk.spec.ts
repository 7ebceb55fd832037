import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect, test, type Page } from "@playwright/test";
import { signInAs, trpc } from "./fixtures";
import { SPARE_PORT } from "./playwright.config";

const CLI = path.join(import.meta.dirname, "..", "bin", "custodian.js");

interface Agent {
  child: ChildProcess;
  url: string;
  token: string;
}

/** A real protection agent on SPARE_PORT; resolves once it listens, with its one-time pairing token. */
function startAgent(args: string[]): Promise<Agent> {
  const child = spawn(process.execPath, [CLI, "agent", "--host", "127.0.0.1", "--port", String(SPARE_PORT), ...args], { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the agent did not start:\n${out}`)), 20_000);
    const onData = (d: Buffer) => {
      out += d.toString();
      const url = /is running at (http:\/\/\S+)/.exec(out)?.[1];
      const token = /Pairing token[^:]*: (\S+)/.exec(out)?.[1];
      if (url && token) {
        clearTimeout(timer);
        resolve({ child, url, token });
      }
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", (d: Buffer) => (out += d.toString()));
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`the agent exited with ${code}:\n${out}`));
    });
  });
}

async function stopAgent(agent: Agent | undefined) {
  if (!agent || agent.child.exitCode !== null || agent.child.pid === undefined) return;
  const exited = new Promise((r) => agent.child.once("exit", r));
  process.kill(agent.child.pid, "SIGTERM");
  await exited;
}

/** A tRPC call that must succeed; returns its data. */
async function call<T>(page: Page, procedure: string, input?: unknown, kind: "query" | "mutation" = "mutation"): Promise<T> {
  const res = await trpc(page.request, procedure, input, kind);
  expect(res.status, `${procedure}: ${JSON.stringify(res.error)}`).toBe(200);
  return res.data as T;
}

test("help desk finds a file's older version by search and restores it to an alternate folder with the wizard", async ({ page, browser }) => {
  test.setTimeout(120_000);
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "custodian-e2e-recovery-"));
  const protectedDir = path.join(work, "protected");
  const file = path.join(protectedDir, "docs", "budget-2026.txt");
  const target = path.join(work, "restored");
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, "version one");
  const suffix = Date.now().toString(36);
  const computer = `e2e-recovery-${suffix}`;
  let agent: Agent | undefined;
  try {
    agent = await startAgent(["--data", path.join(work, "agent"), "--name", computer, "--folder", `files=${protectedDir}`]);

    // Set-up through the API, as the demo administrator: pair, protect, two recovery points.
    const admin = await browser.newPage();
    await signInAs(admin, "admin");
    await call(admin, "agents.pair", { url: agent.url, token: agent.token });
    const computers = await call<{ name: string; sources: { id: number; name: string }[] }[]>(admin, "protection.refreshSources");
    const source = computers.find((c) => c.name === computer)?.sources.find((s) => s.name === "files");
    expect(source, `the paired agent's data source in ${JSON.stringify(computers)}`).toBeDefined();
    const dataSourceId = source!.id;
    const { policy } = await call<{ policy: unknown }>(admin, "protection.defaults", { hasDatabases: false }, "query");
    const group = await call<{ id: number }>(admin, "protection.createGroup", { name: `Recovery e2e ${suffix}`, policy, members: [dataSourceId] });

    type Rp = { id: number };
    const recoveryPoints = () => call<Rp[]>(admin, "recovery.recoveryPoints", { dataSourceId }, "query");
    const idle = async () => (await call<unknown[]>(admin, "monitoring.jobs", { dataSourceId, states: ["queued", "running"] }, "query")).length === 0;
    await expect.poll(async () => (await recoveryPoints()).length, { timeout: 30_000 }).toBe(1);
    await expect.poll(idle, { timeout: 30_000 }).toBe(true);

    fs.writeFileSync(file, "version two");
    // Same size as before: a later modification time makes sure the agent reads it again.
    const later = new Date(Date.now() + 120_000);
    fs.utimesSync(file, later, later);
    const run = await call<{ queued: number[] }>(admin, "protection.runNow", { type: "recovery-point", groupId: group.id });
    expect(run.queued).toHaveLength(1);
    await expect.poll(async () => (await recoveryPoints()).length, { timeout: 30_000 }).toBe(2);
    const [older] = await recoveryPoints();
    await admin.close();

    // In the browser, as help desk: search, the file's timeline, the older version's restore.
    await signInAs(page, "helpdesk");
    await page.goto("/recovery");
    await page.getByRole("tab", { name: "Search" }).click();
    await page.getByLabel("File name or path").fill("budget");
    const hit = page.getByRole("table", { name: "Matching files" }).getByRole("row").filter({ hasText: computer });
    await expect(hit).toHaveCount(1);
    await expect(hit.getByRole("cell").nth(1)).toHaveText(`${computer} › files`);
    await expect(hit.getByRole("cell").nth(2)).toHaveText("2");
    await hit.getByRole("button", { name: "docs/budget-2026.txt" }).click();

    const versions = page.getByRole("list", { name: "Versions" });
    await expect(versions.getByRole("listitem")).toHaveCount(2);
    await expect(versions.getByRole("listitem").first()).toContainText("Version 2");
    await versions.getByRole("listitem").filter({ hasText: "Version 1" }).getByRole("button", { name: "Restore this version" }).click();

    const wizard = page.getByRole("dialog", { name: "Restore" });
    await expect(wizard.getByRole("region", { name: "What to restore" })).toContainText("docs/budget-2026.txt");
    await wizard.getByRole("button", { name: "Next", exact: true }).click();

    // Where: help desk cannot choose the original location, and is told why.
    await expect(wizard.getByRole("radio", { name: "Original location" })).toBeDisabled();
    await expect(wizard.getByRole("radio", { name: "An alternate folder" })).toBeChecked();
    await expect(wizard).toContainText("Help desk recovers to an alternate folder only");
    const folder = wizard.getByLabel(`Folder on ${computer}`);
    const next = wizard.getByRole("button", { name: "Next", exact: true });
    await folder.fill("restores/budget");
    await next.click();
    await expect(folder).toHaveAttribute("aria-invalid", "true");
    await expect(wizard.getByRole("alert")).toContainText("absolute path");
    await folder.fill(`${target}/../elsewhere`);
    await expect(wizard.getByRole("alert")).toContainText("No . or .. segments");
    await next.click();
    await expect(wizard.getByRole("radio", { name: "An alternate folder" })).toBeVisible(); // still on this step
    await folder.fill(target);
    await expect(wizard.getByRole("alert")).toHaveCount(0);
    await next.click();

    await expect(wizard.getByRole("radio", { name: /Create a copy/ })).toBeChecked();
    await next.click();
    const summary = wizard.getByRole("region", { name: "Summary" });
    await expect(summary).toContainText(target);
    await expect(summary).toContainText("Create a copy");
    await wizard.getByRole("button", { name: "Restore", exact: true }).click();

    // The progress bar, then the result report.
    const bar = wizard.getByRole("progressbar", { name: "Restore progress" });
    await expect(bar).toBeVisible();
    await expect(bar).toHaveAttribute("aria-valuenow", "100", { timeout: 30_000 });
    const result = wizard.getByRole("region", { name: "Result" });
    await expect(result).toContainText("Restore succeeded");
    await expect(result.getByRole("list", { name: "Items by outcome" }).getByRole("listitem").filter({ hasText: "Restored" })).toContainText("1");
    await expect(result).toContainText(target);
    await expect(result.getByRole("list", { name: "Problems" })).toHaveCount(0);

    // On disk: the older version's bytes, and the original untouched.
    expect(fs.readFileSync(path.join(target, "docs", "budget-2026.txt"), "utf8")).toBe("version one");
    expect(fs.readFileSync(file, "utf8")).toBe("version two");

    // The server refuses help desk the original location too, not only the wizard.
    const refused = await trpc(page.request, "recovery.restore", { dataSourceId, recoveryPointId: older!.id, paths: ["docs/budget-2026.txt"] });
    expect(refused.status).toBe(403);
    expect(refused.error?.data.code).toBe("FORBIDDEN");
    expect(fs.readFileSync(file, "utf8")).toBe("version two");
  } finally {
    await stopAgent(agent);
    fs.rmSync(work, { recursive: true, force: true });
  }
});
