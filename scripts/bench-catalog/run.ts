/**
 * `npm run bench:catalog`: how fast the catalog's read paths are with a large catalog.
 *
 *   1. Seeds a fresh catalog in a temp folder (see seed.ts): 5,000 data sources on 500
 *      computers in 50 groups, a million recovery points over the last year, a million
 *      indexed file paths with their FTS5 trigram index and ~1.5 versions each, 200,000 jobs,
 *      20,000 alerts. Prints how long each part took.
 *   2. Calls tRPC procedures in-process through createCaller, as a signed-in manager, on
 *      services built by the composition root, and prints p50/p95 over --calls calls each
 *      (the first call, which fills caches, is shown on its own).
 *   3. Serves the catalog with a real `custodian serve` (the production build) and measures,
 *      in headless Chromium, the time from navigating to /reports to the first chart drawn.
 *
 * Not a test and not part of `npm test`. Figures go to bench-results/catalog-<time>.json and
 * bench-results/catalog-latest.json.
 *
 *   npm run bench:catalog
 *   npm run bench:catalog -- --calls 30 --page-loads 5 --keep --work /tmp/catalog-bench
 *   npm run bench:catalog -- --skip-browser
 */
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import pino from "pino";
import { chromium } from "@playwright/test";
import { createServices } from "@/server/composition";
import { createCaller } from "@/server/api/root";
import type { Context } from "@/server/api/trpc";
import { addBenchUsers, seedCatalog } from "./seed";

const ROOT = path.resolve(import.meta.dirname, "..", "..");

const { values: args } = parseArgs({
  options: {
    calls: { type: "string", default: "30" },
    "page-loads": { type: "string", default: "5" },
    work: { type: "string" },
    keep: { type: "boolean", default: false },
    "skip-browser": { type: "boolean", default: false },
    seed: { type: "string", default: "42" },
    help: { type: "boolean", default: false },
  },
});
if (args.help) {
  process.stdout.write(
    [
      "npm run bench:catalog [-- options]",
      "  --calls N         timed calls per procedure after the first (default 30)",
      "  --page-loads N    timed loads of the Reports page in Chromium (default 5)",
      "  --work DIR        where to seed (default: a new folder under the OS temp folder)",
      "  --keep            keep the seeded catalog afterwards",
      "  --skip-browser    skip the Reports page measurement",
      "  --seed N          data seed (default 42)",
      "Env: CHROMIUM_PATH (default /usr/bin/chromium), CUSTODIAN_DIST_DIR (the build to serve).",
      "",
    ].join("\n"),
  );
  process.exit(0);
}

const CALLS = Number(args.calls);
const PAGE_LOADS = Number(args["page-loads"]);
const log = (line: string) => process.stdout.write(`${line}\n`);

interface ProcedureFigures {
  procedure: string;
  input: unknown;
  targetMs: number;
  firstMs: number;
  p50Ms: number;
  p95Ms: number;
  maxMs: number;
  calls: number;
  note?: string;
}

/** Nearest-rank percentile. */
function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

async function timeCalls(name: string, input: unknown, targetMs: number, call: () => Promise<unknown>): Promise<ProcedureFigures> {
  let t0 = performance.now();
  await call();
  const firstMs = performance.now() - t0;
  const times: number[] = [];
  for (let i = 0; i < CALLS; i++) {
    t0 = performance.now();
    await call();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return { procedure: name, input, targetMs, firstMs, p50Ms: percentile(times, 50), p95Ms: percentile(times, 95), maxMs: times.at(-1)!, calls: CALLS };
}

async function measureProcedures(dataDir: string): Promise<{ figures: ProcedureFigures[]; skipped: string[] }> {
  const services = createServices({ dataDir, serverName: "bench", log: pino({ level: "silent" }) });
  const ctx: Context = {
    services,
    user: { id: 1, username: "manager", displayName: "Bench manager", role: "manager", mustChangePassword: false },
    clientAddress: "127.0.0.1",
    userAgent: "bench-catalog",
    session: { token: null, set: async () => undefined, clear: () => undefined },
  };
  const caller = createCaller(ctx);
  // Procedures are looked up by name so that the bench runs (and says what it skipped)
  // whatever the router holds today.
  const proc = (p: string) => p.split(".").reduce<unknown>((o, k) => (o as Record<string, unknown> | undefined)?.[k], caller) as ((input: unknown) => Promise<unknown>) | undefined;
  const plan: [string, unknown, number][] = [
    ["reports.dashboard", { days: 30 }, 150],
    ["reports.dashboard", { days: 365 }, 150],
    ["monitoring.jobs", { limit: 100 }, 150],
    ["monitoring.jobs", { state: "failed", limit: 100 }, 150],
    ["monitoring.alerts", { limit: 100 }, 150],
    ["monitoring.alerts", { active: true, limit: 100 }, 150],
    ["recovery.search", { query: "report" }, 300],
    ["recovery.search", { query: "budget q3" }, 300],
  ];
  const figures: ProcedureFigures[] = [];
  const skipped: string[] = [];
  for (const [name, input, target] of plan) {
    const fn = proc(name);
    if (typeof fn !== "function") {
      skipped.push(name);
      log(`  ${name}: not in the router today, skipped`);
      continue;
    }
    const f = await timeCalls(name, input, target, () => fn(input));
    figures.push(f);
    log(`  ${name} ${JSON.stringify(input)}: first ${f.firstMs.toFixed(0)} ms, p50 ${f.p50Ms.toFixed(1)} ms, p95 ${f.p95Ms.toFixed(1)} ms`);
  }
  await services.jobs.stop();
  await services.protection.close();
  services.db.$client.close();
  return { figures, skipped };
}

function startServer(dataDir: string): Promise<{ child: ChildProcess; url: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(ROOT, "bin", "custodian.js"), "serve", "--data", dataDir, "--port", "0", "--host", "127.0.0.1", "--name", "bench-catalog", "--log-level", "warn"], {
      cwd: ROOT,
      env: process.env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    const timer = setTimeout(() => reject(new Error(`custodian serve did not start in 180 s:\n${out}`)), 180_000);
    const onData = (b: Buffer) => {
      out += b.toString();
      const m = /is running at (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ child, url: m[1]! });
      }
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`custodian serve exited with ${code}:\n${out}`));
    });
  });
}

