/**
 * Reliability of the backup engine, with real `custodian pool …` processes and real files:
 *
 *  1. SIGKILL at random moments of a backup (seeded, ≥ 20 trials): after each kill the pool
 *     verifies clean, lists only complete recovery points (each new one restores exactly the
 *     source it was taken of), a dead backup's lock never blocks prune, and a final backup
 *     restores byte for byte.
 *  2. A flipped byte in a pack: verify names the chunk and the files it costs; restore fails
 *     exactly those files and restores every other one.
 *  3. Write failures mid-backup (RLIMIT_FSIZE everywhere; a full tmpfs when mounting is
 *     allowed): a clear error, no partial recovery point, earlier ones still restore.
 *  4. Bad input at the command line: clear messages and the documented exit codes.
 *
 * The kill delays come from a seeded PRNG; the seed is printed when a test fails and can be
 * replayed with CUSTODIAN_TEST_SEED=<seed> (CUSTODIAN_KILL_TRIALS=<n> changes the trial count).
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { createCipheriv, createHash } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { CLI, PROJECT_DIR, runCli } from "./serve-process";
import { mulberry32 } from "@/server/seeded-random";

const SEED = process.env.CUSTODIAN_TEST_SEED ? Number(process.env.CUSTODIAN_TEST_SEED) >>> 0 : (Math.random() * 2 ** 32) >>> 0;
const KILL_TRIALS = Math.max(20, Number(process.env.CUSTODIAN_KILL_TRIALS) || 20);

const tmpDirs: string[] = [];
const tmpDir = (tag: string) => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), `custodian-rel-${tag}-`));
  tmpDirs.push(d);
  return d;
};
const mounts: string[] = [];
/** Backups this file spawned itself: any still running when the file ends (a failed test) is killed. */
const children = new Set<ChildProcess>();
afterAll(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
  for (const m of mounts) {
    if (spawnSync("umount", [m]).status !== 0) spawnSync("umount", ["-l", m]);
  }
  for (const d of tmpDirs) fs.rmSync(d, { recursive: true, force: true });
});

// ---------------------------------------------------------------------------------------------
// Deterministic randomness

/** mulberry32: a small seeded PRNG, [0, 1). */
function prng(seed: number) {
  const next = mulberry32(seed);
  return {
    next,
    int: (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1)),
    pick: <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)]!,
    /** Incompressible bytes (AES-128-CTR keystream keyed from the PRNG): fast and repeatable. */
    bytes(n: number): Buffer {
      const key = Buffer.alloc(16);
      for (let i = 0; i < 16; i += 4) key.writeUInt32LE((next() * 2 ** 32) >>> 0, i);
      return createCipheriv("aes-128-ctr", key, Buffer.alloc(16)).update(Buffer.alloc(n));
    },
    /** Text that compresses (roughly 3:1 with zstd), like documents and logs. */
    text(n: number): Buffer {
      const parts: string[] = [];
      let len = 0;
      while (len < n) {
        const line = `${WORDS[Math.floor(next() * WORDS.length)]} ${Math.floor(next() * 100000)} ${WORDS[Math.floor(next() * WORDS.length)]} ${WORDS[Math.floor(next() * WORDS.length)]}\n`;
        parts.push(line);
        len += line.length;
      }
      return Buffer.from(parts.join("")).subarray(0, n);
    },
  };
}
type Rng = ReturnType<typeof prng>;
const WORDS = "invoice ledger backup restore quarterly budget meeting notes draft final review customer order shipment payroll tape vault server replica chunk pack index".split(" ");

// ---------------------------------------------------------------------------------------------
// Trees: what a source looks like, and whether a restore equals it

interface Node {
  type: "file" | "dir" | "symlink";
  mode: number;
  mtimeMs: number;
  size?: number;
  sha?: string;
  target?: string;
}
/** Relative path (hex of its bytes, so non-UTF-8 names compare exactly) → node. The root itself is not included. */
type Tree = Map<string, Node>;

const SLASH = Buffer.from("/");
function describeTree(root: string): Tree {
  const out: Tree = new Map();
  const visit = (abs: Buffer, rel: Buffer | null) => {
    for (const name of fs.readdirSync(abs, { encoding: "buffer" })) {
      const childAbs = Buffer.concat([abs, SLASH, name]);
      const childRel = rel ? Buffer.concat([rel, SLASH, name]) : name;
      const s = fs.lstatSync(childAbs);
      const key = childRel.toString("hex");
      if (s.isDirectory()) {
        out.set(key, { type: "dir", mode: s.mode & 0o7777, mtimeMs: s.mtimeMs });
        visit(childAbs, childRel);
      } else if (s.isSymbolicLink()) {
        out.set(key, { type: "symlink", mode: s.mode & 0o7777, mtimeMs: s.mtimeMs, target: fs.readlinkSync(childAbs, { encoding: "buffer" }).toString("hex") });
      } else {
        out.set(key, { type: "file", mode: s.mode & 0o7777, mtimeMs: s.mtimeMs, size: s.size, sha: createHash("sha256").update(fs.readFileSync(childAbs)).digest("hex") });
      }
    }
  };
  visit(Buffer.from(root), null);
  return out;
}

