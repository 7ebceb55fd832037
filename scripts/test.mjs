// `npm test`: the whole suite, as CI runs it. Finds (or, as root on Debian, installs) the
// Chromium the browser tests need, builds the UI if needed, runs the unit and integration
// tests (vitest) and the end-to-end tests (Playwright), and ends with one plain line,
// "N passed, N failed", that CI reads.
import fs from "node:fs";
import path from "node:path";
import { spawnSync } from "node:child_process";
import { ensureBuild } from "./ensure-build.mjs";

const root = path.resolve(import.meta.dirname, "..");
const reports = path.join(root, ".test-reports");
fs.mkdirSync(reports, { recursive: true });
const env = { ...process.env, NEXT_TELEMETRY_DISABLED: "1" };

function findChromium() {
  for (const p of [process.env.CHROMIUM_PATH, "/usr/bin/chromium", "/usr/bin/chromium-browser"]) if (p && fs.existsSync(p)) return p;
  return null;
}

let chromium = findChromium();
if (!chromium && process.getuid?.() === 0 && fs.existsSync("/usr/bin/apt-get")) {
  console.log("Installing Debian's chromium for the browser tests (apt-get)…");
  const aptEnv = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  spawnSync("apt-get", ["update", "-qq"], { stdio: "inherit", env: aptEnv });
  spawnSync("apt-get", ["install", "-y", "-qq", "chromium"], { stdio: "inherit", env: aptEnv });
  chromium = findChromium();
}
if (!chromium) {
  console.error(
    "custodian: the end-to-end tests need Chromium and none was found.\n" +
      "  On Debian/Ubuntu: sudo apt-get install chromium   (or set CHROMIUM_PATH to a Chromium binary)\n",
  );
  console.log("0 passed, 1 failed");
  process.exit(1);
}
env.CHROMIUM_PATH = chromium;

ensureBuild();

const bin = (pkg, rel) => path.join(root, "node_modules", pkg, rel);
const vitestJson = path.join(reports, "vitest.json");
const playwrightJson = path.join(reports, "playwright.json");
for (const f of [vitestJson, playwrightJson]) fs.rmSync(f, { force: true });

console.log("\n== Unit and integration tests (vitest) ==");
spawnSync(process.execPath, [bin("vitest", "vitest.mjs"), "run", "--reporter=default", "--reporter=json", `--outputFile.json=${vitestJson}`], { cwd: root, stdio: "inherit", env });

console.log("\n== End-to-end tests (Playwright, Chromium) ==");
spawnSync(process.execPath, [bin("@playwright/test", "cli.js"), "test", "--config", "e2e/playwright.config.ts", "--reporter=list,json"], {
  cwd: root,
  stdio: "inherit",
  env: { ...env, PLAYWRIGHT_JSON_OUTPUT_NAME: playwrightJson },
});

function readJson(f) {
  try {
    return JSON.parse(fs.readFileSync(f, "utf8"));
  } catch {
    return null;
  }
}
const v = readJson(vitestJson);
const p = readJson(playwrightJson);
let passed = 0;
let failed = 0;
let skipped = 0;
if (v) {
  passed += v.numPassedTests;
  failed += v.numFailedTests;
  // a file that fails to load has no failed test of its own, but fails the run
  if (!v.success && v.numFailedTests === 0) failed += 1;
  skipped += v.numPendingTests + v.numTodoTests;
} else {
  console.error("vitest wrote no report: counting it as a failure");
  failed += 1;
}
if (p) {
  passed += p.stats.expected;
  failed += p.stats.unexpected + p.stats.flaky + (p.errors?.length ?? 0);
  skipped += p.stats.skipped;
} else {
  console.error("Playwright wrote no report: counting it as a failure");
  failed += 1;
}
console.log(`\n${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ""}`);
process.exit(failed > 0 || passed === 0 ? 1 : 0);
