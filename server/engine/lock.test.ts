import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { spawn } from "node:child_process";
import { afterEach, describe, expect, it } from "vitest";
import { acquireLock, PoolLocked, withLock, type PoolLockHandle } from "./lock";

const dirs: string[] = [];
const held: PoolLockHandle[] = [];
const tmp = () => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), "custodian-lock-"));
  dirs.push(d);
  return d;
};
const take = (...args: Parameters<typeof acquireLock>) => {
  const l = acquireLock(...args);
  held.push(l);
  return l;
};
afterEach(() => {
  held.splice(0).forEach((l) => l.release());
  dirs.splice(0).forEach((d) => fs.rmSync(d, { recursive: true, force: true }));
});

const lockFiles = (pool: string) => fs.readdirSync(path.join(pool, "locks")).filter((n) => n.endsWith(".json"));

/** Writes a lock file as another process would. */
function plantLock(pool: string, l: { kind: string; purpose: string; pid: number; host: string }, name = "11111111-2222-3333-4444-555555555555.json"): string {
  fs.mkdirSync(path.join(pool, "locks"), { recursive: true });
  const file = path.join(pool, "locks", name);
  fs.writeFileSync(file, JSON.stringify({ ...l, time: new Date().toISOString() }));
  return file;
}

/** The pid of a process that has exited (and been reaped). */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ["-e", ""], { stdio: "ignore" });
  const pid = child.pid!;
  await new Promise<void>((resolve) => child.on("exit", () => resolve()));
  // Reaped: signalling it now fails with ESRCH (unless the pid was reused at once, very unlikely).
  expect(() => process.kill(pid, 0)).toThrow();
  return pid;
}

function lockedBy(fn: () => unknown): PoolLocked {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(PoolLocked);
    return err as PoolLocked;
  }
  throw new Error("expected PoolLocked");
}

describe("pool locks", () => {
  it("lets any number of shared holders in together", () => {
    const pool = tmp();
    take(pool, "shared", "backup of /a");
    take(pool, "shared", "backup of /b");
    take(pool, "shared", "verify");
    expect(lockFiles(pool)).toHaveLength(3);
  });

  it("keeps exclusive out while a shared lock is held, naming the holder, and lets it in once released", () => {
    const pool = tmp();
    const s = take(pool, "shared", "backup of /data");
    const err = lockedBy(() => acquireLock(pool, "exclusive", "garbage collection"));
    expect(err.holder).toMatchObject({ kind: "shared", purpose: "backup of /data", pid: process.pid, host: os.hostname() });
    expect(err.message).toMatch(/backup of \/data/);
    expect(err.message).toContain(String(process.pid));
    expect(lockFiles(pool)).toHaveLength(1); // the refused attempt left nothing behind
    s.release();
    expect(lockFiles(pool)).toHaveLength(0);
    take(pool, "exclusive", "garbage collection");
  });

  it("keeps shared and exclusive out while an exclusive lock is held", () => {
    const pool = tmp();
    const x = take(pool, "exclusive", "prune");
    expect(lockedBy(() => acquireLock(pool, "shared", "backup")).holder).toMatchObject({ kind: "exclusive", purpose: "prune" });
    expect(lockedBy(() => acquireLock(pool, "exclusive", "prune again")).holder).toMatchObject({ kind: "exclusive", purpose: "prune" });
    x.release();
    x.release(); // twice is harmless
    take(pool, "shared", "backup");
  });

  it("treats the lock of a process that is gone (same host) as stale and removes it", async () => {
    const pool = tmp();
    const pid = await deadPid();
    const file = plantLock(pool, { kind: "exclusive", purpose: "killed prune", pid, host: os.hostname() });
    take(pool, "shared", "backup");
    expect(fs.existsSync(file)).toBe(false);
  });

  it("does not judge a lock of another host by its pid, only by its age", () => {
    const pool = tmp();
    const file = plantLock(pool, { kind: "exclusive", purpose: "prune elsewhere", pid: 999_999_999, host: `not-${os.hostname()}` });
    expect(lockedBy(() => acquireLock(pool, "shared", "backup")).holder.purpose).toBe("prune elsewhere");
    const old = new Date(Date.now() - 11 * 60_000);
    fs.utimesSync(file, old, old);
    take(pool, "shared", "backup");
    expect(fs.existsSync(file)).toBe(false);
  });

  it("ignores a lock not refreshed for staleMs even when its process lives", () => {
    const pool = tmp();
    const file = plantLock(pool, { kind: "exclusive", purpose: "hung prune", pid: process.pid, host: os.hostname() });
    expect(() => acquireLock(pool, "shared", "backup", { staleMs: 60_000 })).toThrow(PoolLocked);
    const old = new Date(Date.now() - 120_000);
    fs.utimesSync(file, old, old);
    take(pool, "shared", "backup", { staleMs: 60_000 });
    expect(fs.existsSync(file)).toBe(false);
  });

  it("refreshes its own lock file so that it does not go stale", async () => {
    const pool = tmp();
    take(pool, "exclusive", "long gc", { refreshMs: 20 });
    const [name] = lockFiles(pool);
    const file = path.join(pool, "locks", name!);
    const old = new Date(Date.now() - 120_000);
    fs.utimesSync(file, old, old);
    await new Promise((r) => setTimeout(r, 100));
    expect(Date.now() - fs.statSync(file).mtimeMs).toBeLessThan(60_000);
    expect(() => acquireLock(pool, "shared", "backup", { staleMs: 60_000 })).toThrow(PoolLocked);
  });

  it("skips unreadable lock files and files that are not locks", () => {
    const pool = tmp();
    fs.mkdirSync(path.join(pool, "locks"));
    fs.writeFileSync(path.join(pool, "locks", "torn.json"), "{\"kind\":\"excl");
    fs.writeFileSync(path.join(pool, "locks", ".x.json.123.tmp"), "{}");
    take(pool, "exclusive", "gc");
  });

  it("withLock releases the lock when the function throws, and returns its value otherwise", async () => {
    const pool = tmp();
    await expect(withLock(pool, "exclusive", "gc", async () => {
      expect(lockFiles(pool)).toHaveLength(1);
      throw new Error("boom");
    })).rejects.toThrow("boom");
    expect(lockFiles(pool)).toHaveLength(0);
    expect(await withLock(pool, "shared", "verify", async () => 42)).toBe(42);
    expect(lockFiles(pool)).toHaveLength(0);
    // Refused: fn never runs.
    take(pool, "shared", "backup");
    let ran = false;
    await expect(withLock(pool, "exclusive", "gc", async () => void (ran = true))).rejects.toBeInstanceOf(PoolLocked);
    expect(ran).toBe(false);
  });
});
