/**
 * Restore of a recovery point (or chosen paths) into a target directory. Every chunk is
 * verified against its id as it is read, and a file is renamed into place only when all of
 * it was written and fsynced. Entries that would land outside the target are refused: a path with
 * an empty, "." or ".." segment, an absolute path, a NUL byte, or a parent inside the target
 * that is a symlink (which could point anywhere).
 */
import fs from "node:fs";
import path from "node:path";
import type { ChunkStore } from "./chunk-store";
import { acquireLock } from "./lock";
import type { ChunkReader } from "./target";
import { readEntries, type ManifestEntry, type ManifestHeader } from "./manifest";

export type ExistingPolicy = "overwrite" | "skip" | "copy";

export interface RestoreOutcome {
  path: Buffer;
  outcome: "restored" | "skipped" | "copied" | "refused" | "failed";
  detail?: string;
}

export interface RestoreOptions {
  /** Only these relative paths (and what is under them). */
  paths?: Buffer[];
  existing?: ExistingPolicy;
}

const DOT = Buffer.from(".");
const DOTDOT = Buffer.from("..");

/** Why a manifest path may not be restored, or null when it is safe. */
export function unsafePathReason(p: Buffer): string | null {
  if (p.length === 0) return "empty path";
  if (p[0] === 0x2f) return "absolute path";
  if (p.includes(0)) return "NUL byte in path";
  let start = 0;
  for (let i = 0; i <= p.length; i++) {
    if (i === p.length || p[i] === 0x2f) {
      const seg = p.subarray(start, i);
      if (seg.length === 0 || seg.equals(DOT) || seg.equals(DOTDOT)) return "'.', '..' or empty path segment";
      start = i + 1;
    }
  }
  return null;
}

function selected(e: ManifestEntry, paths?: Buffer[]): boolean {
  if (!paths) return true;
  return paths.some((p) => e.path.equals(p) || (e.path.length > p.length && e.path[p.length] === 0x2f && e.path.subarray(0, p.length).equals(p)));
}

export interface RestoreResult {
  counts: Record<RestoreOutcome["outcome"], number>;
  /** Failed and refused entries (the first 1000; `counts` has them all). */
  problems: RestoreOutcome[];
  bytes: number;
}

const FILES_IN_FLIGHT = 16;
const SMALL_FILE = 256 * 1024;
const READ_AHEAD = 4;

/**
 * Restores the entries of a recovery point, read as a stream (memory does not grow with
 * the number of files), with up to FILES_IN_FLIGHT files written at once so that their
 * fsyncs overlap. Each file's outcome goes to `onOutcome`; the result counts them.
 */
export async function restore(
  store: ChunkStore,
  header: ManifestHeader,
  target: string,
  o: RestoreOptions & { onOutcome?: (x: RestoreOutcome) => void; onProgress?: (p: { files: number; bytes: number }) => void } = {},
): Promise<RestoreResult> {
  const lock = acquireLock(store.dir, "shared", `restore of ${header.id}`);
  try {
    // Another process's garbage collection may have moved chunks since this store read the index.
    store.refreshIndex();
    return await restoreFrom(store, header, target, o);
  } finally {
    lock.release();
  }
}

