// Builds the web UI (next build) when it is missing or older than its sources.
import fs from "node:fs";
import path from "node:path";
import { spawnSync } from "node:child_process";

const root = path.resolve(import.meta.dirname, "..");
const SOURCES = ["app", "components", "server", "db", "public", "next.config.js", "postcss.config.mjs", "package.json", "tsconfig.json"];

function newestMtime(p) {
  let st;
  try {
    st = fs.statSync(p);
  } catch {
    return 0;
  }
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = st.mtimeMs;
  for (const entry of fs.readdirSync(p)) newest = Math.max(newest, newestMtime(path.join(p, entry)));
  return newest;
}

export function ensureBuild({ force = false } = {}) {
  const buildId = path.join(root, process.env.CUSTODIAN_DIST_DIR || ".next", "BUILD_ID");
  const built = fs.existsSync(buildId) ? fs.statSync(buildId).mtimeMs : 0;
  const sources = Math.max(...SOURCES.map((s) => newestMtime(path.join(root, s))));
  if (!force && built > sources) return false;
  console.log(built ? "Sources changed since the last build: building the web UI…" : "Building the web UI (first run)…");
  const r = spawnSync(process.execPath, [path.join(root, "node_modules", "next", "dist", "bin", "next"), "build"], {
    cwd: root,
    stdio: "inherit",
    env: { ...process.env, NEXT_TELEMETRY_DISABLED: "1" },
  });
  if (r.status !== 0) {
    console.error("custodian: the web UI build failed (see above).");
    process.exit(r.status ?? 1);
  }
  return true;
}

if (import.meta.url === `file://${process.argv[1]}`) ensureBuild({ force: process.argv.includes("--force") });
