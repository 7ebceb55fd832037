import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect, test as base, type Page } from "@playwright/test";
import { seedCatalog } from "../scripts/bench-catalog/seed";
import { demoPassword } from "./fixtures";

// The manager's Reports page on a real server whose catalog holds a few months of history
// (seeded by the catalog benchmark's seeder, small), started in demo mode so that the demo
// manager exists. Its own process and port: the shared demo server's catalog is young.

interface SeededServer {
  url: string;
  dataDir: string;
  password: (role: string) => string;
}

const SMALL = { computers: 6, groups: 3, dataSources: 24, recoveryPoints: 2_500, indexedFiles: 300, jobs: 1_500, alerts: 60 };

const test = base.extend<object, { seeded: SeededServer }>({
  seeded: [
    // eslint-disable-next-line no-empty-pattern -- Playwright fixtures take their dependencies as a destructured object
    async ({}, use) => {
      const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "custodian-e2e-reports-"));
      seedCatalog(path.join(dataDir, "catalog.db"), { now: new Date(), size: SMALL, seed: 7 });
      const child = spawn(process.execPath, ["bin/custodian.js", "serve", "--data", dataDir, "--port", "0", "--host", "127.0.0.1", "--name", "e2e-reports", "--log-level", "warn", "--demo"], {
        cwd: path.join(import.meta.dirname, ".."),
        stdio: ["ignore", "pipe", "pipe"],
      });
      const url = await runningAt(child);
      const password = (role: string) =>
        fs
          .readFileSync(path.join(dataDir, "initial-passwords.txt"), "utf8")
          .split("\n")
          .find((l) => l.startsWith(`${role}\t`))!
          .split("\t")[2]!;
      await use({ url, dataDir, password });
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      await exited;
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
    { scope: "worker", timeout: 120_000 },
  ],
});

function runningAt(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => reject(new Error(`the server did not start:\n${out}`)), 90_000);
    const onData = (b: Buffer) => {
      out += b.toString();
      const m = /is running at (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    child.once("exit", (code) => reject(new Error(`the server exited with ${code}:\n${out}`)));
  });
}

async function signInAsManager(page: Page, s: SeededServer) {
  await page.goto(`${s.url}/login`);
  await page.getByLabel("User name").fill("manager");
  await page.getByLabel("Password").fill(s.password("manager"));
  await page.getByRole("button", { name: "Sign in" }).click();
  // The manager's home is the Reports page.
  await expect(page).toHaveURL(/\/reports$/);
  await expect(page.getByRole("heading", { level: 1, name: "Reports" })).toBeVisible();
}

