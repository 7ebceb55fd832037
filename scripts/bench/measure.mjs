// Running and measuring commands for the benchmark: wall time, CPU time and peak RSS of a whole
// command (GNU time reports the largest resident set of the process and the children it waited
// for), folder sizes, page-cache warming and flushing.
import { spawn, spawnSync } from "node:child_process";
import { Buffer } from "node:buffer";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";

export const GNU_TIME = "/usr/bin/time";
const KEEP = 256 * 1024; // bytes of stdout/stderr kept per command

/** Appends to a string, keeping only its last KEEP characters. */
const tail = (s, more) => (s.length + more.length > KEEP ? (s + more).slice(-KEEP) : s + more);

/**
 * Runs cmd under GNU time. Resolves { ok, code, wall, user, sys, maxRssKiB, stdout, stderr }:
 * stdout is kept whole up to 64 MiB (for --json output), stderr only its tail.
 */
export function timed(cmd, args, { cwd, env } = {}) {
  const timeFile = path.join(os.tmpdir(), `custodian-bench-time-${process.pid}-${Math.random().toString(36).slice(2)}`);
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(GNU_TIME, ["-f", "%e %U %S %M", "-o", timeFile, cmd, ...args], { cwd, env: env ?? process.env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8");
    child.stderr.setEncoding("utf8");
    child.stdout.on("data", (d) => {
      stdout = stdout.length > 64 * 1024 * 1024 ? tail(stdout, d) : stdout + d;
    });
    child.stderr.on("data", (d) => {
      stderr = tail(stderr, d);
    });
    child.on("error", reject);
    child.on("close", (code) => {
      const wall = (performance.now() - started) / 1000;
      let user = NaN, sys = NaN, maxRssKiB = NaN;
      try {
        // "Command exited with non-zero status N" may come first; the figures are on the last line.
        const last = fs.readFileSync(timeFile, "utf8").trim().split("\n").at(-1);
        [, user, sys, maxRssKiB] = last.split(" ").map(Number);
        fs.rmSync(timeFile, { force: true });
      } catch {
        // no figures: the command could not be started
      }
      resolve({ ok: code === 0, code, wall, user, sys, maxRssKiB, stdout, stderr });
    });
  });
}

/** Runs a shell pipeline under GNU time (for the tar and sha256 baselines). */
export function timedShell(script, opts) {
  return timed("bash", ["-o", "pipefail", "-ec", script], opts);
}

/** Runs a command to completion, untimed; throws with its output when it fails. */
export function must(cmd, args, { cwd, env, input } = {}) {
  const r = spawnSync(cmd, args, { cwd, env: env ?? process.env, input, encoding: "utf8", maxBuffer: 256 * 1024 * 1024 });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed (exit ${r.status}):\n${(r.stderr || r.stdout || "").slice(-4000)}`);
  return r.stdout;
}

/** Flushes dirty pages so that one step's writes are not paid for by the next. */
export function sync() {
  spawnSync("sync");
}

/**
 * Reads every byte under the folders once, untimed, so that each timed step starts with its inputs
 * in the page cache. This matters because borg drops the pages of files it reads (fadvise).
 */
export function warm(...dirs) {
  for (const d of dirs) if (fs.existsSync(d)) spawnSync("bash", ["-c", 'tar -cf - -C "$1" . 2>/dev/null | cat >/dev/null', "warm", d]);
}

/** Apparent bytes and allocated bytes (as du counts them) under a folder, symlinks not followed. */
export function du(dir) {
  let bytes = 0;
  let diskBytes = 0;
  const seen = new Set();
  const visit = (p) => {
    let st;
    try {
      st = fs.lstatSync(p);
    } catch {
      return;
    }
    const key = `${st.dev}:${st.ino}`;
    if (seen.has(key)) return;
    seen.add(key);
    bytes += st.isDirectory() ? 0 : st.size;
    diskBytes += st.blocks * 512;
    if (st.isDirectory()) for (const n of fs.readdirSync(p, { encoding: "buffer" })) visit(Buffer.concat([Buffer.from(p), Buffer.from("/"), n]));
  };
  visit(Buffer.from(dir));
  return { bytes, diskBytes };
}

/** Removes a folder we created (never anything outside the work folder). */
export function removeUnder(workDir, p) {
  const rel = path.relative(workDir, p);
  if (!rel || rel.startsWith("..") || path.isAbsolute(rel)) throw new Error(`refusing to remove ${p}: not inside ${workDir}`);
  fs.rmSync(p, { recursive: true, force: true });
}