const showKey = (hex: string) => JSON.stringify(Buffer.from(hex, "hex").toString("utf8"));

/** Every difference between two trees, as readable lines (empty when they are equal). */
function treeDiff(expected: Tree, actual: Tree): string[] {
  const diffs: string[] = [];
  for (const [k, e] of expected) {
    const a = actual.get(k);
    if (!a) {
      diffs.push(`missing: ${showKey(k)}`);
      continue;
    }
    for (const f of ["type", "mode", "size", "sha", "target"] as const) {
      if (e[f] !== a[f]) diffs.push(`${showKey(k)}: ${f} ${String(a[f])} instead of ${String(e[f])}`);
    }
    // Times are kept as float milliseconds; a round trip through utimes costs < 1 µs.
    if (Math.abs(e.mtimeMs - a.mtimeMs) > 0.002) diffs.push(`${showKey(k)}: mtime ${a.mtimeMs} instead of ${e.mtimeMs}`);
  }
  for (const k of actual.keys()) if (!expected.has(k)) diffs.push(`unexpected: ${showKey(k)}`);
  return diffs;
}

// ---------------------------------------------------------------------------------------------
// Sources

const OLD = Date.UTC(2019, 4, 1) / 1000;

/** A few hundred files in nested folders: documents, logs, incompressible media, links, odd names and modes. */
function makeSource(root: string, rng: Rng): void {
  const dirs = ["docs", "docs/reports", "docs/reports/2025", "media", "media/photos", "src/lib", "src/app", "logs", "private", "deep/a/b/c/d", "empty-dir", "weird names"];
  for (const d of dirs) fs.mkdirSync(path.join(root, d), { recursive: true });
  const textDirs = ["docs", "docs/reports", "docs/reports/2025", "src/lib", "src/app", "deep/a/b/c/d", "weird names"];
  for (let i = 0; i < 220; i++) {
    const f = path.join(root, rng.pick(textDirs), `note-${i}.txt`);
    fs.writeFileSync(f, rng.text(rng.int(200, 30_000)), { mode: rng.pick([0o644, 0o644, 0o600, 0o640, 0o755]) });
  }
  for (let i = 0; i < 60; i++) fs.writeFileSync(path.join(root, "media/photos", `img-${i}.jpg`), rng.bytes(rng.int(2_000, 120_000)));
  for (let i = 0; i < 4; i++) fs.writeFileSync(path.join(root, "media", `video-${i}.mp4`), rng.bytes(rng.int(600_000, 1_500_000)));
  for (let i = 0; i < 2; i++) fs.writeFileSync(path.join(root, "logs", `app-${i}.log`), rng.text(1_000_000));
  for (let i = 0; i < 3; i++) fs.writeFileSync(path.join(root, "docs", `empty-${i}`), "");
  fs.writeFileSync(path.join(root, "private", "keys.pem"), rng.bytes(3000), { mode: 0o600 });
  fs.writeFileSync(path.join(root, "src/app", "run.sh"), "#!/bin/sh\necho hi\n", { mode: 0o755 });
  fs.writeFileSync(path.join(root, "docs", "read-only.txt"), rng.text(5000), { mode: 0o444 });
  fs.writeFileSync(path.join(root, "weird names", "résumé ✓ (final).txt"), rng.text(9000));
  fs.writeFileSync(Buffer.from(`${root}/weird names/latin1-\xe9t\xe9`, "latin1"), rng.text(1234));
  fs.symlinkSync("../docs/note-1.txt", path.join(root, "src", "link-to-note"));
  fs.symlinkSync("docs/reports", path.join(root, "reports-link"));
  fs.symlinkSync("nowhere/at/all", path.join(root, "dangling"));
  fs.symlinkSync("/etc/hostname", path.join(root, "absolute-link"));
  // Old times on some files and links; folders last (writing inside one changes its mtime).
  for (let i = 0; i < 220; i += 7) {
    for (const d of textDirs) {
      const f = path.join(root, d, `note-${i}.txt`);
      if (fs.existsSync(f)) fs.utimesSync(f, OLD + i * 3600.25, OLD + i * 3600.25);
    }
  }
  fs.lutimesSync(path.join(root, "dangling"), OLD, OLD);
  fs.chmodSync(path.join(root, "private"), 0o700);
  for (const d of dirs) fs.utimesSync(path.join(root, d), OLD + 77.5, OLD + 77.5);
}