async function stopServer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGTERM");
  const killed = setTimeout(() => child.kill("SIGKILL"), 30_000);
  await exited;
  clearTimeout(killed);
}

interface PageFigures {
  loads: number[];
  firstMs: number;
  medianMs: number;
  maxMs: number;
  targetMs: number;
}

/** Navigation to /reports until a chart's first path is visible, signed in as the manager. */
async function measureReportsPage(dataDir: string, password: string): Promise<PageFigures> {
  const { child, url } = await startServer(dataDir);
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(`${url}/login`);
    await page.getByLabel("User name").fill("manager");
    await page.getByLabel("Password").fill(password);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.waitForSelector("[data-testid=current-user]", { timeout: 60_000 });
    // Leave the home page (the manager's home is /reports) so that each load below is a navigation.
    await page.goto(`${url}/settings/audit`);
    const loads: number[] = [];
    for (let i = 0; i < PAGE_LOADS; i++) {
      await page.goto("about:blank");
      const t0 = performance.now();
      await page.goto(`${url}/reports`);
      await page.locator("svg.recharts-surface path").first().waitFor({ state: "visible", timeout: 60_000 });
      loads.push(performance.now() - t0);
      log(`  load ${i + 1}: first chart after ${loads.at(-1)!.toFixed(0)} ms`);
    }
    const sorted = [...loads].sort((a, b) => a - b);
    return { loads, firstMs: loads[0]!, medianMs: percentile(sorted, 50), maxMs: sorted.at(-1)!, targetMs: 1500 };
  } finally {
    await browser.close();
    await stopServer(child);
  }
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ")).join("\n");
}

const work = args.work ? path.resolve(args.work) : fs.mkdtempSync(path.join(os.tmpdir(), "custodian-bench-catalog-"));
fs.mkdirSync(work, { recursive: true });
if (fs.existsSync(path.join(work, "catalog.db"))) {
  process.stderr.write(`bench:catalog: ${work} already holds a catalog; give an empty folder.\n`);
  process.exit(2);
}

try {
  log(`Seeding ${path.join(work, "catalog.db")}`);
  const t0 = performance.now();
  const seeded = seedCatalog(path.join(work, "catalog.db"), { now: new Date(), seed: Number(args.seed), log });
  const seedSeconds = (performance.now() - t0) / 1000;
  log(`  total            ${seedSeconds.toFixed(1).padStart(6)} s  (${fs.statSync(path.join(work, "catalog.db")).size >> 20} MiB)`);

  log(`\nProcedures in-process (${CALLS} timed calls each, as the manager)`);
  const { figures, skipped } = await measureProcedures(work);

  let page: PageFigures | null = null;
  if (!args["skip-browser"]) {
    log(`\nReports page in headless Chromium (${PAGE_LOADS} loads)`);
    const users = await addBenchUsers(work);
    page = await measureReportsPage(work, users.find((u) => u.role === "manager")!.password);
  }

  const ms = (x: number) => x.toFixed(x < 10 ? 1 : 0);
  log("\nSeeding");
  log(table([["part", "seconds", "rows"], ...Object.entries(seeded.seconds).map(([k, v]) => [k, v.toFixed(1), (seeded.counts[k] ?? 0).toLocaleString("en-US")]), ["total", seedSeconds.toFixed(1), ""]]));
  log("\nProcedures (ms)");
  log(
    table([
      ["procedure", "input", "first", "p50", "p95", "max", "target p95", "ok"],
      ...figures.map((f) => [f.procedure, JSON.stringify(f.input), ms(f.firstMs), ms(f.p50Ms), ms(f.p95Ms), ms(f.maxMs), `< ${f.targetMs}`, f.p95Ms < f.targetMs ? "yes" : "NO"]),
    ]),
  );
  for (const s of skipped) log(`${s}: not in the router when this ran, skipped`);
  if (page) {
    log("\nReports page: navigation to the first chart drawn (ms)");
    log(table([["first load", "median", "max", "target", "ok"], [ms(page.firstMs), ms(page.medianMs), ms(page.maxMs), `< ${page.targetMs}`, page.medianMs < page.targetMs ? "yes" : "NO"]]));
  }

  const results = { at: new Date().toISOString(), host: { cpus: os.cpus().length, node: process.version, platform: process.platform }, counts: seeded.counts, seedSeconds: { ...seeded.seconds, total: seedSeconds }, procedures: figures, skipped, reportsPage: page };
  const dir = path.join(ROOT, "bench-results");
  fs.mkdirSync(dir, { recursive: true });
  const stamp = results.at.replace(/[:.]/g, "-");
  fs.writeFileSync(path.join(dir, `catalog-${stamp}.json`), JSON.stringify(results, null, 2));
  fs.writeFileSync(path.join(dir, "catalog-latest.json"), JSON.stringify(results, null, 2));
  log(`\nWritten to bench-results/catalog-${stamp}.json`);
} finally {
  if (args.keep) log(`Kept the catalog in ${work}`);
  else fs.rmSync(work, { recursive: true, force: true });
}
