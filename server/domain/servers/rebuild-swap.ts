/**
 * The browser's rebuild wizard rebuilds a lost primary into a staging folder inside the data
 * folder of the new server that runs it, then the server restarts on it. This module is the
 * swap between the two, with nothing of the server open: the new server's own files (a catalog
 * with no users, a fresh pool, keys) are moved aside, the staging folder's move in.
 *
 * A crash (SIGKILL, power) can stop it between any two renames, so it is a roll-forward plan:
 * a marker file, written atomically before the first rename, says a swap is due and in which
 * phase; every step is idempotent; `serve` finishes a pending swap before it opens the catalog.
 * Nothing is deleted: the moved-aside folder stays for the admin to remove.
 */
import fs from "node:fs";
import path from "node:path";
import { writeFileAtomic } from "@/server/fs/write-file-atomic";

export const STAGING_DIR = "rebuild-staging";
export const SWAP_MARKER = "rebuild-swap.json";
export const ASIDE_PREFIX = "replaced-by-rebuild-";

interface SwapMarker {
  /** "aside": moving the new server's files out; "in": moving the staging folder's in. */
  phase: "aside" | "in";
  aside: string;
  at: string;
}

function fsyncDir(dir: string): void {
  const fd = fs.openSync(dir, "r");
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

function writeMarker(dataDir: string, marker: SwapMarker): void {
  writeFileAtomic(path.join(dataDir, SWAP_MARKER), JSON.stringify(marker) + "\n", 0o600);
}

function readMarker(dataDir: string): SwapMarker | null {
  let text: string;
  try {
    text = fs.readFileSync(path.join(dataDir, SWAP_MARKER), "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw err;
  }
  const m = JSON.parse(text) as Partial<SwapMarker>;
  if ((m.phase !== "aside" && m.phase !== "in") || typeof m.aside !== "string" || !m.aside.startsWith(ASIDE_PREFIX) || m.aside.includes("/")) {
    throw new Error(`${path.join(dataDir, SWAP_MARKER)} is not a rebuild swap plan this version understands: move it away only if no rebuild was in progress`);
  }
  return m as SwapMarker;
}

/** Names in the data folder that the swap itself owns and never moves. */
function isSwapOwn(name: string): boolean {
  return name === STAGING_DIR || name === SWAP_MARKER || name.startsWith(ASIDE_PREFIX);
}

/** Schedules the swap: the staging folder holds a complete rebuilt server. */
export function scheduleRebuildSwap(dataDir: string, now: Date): void {
  if (!fs.existsSync(path.join(dataDir, STAGING_DIR))) throw new Error(`no rebuilt server in ${path.join(dataDir, STAGING_DIR)}`);
  const stamp = now.toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z");
  writeMarker(dataDir, { phase: "aside", aside: `${ASIDE_PREFIX}${stamp}`, at: now.toISOString() });
}

/** Whether a swap is scheduled (or was interrupted) in `dataDir`. */
export function rebuildSwapPending(dataDir: string): boolean {
  return fs.existsSync(path.join(dataDir, SWAP_MARKER));
}

/**
 * Carries out (or finishes) a scheduled swap. Call with nothing open on the data folder.
 * Returns the folder the replaced files went to, or null when no swap was due.
 */
export function applyRebuildSwap(dataDir: string): { aside: string } | null {
  const marker = readMarker(dataDir);
  if (!marker) return null;
  const aside = path.join(dataDir, marker.aside);
  const staging = path.join(dataDir, STAGING_DIR);
  if (marker.phase === "aside") {
    fs.mkdirSync(aside, { recursive: true, mode: 0o700 });
    for (const name of fs.readdirSync(dataDir)) {
      if (isSwapOwn(name)) continue;
      fs.renameSync(path.join(dataDir, name), path.join(aside, name));
    }
    fsyncDir(aside);
    fsyncDir(dataDir);
    writeMarker(dataDir, { ...marker, phase: "in" });
  }
  if (fs.existsSync(staging)) {
    for (const name of fs.readdirSync(staging)) fs.renameSync(path.join(staging, name), path.join(dataDir, name));
    fsyncDir(dataDir);
    fs.rmdirSync(staging);
  }
  fs.rmSync(path.join(dataDir, SWAP_MARKER));
  fsyncDir(dataDir);
  return { aside };
}