/**
 * The source of one backup: `base` copied into `dst` with hard links, then changed (new,
 * replaced, grown and deleted files, a new mode). Linking gives every file a new ctime, so each
 * backup reads the whole source again: the same amount of work every time, however many
 * backups before it were killed. Changes never write through a link (they replace files), so
 * `base` stays as it was made.
 */
function freshSource(base: string, dst: string, rng: Rng, round: number): void {
  fs.rmSync(dst, { recursive: true, force: true });
  const dirTimes: [Buffer, fs.Stats][] = [];
  const copy = (from: Buffer, to: Buffer) => {
    const s = fs.lstatSync(from);
    fs.mkdirSync(to);
    fs.chmodSync(to, s.mode & 0o7777);
    dirTimes.push([to, s]);
    for (const name of fs.readdirSync(from, { encoding: "buffer" })) {
      const f = Buffer.concat([from, SLASH, name]);
      const t = Buffer.concat([to, SLASH, name]);
      const c = fs.lstatSync(f);
      if (c.isDirectory()) copy(f, t);
      else if (c.isSymbolicLink()) {
        fs.symlinkSync(fs.readlinkSync(f, { encoding: "buffer" }), t);
        fs.lutimesSync(t, c.atime, c.mtime);
      } else fs.linkSync(f, t);
    }
  };
  copy(Buffer.from(base), Buffer.from(dst));
  const replace = (rel: string, data: Buffer, mode = 0o644) => {
    fs.rmSync(path.join(dst, rel), { force: true });
    fs.writeFileSync(path.join(dst, rel), data, { mode });
  };
  for (let k = 0; k < 2; k++) replace(`media/video-${rng.int(0, 3)}.mp4`, rng.bytes(rng.int(400_000, 1_000_000)));
  replace(`media/photos/img-${rng.int(0, 59)}.jpg`, rng.bytes(rng.int(2_000, 150_000)));
  const log = `logs/app-${rng.int(0, 1)}.log`;
  replace(log, Buffer.concat([fs.readFileSync(path.join(base, log)), rng.text(200_000)]));
  fs.mkdirSync(path.join(dst, "new"));
  fs.writeFileSync(path.join(dst, "new", `round-${round}.bin`), rng.bytes(rng.int(1_000_000, 2_000_000)));
  fs.writeFileSync(path.join(dst, "new", `round-${round}.txt`), rng.text(rng.int(300_000, 800_000)), { mode: round % 2 ? 0o600 : 0o755 });
  fs.rmSync(path.join(dst, "docs", "reports", `note-${rng.int(0, 219)}.txt`), { force: true });
  for (const [d, st] of dirTimes.reverse()) fs.utimesSync(d, st.atime, st.mtime);
}

// ---------------------------------------------------------------------------------------------
// Processes

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Runs the CLI through a wrapper command (which ends by exec'ing the rest of its arguments). */
function runWrapped(wrap: string[], args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const child = spawn(wrap[0]!, [...wrap.slice(1), process.execPath, CLI, ...args], { cwd: PROJECT_DIR, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.once("close", (code, signal) => resolve({ code, signal, stdout, stderr, ms: performance.now() - t0 }));
  });
}

interface KillPlan {
  /** Counted from the spawn, or from the moment the backup's lock file appears (its work begins). */
  from: "spawn" | "lock";
  ms: number;
}

/**
 * A `pool backup` whose start of work is watched (its lock file appearing in POOL/locks), and
 * with a plan, SIGKILLed that many milliseconds after the spawn or after the lock appeared.
 */
function watchedBackup(pool: string, src: string, plan: KillPlan | null): Promise<Run & { lockAt: number | null; pid: number }> {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const locks = path.join(pool, "locks");
    let lockAt: number | null = null;
    let timer: NodeJS.Timeout | undefined;
    const child = spawn(process.execPath, [CLI, "pool", "backup", pool, src, "--json"], { cwd: PROJECT_DIR, stdio: ["ignore", "pipe", "pipe"] });
    children.add(child);
    const kill = () => child.kill("SIGKILL");
    const watcher = fs.watch(locks, (_event, name) => {
      if (lockAt !== null || !name?.endsWith(".json")) return;
      try {
        if ((JSON.parse(fs.readFileSync(path.join(locks, name), "utf8")) as { pid: number }).pid !== child.pid) return;
      } catch {
        return; // another process's lock, or ours already gone
      }
      lockAt = performance.now() - t0;
      if (plan?.from === "lock") timer = setTimeout(kill, plan.ms);
    });
    if (plan?.from === "spawn") timer = setTimeout(kill, plan.ms);
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.once("close", (code, signal) => {
      clearTimeout(timer);
      watcher.close();
      resolve({ code, signal, stdout, stderr, ms: performance.now() - t0, lockAt, pid: child.pid! });
    });
  });
}

