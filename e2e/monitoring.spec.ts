import { spawn, type ChildProcess } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect, test, type APIRequestContext, type Page } from "@playwright/test";
import { SPARE_PORT } from "./playwright.config";
import { signInAs, trpc } from "./fixtures";

// Monitoring with real work: a real protection agent (its own process, on the spare port)
// with a folder, paired with the demo server through the API; the jobs and alerts the pages
// show are the ones its backups and failures produce.

const PROJECT = path.join(import.meta.dirname, "..");
const run = crypto.randomBytes(3).toString("hex");
const COMPUTER = `e2e-mon-${run}`;
const SOURCE = `mon-docs-${run}`;
const GROUP = `Monitoring e2e ${run}`;
const FILES = 64;

let agent: ChildProcess | null = null;
let base = "";
let docs = "";

/** Starts `custodian agent` and resolves with its one-time pairing token. */
function startAgent(): Promise<string> {
  const child = spawn(process.execPath, ["bin/custodian.js", "agent", "--data", path.join(base, "agent"), "--host", "127.0.0.1", "--port", String(SPARE_PORT), "--name", COMPUTER, "--folder", `${SOURCE}=${docs}`], {
    cwd: PROJECT,
    stdio: ["ignore", "pipe", "pipe"],
  });
  agent = child;
  let out = "";
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the agent did not start:\n${out}`)), 20_000);
    const onData = (d: Buffer) => {
      out += d;
      const token = /Pairing token[^:]*: (\S+)/.exec(out)?.[1];
      if (token && /is running at/.test(out)) {
        clearTimeout(timer);
        resolve(token);
      }
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", (d: Buffer) => (out += d));
    child.once("exit", (code) => reject(new Error(`the agent exited with ${code}:\n${out}`)));
  });
}

async function call(request: APIRequestContext, procedure: string, input?: unknown, kind: "query" | "mutation" = "mutation") {
  const r = await trpc(request, procedure, input, kind);
  expect(r.error, `${procedure}: ${r.error?.message}`).toBeUndefined();
  return r.data as never;
}

const jobRow = (page: Page, id: number) => page.getByTestId(`job-${id}`);
const alertCard = (page: Page, title: string) => page.getByRole("article", { name: title });

test.describe.configure({ mode: "serial" });

test.beforeAll(() => {
  base = fs.mkdtempSync(path.join(os.tmpdir(), "custodian-e2e-mon-"));
  docs = path.join(base, "docs");
  fs.mkdirSync(path.join(docs, "reports"), { recursive: true });
  // Enough incompressible data, in files of 1 MiB (progress is reported per file), that the
  // initial replica runs for a few seconds and the page can show it running.
  for (let i = 0; i < FILES; i++) fs.writeFileSync(path.join(docs, `scan-${i}.bin`), crypto.randomBytes(1024 * 1024));
  fs.writeFileSync(path.join(docs, "reports", "q3.txt"), "quarterly report\n".repeat(500));
});

test.afterAll(() => {
  if (agent?.pid && agent.exitCode === null) process.kill(agent.pid, "SIGTERM");
  if (base) fs.rmSync(base, { recursive: true, force: true });
});

test("jobs show their progress, outcome and log; a failed synchronization raises an alert that the system resolves", async ({ page, browser }) => {
  test.setTimeout(180_000);
  const token = await startAgent();
  await signInAs(page, "admin");
  const api = page.request;

  // Pair the agent, find its folder, protect it: the group's creation queues the initial replica.
  await call(api, "agents.pair", { url: `http://127.0.0.1:${SPARE_PORT}`, token });
  await call(api, "protection.refreshSources");
  const computers = (await call(api, "protection.computers", undefined, "query")) as { name: string; sources: { id: number; name: string }[] }[];
  const source = computers.find((c) => c.name === COMPUTER)?.sources.find((s) => s.name === SOURCE);
  expect(source, `${SOURCE} on ${COMPUTER}`).toBeDefined();
  const { policy } = (await call(api, "protection.defaults", { hasDatabases: false }, "query")) as { policy: unknown };
  const group = (await call(api, "protection.createGroup", { name: GROUP, policy, members: [source!.id] })) as { id: number };
  const jobs = (await call(api, "monitoring.jobs", { groupId: group.id, limit: 5 }, "query")) as { id: number; type: string }[];
  expect(jobs.map((j) => j.type)).toEqual(["recovery-point"]);
  const initial = jobs[0]!.id;

  // The Jobs page follows it live: running with a progress bar, then succeeded.
  await page.goto("/monitoring/jobs");
  const row = jobRow(page, initial);
  await expect(row).toContainText(SOURCE);
  await expect(row).toContainText(COMPUTER);
  await expect(row).toContainText("running");
  // A first full read has no total to measure against: an indeterminate bar with what was read so far.
  await expect(row.getByRole("progressbar", { name: `Progress of job ${initial}` })).toBeVisible();
  await expect(row.getByRole("progressbar")).not.toHaveAttribute("aria-valuenow");
  await expect(row.getByTestId(`progress-${initial}`)).toContainText(/no file finished yet|files?, .* so far/);
  await expect(row).toContainText("succeeded", { timeout: 90_000 });
  await expect(row.getByRole("progressbar")).toHaveCount(0);

  // Its page: what, who, the result in words, and the log.
  await row.getByRole("link", { name: "Recovery point" }).click();
  await expect(page).toHaveURL(new RegExp(`/monitoring/jobs/${initial}$`));
  await expect(page.getByRole("heading", { level: 1, name: `Recovery point #${initial}` })).toBeVisible();
  await expect(page.getByRole("region", { name: "Parameters" })).toContainText("Initial replicayes");
  const result = page.getByRole("region", { name: "Result" });
  await expect(result).toContainText(`Files${FILES + 1}`);
  await expect(result).toContainText("New chunks");
  const log = page.getByRole("table", { name: "Job log" });
  await expect(log).toContainText("started (system)");
  await expect(log).toContainText(`full read of ${SOURCE}`);
  await expect(log).toContainText(/recovery point \d+ made/);
  await expect(log.getByRole("row").last()).toContainText("succeeded");

  // A synchronization of a folder that is gone fails, and raises a critical alert.
  fs.renameSync(docs, `${docs}.away`);
  const failing = ((await call(api, "protection.runNow", { type: "synchronization", groupId: group.id })) as { queued: number[] }).queued[0]!;
  await page.goto("/monitoring/jobs?state=failed");
  await expect(jobRow(page, failing)).toContainText("failed", { timeout: 30_000 });
  await expect(jobRow(page, failing)).toContainText("by the system");
  await expect(jobRow(page, failing).getByRole("button", { name: `Retry job ${failing}` })).toBeVisible();

  const title = `Synchronization failed: ${COMPUTER}: ${SOURCE}`;
  await page.goto("/monitoring/alerts");
  const alert = alertCard(page, title);
  await expect(alert).toBeVisible();
  await expect(alert).toContainText("Critical");
  await expect(alert).toContainText(COMPUTER);
  await expect(alert).toContainText(`group ${GROUP}`);
  await expect(alert).toContainText(`See job ${failing}`);
  await expect(page.getByTestId("count-critical")).not.toHaveText(/\b0$/);

  // A manager, meanwhile, sees the same alert and job but can change nothing.
  const manager = await browser.newPage();
  try {
    await signInAs(manager, "manager");
    await manager.goto("/monitoring/alerts");
    await expect(alertCard(manager, title)).toBeVisible();
    await expect(manager.getByRole("button", { name: "Acknowledge" })).toHaveCount(0);
    await expect(manager.getByRole("button", { name: "Mark inactive" })).toHaveCount(0);
    await manager.goto("/monitoring/jobs");
    await expect(jobRow(manager, failing)).toContainText("failed");
    await expect(jobRow(manager, initial)).toContainText("succeeded");
    await expect(manager.getByRole("button", { name: /^(Retry|Cancel)/ })).toHaveCount(0);
    await expect(manager.getByRole("columnheader", { name: "Actions" })).toHaveCount(0);
  } finally {
    await manager.close();
  }

  // The admin acknowledges it: it stays active, with who acknowledged it.
  await alert.getByRole("button", { name: "Acknowledge" }).click();
  await expect(alert).toContainText("acknowledged by admin");
  await expect(alert.getByRole("button", { name: "Acknowledge" })).toHaveCount(0);
  await expect(alert.getByRole("button", { name: "Mark inactive" })).toBeVisible();

  // The folder is back; the next synchronization succeeds and the system resolves the alert.
  fs.renameSync(`${docs}.away`, docs);
  const healing = ((await call(api, "protection.runNow", { type: "synchronization", groupId: group.id })) as { queued: number[] }).queued[0]!;
  await page.goto(`/monitoring/jobs/${healing}`);
  await expect(page.getByRole("heading", { level: 1, name: `Synchronization #${healing}` })).toBeVisible();
  await expect(page.getByRole("table", { name: "Job log" }).getByRole("row").last()).toContainText("succeeded", { timeout: 30_000 });

  await page.goto("/monitoring/alerts");
  await expect(page.getByRole("article", { name: title })).toHaveCount(0);
  await page.getByRole("group", { name: "Status" }).getByRole("button", { name: "Inactive" }).click();
  await expect(page).toHaveURL(/status=inactive/);
  const resolved = alertCard(page, title);
  await expect(resolved).toContainText("Inactive");
  await expect(resolved).toContainText(/resolved .+ by the system/);
  await expect(resolved).toContainText("acknowledged by admin");
  await expect(resolved.getByRole("button")).toHaveCount(0);
});
