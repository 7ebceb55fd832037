/**
 * Pool locks, so that garbage collection never frees a chunk an in-flight backup relies on.
 * A backup deduplicates against chunks already in the pool and names them in its tree only
 * when it finishes; if garbage collection ran in between it could delete them. So backups,
 * restores and verifies take a shared lock, prune and garbage collection an exclusive one,
 * and the two kinds exclude each other (as restic does).
 *
 *   DIR/locks/<uuid>.json    {"kind","purpose","pid","host","time"}, rewritten every minute
 *
 * Taking a lock writes its file first and then looks at the others; if it conflicts, it
 * removes its own file and fails. Two processes racing may then both fail, never both win.
 * A lock is stale, and ignored and removed, when its process is gone (same host) or it has
 * not been refreshed for `staleMs`: a SIGKILLed backup does not block the pool for ever.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { randomUUID } from "node:crypto";
import { writeFileAtomic } from "@/server/fs/write-file-atomic";

export type LockKind = "shared" | "exclusive";

interface LockFile {
  kind: LockKind;
  purpose: string;
  pid: number;
  host: string;
  time: string;
}

/** The pool is locked by someone else in a conflicting way; says who. */
export class PoolLocked extends Error {
  constructor(
    readonly holder: LockFile,
    wanted: LockKind,
  ) {
    super(`the pool is locked (${holder.kind}) by "${holder.purpose}", process ${holder.pid} on ${holder.host} since ${holder.time}; cannot take a ${wanted} lock now`);
    this.name = "PoolLocked";
  }
}

export interface LockOptions {
  staleMs?: number;
  refreshMs?: number;
}

export interface PoolLockHandle {
  release(): void;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

function isStale(l: LockFile, file: string, staleMs: number): boolean {
  if (l.host === os.hostname() && !alive(l.pid)) return true;
  let refreshed: number;
  try {
    refreshed = fs.statSync(file).mtimeMs;
  } catch {
    return true;
  }
  return Date.now() - refreshed > staleMs;
}

export function acquireLock(poolDir: string, kind: LockKind, purpose: string, o: LockOptions = {}): PoolLockHandle {
  const staleMs = o.staleMs ?? 10 * 60_000;
  const refreshMs = o.refreshMs ?? 60_000;
  const dir = path.join(poolDir, "locks");
  fs.mkdirSync(dir, { recursive: true });
  const name = `${randomUUID()}.json`;
  const own = path.join(dir, name);
  const body = (): string => JSON.stringify({ kind, purpose, pid: process.pid, host: os.hostname(), time: new Date().toISOString() } satisfies LockFile);
  writeFileAtomic(own, body());

  for (const other of fs.readdirSync(dir)) {
    if (other === name || !other.endsWith(".json")) continue;
    const file = path.join(dir, other);
    let l: LockFile;
    try {
      l = JSON.parse(fs.readFileSync(file, "utf8")) as LockFile;
    } catch {
      continue; // vanished meanwhile, or a torn file of a crashed writer (writes are atomic)
    }
    if (isStale(l, file, staleMs)) {
      fs.rmSync(file, { force: true });
      continue;
    }
    if (kind === "exclusive" || l.kind === "exclusive") {
      fs.rmSync(own, { force: true });
      throw new PoolLocked(l, kind);
    }
  }

  const timer = setInterval(() => {
    try {
      writeFileAtomic(own, body());
    } catch {
      // A refresh that fails (full disk) is retried next time; staleMs is ten refreshes.
    }
  }, refreshMs);
  timer.unref();
  let released = false;
  return {
    release() {
      if (released) return;
      released = true;
      clearInterval(timer);
      fs.rmSync(own, { force: true });
    },
  };
}

/** Runs `fn` under a lock, releasing it however `fn` ends. */
export async function withLock<T>(poolDir: string, kind: LockKind, purpose: string, fn: () => Promise<T>, o?: LockOptions): Promise<T> {
  const lock = acquireLock(poolDir, kind, purpose, o);
  try {
    return await fn();
  } finally {
    lock.release();
  }
}