async function cli(args: string[]): Promise<Run> {
  const t0 = performance.now();
  const r = await runCli(args);
  return { ...r, signal: null, ms: performance.now() - t0 };
}

const show = (r: Run) => `exit ${r.code}${r.signal ? ` (${r.signal})` : ""}\nstdout: ${r.stdout.slice(0, 3000)}\nstderr: ${r.stderr.slice(0, 3000)}`;
const STACK_LINE = /^\s+at .+[:(]/m;

interface VerifyJson {
  ok: boolean;
  chunkProblems: { chunk: string; pack: string | null; kind: string; recoveryPoints: string[]; fileCount: number; files: { recoveryPoint: string; path: string }[] }[];
  packProblems: { pack: string; detail: string }[];
  recoveryPointProblems: unknown[];
  unindexedPacks: string[];
  unreferencedChunks: number;
  recoveryPoints: number;
}

async function listIds(pool: string): Promise<string[]> {
  const r = await cli(["pool", "ls", pool, "--json"]);
  expect(r.code, show(r)).toBe(0);
  return (JSON.parse(r.stdout) as { id: string }[]).map((x) => x.id);
}

/** Restores `id` into a fresh folder and returns the differences from `expected`. */
async function restoreDiff(pool: string, id: string, expected: Tree, scratch: string): Promise<string[]> {
  const target = fs.mkdtempSync(path.join(scratch, "restore-"));
  try {
    const r = await cli(["pool", "restore", pool, id, target, "--json"]);
    if (r.code !== 0) return [`restore of ${id} failed: ${show(r)}`];
    return treeDiff(expected, describeTree(target));
  } finally {
    fs.rmSync(target, { recursive: true, force: true });
  }
}

const lockFiles = (pool: string) => fs.readdirSync(path.join(pool, "locks")).filter((n) => n.endsWith(".json"));
const tempFilesUnder = (dir: string) => (fs.readdirSync(dir, { recursive: true }) as string[]).filter((n) => n.endsWith(".tmp"));

// ---------------------------------------------------------------------------------------------

describe("engine reliability: SIGKILL during backups", () => {
  it(`survives SIGKILL at random moments of a backup (${KILL_TRIALS} trials, seed ${SEED})`, { timeout: 180_000 }, async ({ onTestFailed }) => {
    const log: string[] = [];
    onTestFailed(() => console.error(`engine-reliability: replay with CUSTODIAN_TEST_SEED=${SEED}\n  ${log.join("\n  ")}`));
    const rng = prng(SEED);
    const work = tmpDir("kill");
    const base = path.join(work, "base");
    const src = path.join(work, "src");
    const pool = path.join(work, "pool");
    makeSource(base, rng);
    expect((await cli(["pool", "init", pool])).code).toBe(0);

    const known = new Set<string>();
    // The first recovery point, then two more: how long the process takes to start (until its
    // lock appears) and how long a trial's backup then works (each trial's source is new by
    // ctime, so every backup reads everything and stores the new data: the same work each time).
    let round = 0;
    const starts: number[] = [];
    const works: number[] = [];
    for (let i = 0; i < 3; i++) {
      freshSource(base, src, rng, ++round);
      const r = await watchedBackup(pool, src, null);
      expect(r.code, show(r)).toBe(0);
      known.add((JSON.parse(r.stdout) as { id: string }).id);
      if (i > 0 && r.lockAt !== null) {
        starts.push(r.lockAt);
        works.push(r.ms - r.lockAt);
      }
    }
    expect(works.length, "the backup's lock file was never seen").toBeGreaterThan(0);
    const startupMs = Math.min(...starts);
    // Updated with every trial that completes, so that a slow or a quick moment of the machine
    // during the first measurements does not skew every delay.
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

    // When to kill: a few very early (while the process starts, before it touches the pool), a
    // few very late (around the header write and the exit), the rest spread over the work.
    const phases = Array.from({ length: KILL_TRIALS }, (_, i): string => (i < 3 ? "early" : i < 7 ? "late" : "spread"));
    for (let i = phases.length - 1; i > 0; i--) {
      const j = rng.int(0, i);
      [phases[i], phases[j]] = [phases[j]!, phases[i]!];
    }

    // What the kills left behind, to show which crash states the trials reached.
    const partialPacks = new Set<string>();
    const unindexedPacks = new Set<string>();
    let killed = 0;
    let completed = 0;
    let restoredPoints = 0;
    for (let trial = 0; trial < KILL_TRIALS; trial++) {
      freshSource(base, src, rng, ++round);
      const expected = describeTree(src);
      const phase = phases[trial]!;
      const workMs = median(works);
      const plan: KillPlan =
        phase === "early"
          ? { from: "spawn", ms: Math.round(rng.next() * startupMs * 0.9) }
          : { from: "lock", ms: Math.round(workMs * (phase === "late" ? 0.85 + rng.next() * 0.3 : rng.next())) };
      const r = await watchedBackup(pool, src, plan);
      const what = `${phase}: kill ${plan.ms} ms after the ${plan.from} (lock seen at ${r.lockAt === null ? "-" : Math.round(r.lockAt)} ms; start ~${Math.round(startupMs)} ms, work ~${Math.round(workMs)} ms)`;
      const ctx = `seed ${SEED}, trial ${trial}, ${what}: ${show(r)}`;
      log.push(`trial ${trial}: ${what} -> ${r.signal ?? `exit ${r.code}`}`);
      let printedId: string | null = null;
      if (r.signal === "SIGKILL") killed++;
      else {
        expect(r.code, ctx).toBe(0);
        printedId = (JSON.parse(r.stdout) as { id: string }).id;
        completed++;
        if (r.lockAt !== null) works.push(r.ms - r.lockAt);
      }

      for (const t of tempFilesUnder(path.join(pool, "packs"))) partialPacks.add(t);
      const [v, ids] = await Promise.all([cli(["pool", "verify", pool, "--json"]), listIds(pool)]);
      expect(v.code, `verify after ${ctx}\n${show(v)}`).toBe(0);
      const verified = JSON.parse(v.stdout) as VerifyJson;
      expect(verified.ok, ctx).toBe(true);
      for (const p of verified.unindexedPacks) unindexedPacks.add(p);
      for (const id of known) expect(ids, `a recovery point vanished: ${ctx}`).toContain(id);
      const fresh = ids.filter((id) => !known.has(id));
      if (printedId) expect(fresh, ctx).toEqual([printedId]);
      else expect(fresh.length, `more than one new recovery point: ${ctx}`).toBeLessThanOrEqual(1);
      // A recovery point that is listed is complete: it restores exactly what was backed up.
      for (const id of fresh) {
        expect(await restoreDiff(pool, id, expected, work), `recovery point ${id} of ${ctx}`).toEqual([]);
        known.add(id);
        restoredPoints++;
      }
    }

    // A normal backup after all that succeeds, and restores byte for byte.
    freshSource(base, src, rng, round + 1);
    const finalTree = describeTree(src);
    const last = await cli(["pool", "backup", pool, src, "--json"]);
    expect(last.code, show(last)).toBe(0);
    const lastId = (JSON.parse(last.stdout) as { id: string }).id;
    expect(await restoreDiff(pool, "latest", finalTree, work), `seed ${SEED}`).toEqual([]);

    // A backup killed while it holds its lock leaves the lock file behind; prune (exclusive)
    // must see that its process is gone and go ahead.
    fs.writeFileSync(path.join(src, "new", "after-final.bin"), rng.bytes(3_000_000));
    const k = await watchedBackup(pool, src, { from: "lock", ms: 0 });
    expect(k.signal, `the backup was not killed while it held its lock: ${show(k)}`).toBe("SIGKILL");
    const stale = lockFiles(pool).find((n) => (JSON.parse(fs.readFileSync(path.join(pool, "locks", n), "utf8")) as { pid: number }).pid === k.pid);
    expect(stale, "the killed backup left no lock file to test with").toBeDefined();
    const pruned = await cli(["pool", "prune", pool, "--keep-last", "2", "--json"]);
    expect(pruned.code, `prune blocked by a dead backup's lock? ${show(pruned)}`).toBe(0);
    expect(lockFiles(pool)).not.toContain(stale);
    const afterPrune = await cli(["pool", "verify", pool, "--json"]);
    expect(afterPrune.code, show(afterPrune)).toBe(0);
    const report = JSON.parse(afterPrune.stdout) as VerifyJson;
    // Garbage collection also freed what the killed backups left: packs no index names, temp
    // files. (A few unused chunks may stay: packs mostly in use are not rewritten.)
    expect(report).toMatchObject({ ok: true, recoveryPoints: 2, unindexedPacks: [] });
    expect(tempFilesUnder(path.join(pool, "packs")).concat(tempFilesUnder(path.join(pool, "index")), tempFilesUnder(path.join(pool, "snapshots")))).toEqual([]);
    expect((await listIds(pool)).at(-1)).toBe(lastId);
    expect(await restoreDiff(pool, "latest", finalTree, work), `after prune, seed ${SEED}`).toEqual([]);

    console.log(`engine-reliability: seed ${SEED}, ${KILL_TRIALS} trials: ${killed} killed, ${completed} completed before the kill, ${restoredPoints} new recovery points restored; left ${partialPacks.size} partial pack(s) and ${unindexedPacks.size} pack(s) no index names`);
    expect(killed, "too few trials were actually killed: the delays are off").toBeGreaterThanOrEqual(Math.ceil(KILL_TRIALS / 2));
  });

});

// Independent of one another (own folders, own pool): run side by side.
describe.concurrent("engine reliability: damage, write failures, bad input", () => {
  it("finds a flipped byte in a pack, names the chunk and its files, and restores every other file", async ({ expect }) => {
    const rng = prng(SEED ^ 0x5eed);
    const work = tmpDir("flip");
    const src = path.join(work, "src");
    fs.mkdirSync(path.join(src, "sub"), { recursive: true });
    // Under the chunker's minimum (256 KiB), random: one chunk, stored raw, found by its bytes.
    const victim = rng.bytes(200_000);
    fs.writeFileSync(path.join(src, "victim.bin"), victim);
    fs.writeFileSync(path.join(src, "sub", "same-as-victim.bin"), victim); // deduplicated: same chunk
    for (let i = 0; i < 4; i++) fs.writeFileSync(path.join(src, `other-${i}.bin`), rng.bytes(rng.int(100_000, 3_000_000)));
    for (let i = 0; i < 20; i++) fs.writeFileSync(path.join(src, "sub", `doc-${i}.txt`), rng.text(rng.int(100, 50_000)));
    fs.symlinkSync("victim.bin", path.join(src, "link"));
    const pool = path.join(work, "pool");
    expect((await cli(["pool", "init", pool])).code).toBe(0);
    const b = await cli(["pool", "backup", pool, src, "--json"]);
    expect(b.code, show(b)).toBe(0);
    const id = (JSON.parse(b.stdout) as { id: string }).id;

    const needle = victim.subarray(100_000, 100_032);
    const packs = (fs.readdirSync(path.join(pool, "packs"), { recursive: true }) as string[]).filter((n) => n.endsWith(".pack")).map((n) => path.join(pool, "packs", n));
    const hits = packs.flatMap((p) => {
      const bytes = fs.readFileSync(p);
      const at = bytes.indexOf(needle);
      return at < 0 ? [] : [{ p, bytes, at }];
    });
    expect(hits.length, "the victim's chunk should be stored raw, once").toBe(1);
    const { p, bytes, at } = hits[0]!;
    bytes[at + 7] = bytes[at + 7]! ^ 0x01;
    fs.writeFileSync(p, bytes);
    const chunk = createHash("sha256").update(victim).digest("hex");

    const v = await cli(["pool", "verify", pool, "--json"]);
    expect(v.code, show(v)).toBe(1);
    const r = JSON.parse(v.stdout) as VerifyJson;
    expect(r.ok).toBe(false);
    expect(r.chunkProblems).toHaveLength(1); // the pack's other chunks are intact
    const problem = r.chunkProblems[0]!;
    expect(problem).toMatchObject({ chunk, kind: "damaged", pack: path.basename(p, ".pack"), recoveryPoints: [id], fileCount: 2 });
    expect(problem.files.map((f) => f.path).sort()).toEqual(["sub/same-as-victim.bin", "victim.bin"]);
    expect(r.packProblems.map((x) => x.pack)).toEqual([path.basename(p, ".pack")]);
    const human = await cli(["pool", "verify", pool]);
    expect(human.code).toBe(1);
    expect(human.stdout).toContain(chunk);
    expect(human.stdout).toContain('"victim.bin"');

    const target = path.join(work, "restored");
    const rs = await cli(["pool", "restore", pool, id, target, "--json"]);
    expect(rs.code, show(rs)).toBe(1);
    const out = JSON.parse(rs.stdout) as { counts: Record<string, number>; problems: { path: string; outcome: string; detail: string }[] };
    expect(out.counts.failed).toBe(2);
    expect(out.problems.map((x) => [x.path, x.outcome]).sort()).toEqual([
      ["sub/same-as-victim.bin", "failed"],
      ["victim.bin", "failed"],
    ]);
    for (const x of out.problems) expect(x.detail).toContain(chunk);
    expect(fs.existsSync(path.join(target, "victim.bin"))).toBe(false);
    expect(fs.existsSync(path.join(target, "sub", "same-as-victim.bin"))).toBe(false);
    const expected = describeTree(src);
    expected.delete(Buffer.from("victim.bin").toString("hex"));
    expected.delete(Buffer.from("sub/same-as-victim.bin").toString("hex"));
    expect(treeDiff(expected, describeTree(target))).toEqual([]);
  });

  it("fails a backup cleanly when a pack cannot be written (RLIMIT_FSIZE), keeping every earlier recovery point", async ({ expect }) => {
    const rng = prng(SEED ^ 0xf512e);
    const work = tmpDir("fsize");
    const src = path.join(work, "src");
    fs.mkdirSync(src);
    for (let i = 0; i < 30; i++) fs.writeFileSync(path.join(src, `doc-${i}.txt`), rng.text(rng.int(100, 30_000)));
    fs.writeFileSync(path.join(src, "small.bin"), rng.bytes(500_000));
    const pool = path.join(work, "pool");
    expect((await cli(["pool", "init", pool])).code).toBe(0);
    const first = await cli(["pool", "backup", pool, src, "--json"]);
    expect(first.code, show(first)).toBe(0);
    const firstId = (JSON.parse(first.stdout) as { id: string }).id;
    const firstTree = describeTree(src);

    // 6 MB of new incompressible data against a 2 MiB limit on the size of any file written.
    fs.writeFileSync(path.join(src, "big.bin"), rng.bytes(6_000_000));
    const limited = await runWrapped(["/bin/sh", "-c", 'ulimit -f 4096 && exec "$0" "$@"'], ["pool", "backup", pool, src, "--json"]);
    expect(limited.signal, `killed by SIGXFSZ instead of failing? ${show(limited)}`).toBeNull();
    expect(limited.code, show(limited)).toBe(1);
    expect(limited.stdout).toBe("");
    expect(limited.stderr).toMatch(/EFBIG|file too large/i);
    expect(limited.stderr, "a write failure is an operational error, not a crash: no stack trace").not.toMatch(STACK_LINE);
    expect(await listIds(pool)).toEqual([firstId]);
    expect(lockFiles(pool), "the failed backup released its lock").toEqual([]);
    expect(tempFilesUnder(path.join(pool, "packs")), "the failed pack was removed").toEqual([]);
    const v = await cli(["pool", "verify", pool, "--json"]);
    expect(v.code, show(v)).toBe(0);
    expect(await restoreDiff(pool, firstId, firstTree, work)).toEqual([]);

    // Without the limit the same backup goes through.
    const again = await cli(["pool", "backup", pool, src, "--json"]);
    expect(again.code, show(again)).toBe(0);
    expect(await restoreDiff(pool, "latest", describeTree(src), work)).toEqual([]);
  });

  it("fails a backup cleanly on a full disk (ENOSPC on a small tmpfs), keeping every earlier recovery point", async ({ expect, skip }) => {
    const rng = prng(SEED ^ 0xd15c);
    const work = tmpDir("enospc");
    const mnt = path.join(work, "mnt");
    fs.mkdirSync(mnt);
    if (process.getuid?.() !== 0) skip("needs root to mount a tmpfs");
    const m = spawnSync("mount", ["-t", "tmpfs", "-o", "size=8m", "tmpfs", mnt], { encoding: "utf8" });
    if (m.status !== 0) skip(`cannot mount a tmpfs here (${(m.stderr || m.error?.message || "").trim()}); the RLIMIT_FSIZE test covers write failures`);
    mounts.push(mnt);

    const src = path.join(work, "src");
    fs.mkdirSync(src);
    for (let i = 0; i < 30; i++) fs.writeFileSync(path.join(src, `doc-${i}.txt`), rng.text(rng.int(100, 30_000)));
    fs.writeFileSync(path.join(src, "small.bin"), rng.bytes(1_000_000));
    const pool = path.join(mnt, "pool");
    expect((await cli(["pool", "init", pool])).code).toBe(0);
    const first = await cli(["pool", "backup", pool, src, "--json"]);
    expect(first.code, show(first)).toBe(0);
    const firstId = (JSON.parse(first.stdout) as { id: string }).id;
    const firstTree = describeTree(src);

    fs.writeFileSync(path.join(src, "big.bin"), rng.bytes(12_000_000));
    const full = await cli(["pool", "backup", pool, src, "--json"]);
    expect(full.code, show(full)).toBe(1);
    expect(full.stdout).toBe("");
    expect(full.stderr).toMatch(/ENOSPC|no space left/i);
    expect(full.stderr, "a full disk is an operational error, not a crash: no stack trace").not.toMatch(STACK_LINE);
    expect(await listIds(pool)).toEqual([firstId]);
    expect(lockFiles(pool)).toEqual([]);
    expect(tempFilesUnder(path.join(pool, "packs")), "the failed pack was removed, freeing its space").toEqual([]);
    const v = await cli(["pool", "verify", pool, "--json"]);
    expect(v.code, show(v)).toBe(0);
    expect(await restoreDiff(pool, firstId, firstTree, work)).toEqual([]);

    // Nearly full: a filler leaves no room (the lock file cannot be written), too little room
    // (the pack fails), then enough: clean errors, then a complete recovery point.
    fs.rmSync(path.join(src, "big.bin"));
    const known = [firstId];
    for (const room of [0, 64 * 1024, 4 * 1024 * 1024]) {
      fs.writeFileSync(path.join(src, `more-${room}.bin`), rng.bytes(200_000));
      const filler = path.join(mnt, "filler");
      const st = fs.statfsSync(mnt);
      fs.writeFileSync(filler, Buffer.alloc(Math.max(0, st.bavail * st.bsize - room)));
      const r = await cli(["pool", "backup", pool, src, "--json"]);
      const ctx = `${room} bytes free: ${show(r)}`;
      fs.rmSync(filler);
      if (room > 1024 * 1024) {
        expect(r.code, ctx).toBe(0);
        known.push((JSON.parse(r.stdout) as { id: string }).id);
      } else {
        expect(r.code, ctx).toBe(1);
        expect(r.stderr, ctx).toMatch(/ENOSPC|no space left/i);
        expect(r.stderr, ctx).not.toMatch(STACK_LINE);
      }
      expect(await listIds(pool), ctx).toEqual(known);
      expect(lockFiles(pool), ctx).toEqual([]);
      const vr = await cli(["pool", "verify", pool, "--json"]);
      expect(vr.code, `verify after ${ctx}\n${show(vr)}`).toBe(0);
    }
    expect(await restoreDiff(pool, "latest", describeTree(src), work)).toEqual([]);
    expect(await restoreDiff(pool, firstId, firstTree, work)).toEqual([]);
  });

  it("answers bad input with a clear message and the documented exit code", async ({ expect }) => {
    const work = tmpDir("bad");
    const notPool = path.join(work, "just-a-folder");
    fs.mkdirSync(notPool);
    fs.writeFileSync(path.join(notPool, "file.txt"), "hello");
    const r1 = await cli(["pool", "verify", notPool, "--json"]);
    expect([1, 2]).toContain(r1.code);
    expect(r1.stderr).toMatch(/no pool here/);
    expect(r1.stderr).not.toMatch(STACK_LINE);
    const r2 = await cli(["pool", "verify", path.join(notPool, "file.txt")]);
    expect([1, 2]).toContain(r2.code);
    expect(r2.stderr).toMatch(/file\.txt/);
    expect(r2.stderr).not.toMatch(STACK_LINE);

    const pool = path.join(work, "pool");
    const src = path.join(work, "src");
    fs.mkdirSync(src);
    fs.writeFileSync(path.join(src, "a.txt"), "a");
    expect((await cli(["pool", "init", pool])).code).toBe(0);
    expect((await cli(["pool", "backup", pool, src])).code).toBe(0);
    const target = path.join(work, "target");
    for (const id of ["20200101T000000000Z-deadbeef", "no-such-id"]) {
      const r = await cli(["pool", "restore", pool, id, target]);
      expect([1, 2], show(r)).toContain(r.code);
      expect(r.stderr).toMatch(/no such recovery point|not a recovery point id/);
      expect(r.stderr).toContain(id);
      expect(r.stderr).not.toMatch(STACK_LINE);
      expect(fs.existsSync(target), "nothing is written for an unknown id").toBe(false);
    }

    const noRule = await cli(["pool", "prune", pool]);
    expect(noRule.code).toBe(2);
    expect(noRule.stderr).toMatch(/--keep/);
    expect((await cli(["pool", "prune", pool, "--keep-last", "0"])).code).toBe(2);
    expect((await cli(["pool", "prune", pool, "--keep-daily", "soon"])).code).toBe(2);
    expect(await listIds(pool)).toHaveLength(1);

    const fileSource = await cli(["pool", "backup", pool, path.join(src, "a.txt")]);
    expect(fileSource.code, show(fileSource)).toBe(2);
    expect(fileSource.stderr).toMatch(/not a directory/);
    expect(fileSource.stderr).not.toMatch(STACK_LINE);
  });
});