test.describe("the manager's Reports page", () => {
  test.setTimeout(90_000);

  test("draws the health, SLA, job and storage charts and lists the worst data sources", async ({ page, seeded }) => {
    await signInAsManager(page, seeded);
    await page.locator("svg.recharts-surface").first().waitFor({ state: "visible" });
    const main = page.locator("main");
    await expect(main.locator(".recharts-wrapper")).toHaveCount(4);
    for (const name of ["Protected data sources per day by recovery-point health, all protection groups", "SLA compliance per protection group, in percent", "Share of finished jobs that succeeded, per day", "Bytes added to the storage pool per day, and their running total"]) {
      await expect(main.getByRole("img", { name })).toBeVisible();
    }
    // Stacked OK / warning / critical bars, with their legend.
    await expect(main.locator(".recharts-bar-rectangle").first()).toBeVisible();
    await expect(main.locator(".recharts-legend-item-text").filter({ hasText: /^(OK|Warning|Critical)$/ })).toHaveCount(3);
    await expect(main.getByTestId("days-until-full")).toContainText(/days?|not growing|full within a day|ten years/);
    await expect(main.getByRole("table", { name: "Data sources that need attention" }).getByRole("row")).not.toHaveCount(0);
    await expect(main.getByRole("alert")).toHaveCount(0);
  });

  test("asks the server for the range chosen", async ({ page, seeded }) => {
    await signInAsManager(page, seeded);
    await page.locator("svg.recharts-surface").first().waitFor();
    await expect(page.getByRole("button", { name: "30 days" })).toHaveAttribute("aria-pressed", "true");
    const asked = page.waitForRequest((r) => r.url().includes("reports.dashboard") && decodeURIComponent(r.url()).includes('"days":90'));
    await page.getByRole("button", { name: "90 days" }).click();
    await asked;
    await expect(page.getByRole("button", { name: "90 days" })).toHaveAttribute("aria-pressed", "true");
    await expect(page.getByText(/\(90 days\)/)).toBeVisible();
    await expect(page.locator("main .recharts-wrapper").first()).toBeVisible();
  });

  test("downloads a dataset as CSV", async ({ page, seeded }) => {
    await signInAsManager(page, seeded);
    await page.locator("svg.recharts-surface").first().waitFor();
    const download = page.waitForEvent("download");
    await page.getByRole("button", { name: "Download recovery-point health as CSV" }).click();
    const file = await download;
    expect(file.suggestedFilename()).toMatch(/^custodian-health-\d{4}-\d{2}-\d{2}_\d{4}-\d{2}-\d{2}\.csv$/);
    const text = fs.readFileSync(await file.path(), "utf8");
    const lines = text.replace(/^\uFEFF/, "").split("\r\n");
    expect(lines[0]).toBe("day,protection_group,ok,warning,critical");
    // 30 days for all groups together, then 30 per group (three groups), then the final CRLF.
    expect(lines).toHaveLength(1 + 30 * 4 + 1);
    expect(lines[1]).toMatch(/^\d{4}-\d{2}-\d{2},All protection groups,\d+,\d+,\d+$/);

    const worst = page.waitForEvent("download");
    await page.getByRole("button", { name: "Download the data sources that need attention as CSV" }).click();
    expect((await worst).suggestedFilename()).toMatch(/^custodian-worst-/);
  });

  test("changes nothing: no form, no button but the range and the downloads, and only queries", async ({ page, seeded }) => {
    const mutations: string[] = [];
    page.on("request", (r) => {
      if (r.url().includes("/api/trpc/") && r.method() !== "GET" && !r.url().includes("auth.login")) mutations.push(`${r.method()} ${r.url()}`);
    });
    await signInAsManager(page, seeded);
    await page.locator("svg.recharts-surface").first().waitFor();
    const main = page.locator("main");
    await expect(main.locator("form")).toHaveCount(0);
    await expect(main.getByRole("button", { name: /create|delete|remove|run|save|edit|add|new|cancel|retry|stop|start|restore|acknowledge|inactivate/i })).toHaveCount(0);
    await expect(main.getByRole("link", { name: /create|delete|remove|run|save|edit|add|new|cancel|retry|stop|start|restore/i })).toHaveCount(0);
    const buttons = await main.getByRole("button").allInnerTexts();
    expect(buttons.every((b) => /^(7|30|90|365) days$/.test(b.trim()) || b.trim() === "Download CSV"), buttons.join(" | ")).toBe(true);
    // Use everything the page offers, then check that none of it was a mutation.
    await page.getByRole("button", { name: "365 days" }).click();
    await expect(page.getByText(/\(365 days\)/)).toBeVisible();
    await main.getByRole("combobox").selectOption({ index: 1 });
    const download = page.waitForEvent("download");
    await page.getByRole("button", { name: "Download SLA compliance as CSV" }).click();
    await download;
    expect(mutations).toEqual([]);
  });
});

test("the shared demo server's manager sees the demo groups on the Reports page", async ({ page }) => {
  test.setTimeout(60_000);
  await page.goto("/login");
  await page.getByLabel("User name").fill("manager");
  await page.getByLabel("Password").fill(demoPassword("manager"));
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/reports$/);
  // Demo mode protects its sample data in two groups as it starts: once they exist, their SLA bars are drawn.
  await expect(async () => {
    await page.reload();
    await expect(page.getByRole("img", { name: "SLA compliance per protection group, in percent" })).toBeVisible({ timeout: 5_000 });
  }).toPass({ timeout: 45_000 });
  await expect(page.locator("main").getByRole("alert")).toHaveCount(0);
});