/** Restores from any chunk source: a local pool, or a server through an agent's link. */
export async function restoreFrom(
  store: ChunkReader,
  header: ManifestHeader,
  target: string,
  o: RestoreOptions & { onOutcome?: (x: RestoreOutcome) => void; onProgress?: (p: { files: number; bytes: number }) => void },
): Promise<RestoreResult> {
  const root = Buffer.from(path.resolve(target));
  await fs.promises.mkdir(root.toString(), { recursive: true });
  const existing = o.existing ?? "overwrite";
  const result: RestoreResult = { counts: { restored: 0, skipped: 0, copied: 0, refused: 0, failed: 0 }, problems: [], bytes: 0 };
  const progress = { files: 0, bytes: 0 };
  const record = (x: RestoreOutcome) => {
    result.counts[x.outcome]++;
    if ((x.outcome === "failed" || x.outcome === "refused") && result.problems.length < 1000) result.problems.push(x);
    o.onOutcome?.(x);
  };
  const safeDirs = new Set<string>([root.toString("base64")]);
  // Folders this restore created: nothing can be in the way inside them, so the per-file
  // "is something there already?" lstat is skipped (a tenth of a restore's system calls).
  const freshDirs = new Set<string>();
  const inFreshDir = (abs: Buffer) => freshDirs.has(abs.subarray(0, abs.lastIndexOf(0x2f)).toString("base64"));

  /** Each ancestor of `rel` inside the target must be a real directory, not a symlink. */
  async function parentIsSafe(rel: Buffer): Promise<boolean> {
    const idx = rel.lastIndexOf(0x2f);
    if (idx < 0) return true;
    const parentRel = rel.subarray(0, idx);
    const abs = Buffer.concat([root, Buffer.from("/"), parentRel]);
    if (safeDirs.has(abs.toString("base64"))) return true;
    if (!(await parentIsSafe(parentRel))) return false;
    try {
      const s = await fs.promises.lstat(abs);
      if (!s.isDirectory()) return false;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
      await fs.promises.mkdir(abs);
      freshDirs.add(abs.toString("base64"));
    }
    safeDirs.add(abs.toString("base64"));
    return true;
  }

  const inFlight = new Set<Promise<void>>();
  // New files are fsynced in bulk, a thousand at a time, while later files are written: one
  // fsync per file right after writing it made the disk wait for each (a third of the time).
  const toSync: Buffer[] = [];
  const syncs: Promise<void>[] = [];
  const syncLater = (abs: Buffer) => {
    toSync.push(abs);
    if (toSync.length >= 1024) syncs.push(syncAll(toSync.splice(0)));
  };
  const dirs: { abs: Buffer; e: ManifestEntry }[] = [];
  for await (const e of readEntries(store, header)) {
    if (!selected(e, o.paths)) continue;
    const unsafe = unsafePathReason(e.path);
    if (unsafe) {
      record({ path: e.path, outcome: "refused", detail: unsafe });
      continue;
    }
    if (!(await parentIsSafe(e.path))) {
      record({ path: e.path, outcome: "refused", detail: "a parent directory in the target is a symlink or not a directory" });
      continue;
    }
    const abs: Buffer = Buffer.concat([root, Buffer.from("/"), e.path]);
    if (e.type === "dir") {
      try {
        const s = await fs.promises.lstat(abs).catch(() => null);
        if (!s) {
          await fs.promises.mkdir(abs);
          freshDirs.add(abs.toString("base64"));
        }
        else if (!s.isDirectory()) throw new Error("a non-directory is in the way");
        safeDirs.add(abs.toString("base64"));
        // Only the metadata of directories is kept for the end: far fewer than files.
        dirs.push({ abs, e: { ...e, chunks: undefined } });
        record({ path: e.path, outcome: "restored" });
      } catch (err) {
        record({ path: e.path, outcome: "failed", detail: (err as Error).message });
      }
      continue;
    }
    if (e.type === "symlink") {
      // In order, not concurrently: a later entry's parent check must see this link.
      await restoreEntry(store, e, abs, existing, syncLater, inFreshDir(abs)).then(record, (err: unknown) => record({ path: e.path, outcome: "failed", detail: (err as Error).message }));
      continue;
    }
    while (inFlight.size >= FILES_IN_FLIGHT) await Promise.race(inFlight);
    // Large files report their bytes chunk by chunk, so one big file does not look stalled.
    let written = 0;
    const onBytes = (n: number) => {
      written += n;
      progress.bytes += n;
      o.onProgress?.({ ...progress });
    };
    const job = restoreEntry(store, e, abs, existing, syncLater, inFreshDir(abs), onBytes).then(
      (x) => {
        if (x.outcome !== "skipped") {
          progress.files++;
          progress.bytes += e.size - written;
          result.bytes += e.size;
          o.onProgress?.({ ...progress });
        }
        record(x);
      },
      (err: unknown) => record({ path: e.path, outcome: "failed", detail: (err as Error).message }),
    );
    inFlight.add(job);
    void job.finally(() => inFlight.delete(job));
  }
  await Promise.all(inFlight);
  syncs.push(syncAll(toSync.splice(0)));
  await Promise.all(syncs); // the restore is reported done only when what it wrote is durable
  // Directory modes and times last, deepest first: writing inside a directory changes its mtime.
  // The names written into each directory (the renames) are made durable first, while the
  // directories are still readable by us (their own modes may forbid it once restored).
  await syncAll([root, ...dirs.map((d) => d.abs)]);
  for (const { abs, e } of dirs.reverse()) {
    await fs.promises.chmod(abs, e.mode);
    await fs.promises.utimes(abs, e.mtimeMs / 1000, e.mtimeMs / 1000);
  }
  return result;
}

async function restoreEntry(
  store: ChunkReader,
  e: ManifestEntry,
  abs: Buffer,
  existing: ExistingPolicy,
  syncLater: (abs: Buffer) => void,
  inFreshDir: boolean,
  onBytes?: (n: number) => void,
): Promise<RestoreOutcome> {
  const present = inFreshDir ? false : await fs.promises.lstat(abs).then(() => true, () => false);
  let outcome: RestoreOutcome["outcome"] = "restored";
  if (present && existing === "skip") return { path: e.path, outcome: "skipped" };
  if (present && existing === "copy") {
    abs = await freeCopyName(abs);
    outcome = "copied";
  }
  if (e.type === "symlink") {
    const tmp = tempName(abs);
    await fs.promises.symlink(e.target!, tmp);
    await fs.promises.rename(tmp, abs);
    await fs.promises.lutimes(abs, e.mtimeMs / 1000, e.mtimeMs / 1000).catch(() => undefined);
  } else {
    // A file that replaces one already there is durable before the rename (a crash leaves the
    // old or the new file, never an empty one); a new file is synced later, in bulk.
    const replacing = present && existing === "overwrite";
    await restoreFile(store, e, abs, replacing, onBytes);
    if (!replacing) syncLater(abs);
  }
  return { path: e.path, outcome };
}

async function syncAll(files: Buffer[]): Promise<void> {
  for (let i = 0; i < files.length; i += 32) {
    await Promise.all(
      files.slice(i, i + 32).map(async (f) => {
        const fh = await fs.promises.open(f, "r");
        try {
          await fh.sync();
        } finally {
          await fh.close();
        }
      }),
    );
  }
}

function tempName(abs: Buffer): Buffer {
  const idx = abs.lastIndexOf(0x2f);
  // Short, fixed-length temp names: the real name may already be at the 255-byte limit.
  return Buffer.concat([abs.subarray(0, idx + 1), Buffer.from(`.custodian-restore-${process.pid}-${Math.random().toString(36).slice(2, 10)}.tmp`)]);
}

async function freeCopyName(abs: Buffer): Promise<Buffer> {
  for (let i = 1; ; i++) {
    const candidate = Buffer.concat([abs, Buffer.from(i === 1 ? ".restored" : `.restored-${i}`)]);
    if (!(await fs.promises.lstat(candidate).then(() => true, () => false))) return candidate;
  }
}

async function restoreFile(store: ChunkReader, e: ManifestEntry, abs: Buffer, syncNow: boolean, onBytes?: (n: number) => void): Promise<void> {
  const tmp = tempName(abs);
  const chunks = e.chunks ?? [];
  if (chunks.length <= 1 && e.size <= SMALL_FILE && !syncNow) {
    // A small file is written with a handful of direct system calls: each asynchronous call
    // is a round trip through libuv's thread pool, and for small files those round trips,
    // not the disk, were most of a restore's time.
    const data = chunks.length ? await store.get(chunks[0]!) : new Uint8Array(0);
    const fd = fs.openSync(tmp, "wx", 0o600);
    try {
      fs.writeSync(fd, data);
      fs.fchmodSync(fd, e.mode);
      fs.futimesSync(fd, e.mtimeMs / 1000, e.mtimeMs / 1000);
    } catch (err) {
      fs.closeSync(fd);
      fs.rmSync(tmp, { force: true });
      throw err;
    }
    fs.closeSync(fd);
    fs.renameSync(tmp, abs);
    return;
  }
  const fh = await fs.promises.open(tmp, "wx", 0o600);
  try {
    // Each chunk is verified against its id as it is read (BlobCorrupt on any mismatch), and
    // the chunk list comes from a tree chunk verified the same way: the bytes written are
    // exactly the bytes backed up.
    // Up to READ_AHEAD chunks are fetched (and decoded on the worker) while earlier ones
    // are written: a large file is otherwise a chain of read → decode → write round trips.
    const ahead: Promise<Uint8Array>[] = [];
    let next = 0;
    const fill = () => {
      while (ahead.length < READ_AHEAD && next < chunks.length) {
        const p = store.get(chunks[next++]!);
        p.catch(() => undefined); // awaited in order below
        ahead.push(p);
      }
    };
    fill();
    while (ahead.length) {
      const bytes = await ahead.shift()!;
      fill();
      await fh.write(bytes);
      onBytes?.(bytes.length);
    }
    if (syncNow) await fh.sync();
  } catch (err) {
    await fh.close();
    await fs.promises.rm(tmp, { force: true });
    throw err;
  }
  await fh.close();
  await fs.promises.chmod(tmp, e.mode);
  await fs.promises.utimes(tmp, e.mtimeMs / 1000, e.mtimeMs / 1000);
  await fs.promises.rename(tmp, abs);
}
