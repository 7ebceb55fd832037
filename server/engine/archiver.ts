/**
 * Backup of a folder into a pool, as a pipeline that keeps both cores and the disk busy:
 *
 *   walk (sorted, lstat'ed in batches) ──► up to FILES_IN_FLIGHT files read at once
 *     ──► chunk + SHA-256 on this thread ──► new chunks compressed on worker threads
 *     ──► packs written in the background ──► entries appended to the tree in walk order
 *
 * A file whose size, mtime, inode and ctime equal the parent recovery point's entry is
 * reused without being read; the parent's tree is read in step with the walk (same order),
 * so neither tree is ever held in memory. Memory is bounded by the files and chunk bytes
 * in flight, not by the size of the source.
 *
 * The recovery point becomes visible only when its header is written, after every chunk it
 * names is durable; a crash or an error before that leaves no recovery point (and, at
 * worst, packs no recovery point uses, which garbage collection frees).
 */
import fs from "node:fs";
import path from "node:path";
import { Chunker } from "./chunker";
import type { ChunkStore } from "./chunk-store";
import type { BackupTarget } from "./target";
import { Compressor, type Compressed } from "./compressor";
import { acquireLock } from "./lock";
import {
  ParentCursor,
  contentHash,
  TreeWriter,
  listManifestIds,
  newManifestId,
  readEntries,
  readHeader,
  writeHeader,
  type ManifestEntry,
  type ManifestHeader,
  type ManifestStats,
} from "./manifest";

export interface BackupProgress {
  files: number;
  /** Bytes of files done (read or reused). */
  bytes: number;
  /** Bytes actually read. */
  bytesRead: number;
  reusedFiles: number;
  /** The parent's size, as an estimate of the total; null without a parent. */
  estimatedBytes: number | null;
  /** Bytes done per second since the start. */
  rate: number;
  elapsedMs: number;
}

export interface BackupOptions {
  now?: Date;
  onProgress?: (p: BackupProgress) => void;
  /** The recovery point to compare with; by default the latest one of the same source. */
  parent?: string | null;
  /** Recorded as the header's source instead of the folder's path (e.g. a captured database). */
  sourceLabel?: string;
  /** Compression worker threads; 0 compresses on this thread. Default: cores - 1, at least 1. */
  threads?: number;
  signal?: AbortSignal;
}

const SEP = Buffer.from("/");
const FILES_IN_FLIGHT = 8;
const SMALL_FILE = 256 * 1024;
/**
 * New files from this size on are processed whole on a worker (compressor.chunkFile) when
 * there are two workers or more. With one (the default on two cores) the main thread would
 * idle while that worker did everything: measured slower, so it is not used then.
 */
const LARGE_FILE = 4 * 1024 * 1024;
/** Bytes of a worker-processed file's chunks that may wait to be stored. */
const WORKER_FILE_CREDIT = 8 * 1024 * 1024;
const SMALL_FILES_IN_FLIGHT = 32;
const READ_SIZE = 1024 * 1024;
/** Chunks of new files go to a worker in batches of about this many bytes. */
const BATCH_BYTES = 2 * 1024 * 1024;
/** Chunk bytes a batcher may hold (queued or at a worker) before readers wait. */
const BATCH_QUEUE_BYTES = 8 * 1024 * 1024;
const LSTAT_BATCH = 64;

/** The newest recovery point of `source`, reading only headers. */
export function latestRecoveryPoint(poolDir: string, source: string): string | null {
  const ids = listManifestIds(poolDir);
  for (let i = ids.length - 1; i >= 0; i--) {
    try {
      if (readHeader(poolDir, ids[i]!).source === source) return ids[i]!;
    } catch {
      // a damaged header is the checker's business, not a reason to fail a backup
    }
  }
  return null;
}

async function allPresent(target: BackupTarget, ids: string[]): Promise<boolean> {
  for (const id of ids) if (!(await target.has(id))) return false;
  return true;
}

/**
 * Gathers chunks of new files, from all the files being read at once, into batches for the
 * workers: many small files become a few tasks. A batch leaves when it is full or, at the
 * latest, a millisecond after its first chunk; readers wait while too many bytes are queued.
 */
class ChunkBatcher {
  private items: Uint8Array[] = [];
  private waiters: { resolve: (id: string) => void; reject: (e: unknown) => void }[] = [];
  private bytes = 0;
  private queued = 0;
  private timer: NodeJS.Timeout | null = null;
  private readonly roomWaiters: (() => void)[] = [];

  constructor(
    private readonly run: (items: Uint8Array[]) => Promise<{ id: string; stored: Uint8Array | null }[]>,
    private readonly store: (items: Uint8Array[], results: { id: string; stored: Uint8Array | null }[]) => Promise<void>,
  ) {}

  add(c: Uint8Array): Promise<string> {
    return new Promise<string>((resolve, reject) => {
      this.items.push(c);
      this.waiters.push({ resolve, reject });
      this.bytes += c.length;
      this.queued += c.length;
      if (this.bytes >= BATCH_BYTES || this.items.length >= 128) this.dispatch();
      else this.timer ??= setTimeout(() => this.dispatch(), 1);
    });
  }

  private readonly running = new Set<Promise<void>>();

  /** Resolves when no batch is being hashed, compressed or stored. */
  async idle(): Promise<void> {
    this.dispatch(); // what is queued runs now (and fails fast when the backup was aborted)
    while (this.running.size) await Promise.allSettled(this.running);
  }

  async room(): Promise<void> {
    while (this.queued > BATCH_QUEUE_BYTES) await new Promise<void>((r) => this.roomWaiters.push(r));
  }

  private dispatch(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.items.length === 0) return;
    const [items, waiters, bytes] = [this.items, this.waiters, this.bytes];
    this.items = [];
    this.waiters = [];
    this.bytes = 0;
    const job = this.run(items)
      .then(async (results) => {
        await this.store(items, results);
        results.forEach((r, i) => waiters[i]!.resolve(r.id));
      })
      .catch((err: unknown) => waiters.forEach((w) => w.reject(err)))
      .finally(() => {
        this.queued -= bytes;
        this.running.delete(job);
        for (const r of this.roomWaiters.splice(0)) r();
      });
    this.running.add(job);
  }
}

interface WalkItem {
  rel: Buffer;
  abs: Buffer;
  stat: fs.Stats;
}

/** Depth first, siblings sorted by name bytes: the tree's order (compareTreePaths). */
async function* walk(rootBuf: Buffer, rel: Buffer | null, signal?: AbortSignal): AsyncGenerator<WalkItem> {
  const abs = rel ? Buffer.concat([rootBuf, SEP, rel]) : rootBuf;
  const listed = await fs.promises.readdir(abs, { encoding: "buffer" }).catch((err: NodeJS.ErrnoException) => {
    // A folder removed (or replaced) since its lstat: it is kept as it was seen, empty.
    if (rel && (err.code === "ENOENT" || err.code === "ENOTDIR")) return [];
    throw err;
  });
  const names = listed.sort(Buffer.compare);
  for (let i = 0; i < names.length; i += LSTAT_BATCH) {
    signal?.throwIfAborted();
    const batch = names.slice(i, i + LSTAT_BATCH).map((name) => {
      const childRel = rel ? Buffer.concat([rel, SEP, name]) : name;
      const childAbs = Buffer.concat([rootBuf, SEP, childRel]);
      const stat = fs.promises.lstat(childAbs).catch((err: NodeJS.ErrnoException) => (err.code === "ENOENT" ? null : Promise.reject(err)));
      stat.catch(() => undefined); // awaited in order below; not unhandled if the walk stops early
      return { rel: childRel, abs: childAbs, stat };
    });
    for (const b of batch) {
      const stat = await b.stat;
      if (!stat) continue; // deleted since the listing
      yield { rel: b.rel, abs: b.abs, stat };
      if (stat.isDirectory()) yield* walk(rootBuf, b.rel, signal);
    }
  }
}

/** A local pool as a backup target (the caller holds the pool's shared lock). */
export function localTarget(store: ChunkStore): BackupTarget {
  return {
    chunker: store.config.chunker,
    compressionLevel: store.config.compression.level,
    has: (id) => store.has(id),
    put: (raw) => store.put(raw),
    get: (id) => store.get(id),
    putStored: (id, stored, rawLength, codec) => store.putStored(id, stored, rawLength, codec),
    async parent(label, requested) {
      const id = requested !== undefined ? requested : latestRecoveryPoint(store.dir, label);
      return id ? readHeader(store.dir, id) : null;
    },
    async commit(header) {
      await store.flush();
      writeHeader(store.dir, header);
      return header;
    },
  };
}

/** Runs a backup into a local pool as its target, under the pool's shared lock. */
export async function withLocalTarget<T>(store: ChunkStore, purpose: string, fn: (target: BackupTarget) => Promise<T>): Promise<T> {
  const lock = acquireLock(store.dir, "shared", purpose);
  try {
    // Another process's garbage collection may have freed chunks this store still lists.
    store.refreshIndex();
    return await fn(localTarget(store));
  } finally {
    lock.release();
  }
}

/** Backs up a local folder into a local pool. */
export function backupFolder(store: ChunkStore, source: string, o: BackupOptions = {}): Promise<ManifestHeader> {
  return withLocalTarget(store, `backup of ${o.sourceLabel ?? path.resolve(source)}`, (target) => backupToTarget(target, source, o));
}

/** Backs up a local folder into any target: a local pool, or a server through an agent's link. */
export async function backupToTarget(target: BackupTarget, source: string, o: BackupOptions = {}): Promise<ManifestHeader> {
  const root = path.resolve(source);
  const st = await fs.promises.stat(root);
  // ENOTDIR, as the system would say: a usage mistake the CLI reports without a stack trace.
  if (!st.isDirectory()) throw Object.assign(new Error(`${root} is not a directory`), { code: "ENOTDIR" });
  const compressor = new Compressor(target.compressionLevel, o.threads);
  try {
    return await runBackup(target, root, o.sourceLabel ?? root, compressor, o);
  } finally {
    await compressor.close();
  }
}

async function runBackup(store: BackupTarget, root: string, label: string, compressor: Compressor, o: BackupOptions): Promise<ManifestHeader> {
  const started = Date.now();
  const parentHeader = await store.parent(label, o.parent);
  const parentId = parentHeader?.id ?? null;
  const parent = new ParentCursor(parentHeader ? readEntries(store, parentHeader)[Symbol.asyncIterator]() : (async function* () {})());

  const stats: ManifestStats = { files: 0, dirs: 0, symlinks: 0, bytes: 0, newChunks: 0, newStoredBytes: 0 };
  const progress: BackupProgress = { files: 0, bytes: 0, bytesRead: 0, reusedFiles: 0, estimatedBytes: parentHeader?.stats.bytes ?? null, rate: 0, elapsedMs: 0 };
  let lastReport = 0;
  const report = (force = false) => {
    const now = Date.now();
    if (!o.onProgress || (!force && now - lastReport < 250)) return;
    lastReport = now;
    progress.elapsedMs = now - started;
    progress.rate = progress.elapsedMs > 0 ? (progress.bytes / progress.elapsedMs) * 1000 : 0;
    o.onProgress({ ...progress });
  };

  // Chunks being stored, so that two files with the same chunk store (and compress) it once.
  const inFlight = new Map<string, Promise<void>>();
  /**
   * Stores a chunk that was hashed elsewhere unless the pool has it or is storing it;
   * `prepare` gives its stored form (compressing it, if that is not done yet).
   */
  const storeIfMissing = async (id: string, rawLength: number, prepare: () => Compressed | Promise<Compressed>): Promise<void> => {
    const pending = inFlight.get(id);
    if (pending) return pending;
    if (await store.has(id)) return;
    o.signal?.throwIfAborted();
    const w = (async () => {
      const { stored, codec } = await prepare();
      if (await store.putStored(id, stored, rawLength, codec)) {
        stats.newChunks++;
        stats.newStoredBytes += stored.length;
      }
    })().finally(() => inFlight.delete(id));
    inFlight.set(id, w);
    return w;
  };
  /** Chunks of new files come back hashed and compressed (stored null: kept raw). */
  const storeBatch = async (items: Uint8Array[], results: { id: string; stored: Uint8Array | null }[]) => {
    for (let i = 0; i < results.length; i++) {
      const { id, stored } = results[i]!;
      const raw = items[i]!;
      // A raw chunk is copied: it is a view into a read buffer a pack must not pin.
      await storeIfMissing(id, raw.length, () => (stored ? { stored, codec: "zstd" } : { stored: Uint8Array.prototype.slice.call(raw), codec: "raw" }));
    }
  };
  const batcher = new ChunkBatcher((items) => compressor.hashCompressBatch(items), storeBatch);
  /** Chunks of changed files come back hashed only: just those the pool lacks are compressed. */
  const storeChanged = async (items: Uint8Array[], results: { id: string; stored: Uint8Array | null }[]) => {
    for (let i = 0; i < results.length; i++) {
      const raw = items[i]!;
      await storeIfMissing(results[i]!.id, raw.length, () => compressor.compress(raw));
    }
  };
  const changedBatcher = new ChunkBatcher(async (items) => (await compressor.hashBatch(items)).map((id) => ({ id, stored: null })), storeChanged);

  /**
   * Stores a file's content; null when the file was deleted since the walk saw it.
   *
   * This thread reads and cuts; chunks go to a worker in batches. A file the parent recovery
   * point had (changed since) is only hashed there, and only chunks the pool lacks are then
   * compressed: most of a changed large file is usually unchanged. A file new to the source
   * is mostly new data: its chunks are hashed and compressed in one go (a duplicate found
   * afterwards costs a compression, not a round trip per chunk).
   */
  const storeFile = async (file: Buffer, sizeHint: number, isNew: boolean): Promise<{ chunks: string[]; hash: string; size: number } | null> => {
    const chunker = new Chunker(store.chunker);
    const chunks: string[] = [];
    const waits: Promise<void>[] = [];
    let size = 0;
    const takeBatched = async (c: Uint8Array, b: ChunkBatcher) => {
      const at = chunks.push("") - 1; // filled in when the batch comes back
      const w = b.add(c).then((id) => {
        chunks[at] = id;
      });
      w.catch(() => undefined); // observed through `waits`
      waits.push(w);
      await b.room();
    };
    const take = (c: Uint8Array) => takeBatched(c, isNew ? batcher : changedBatcher);
    // One file handle, read in pieces of at most 1 MiB, sized to the file when it is small
    // (+1 so that a file read whole is known to have ended without another read).
    // O_NONBLOCK: a file swapped for a FIFO since the walk must not block the backup for
    // ever; it is then seen not to be a regular file and skipped like a vanished one.
    const fh = await fs.promises.open(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK).catch((err: NodeJS.ErrnoException) => (err.code === "ENOENT" ? null : Promise.reject(err)));
    if (!fh) return null;
    if (!(await fh.stat()).isFile()) {
      await fh.close();
      return null;
    }
    try {
      for (;;) {
        o.signal?.throwIfAborted(); // a large file stops at once, not at its end
        const buf = Buffer.allocUnsafe(Math.min(READ_SIZE, Math.max(sizeHint - size + 1, 4096)));
        const { bytesRead } = await fh.read(buf, 0, buf.length, null);
        if (bytesRead === 0) break;
        const b = buf.subarray(0, bytesRead);
        size += bytesRead;
        progress.bytesRead += bytesRead;
        report(); // throttled: a large file shows its reading, not only its end
        for (const c of chunker.push(b)) await take(c);
      }
    } finally {
      await fh.close();
    }
    const last = chunker.finish();
    if (last) await take(last);
    await Promise.all(waits);
    // The size recorded is what was read: a file that grows or shrinks during the backup is
    // stored as read, and the next backup sees it as changed.
    return { chunks, hash: contentHash(chunks), size };
  };

  /** A large file new to the source: read, cut, hashed and compressed entirely on a worker. */
  const storeFileOnWorker = async (file: Buffer): Promise<{ chunks: string[]; hash: string; size: number } | null> => {
    const r = await compressor.chunkFile(
      file,
      store.chunker,
      async (c) => {
        progress.bytesRead += c.rawLength;
        report();
        await storeIfMissing(c.id, c.rawLength, () => c);
      },
      { credit: WORKER_FILE_CREDIT, signal: o.signal },
    );
    return r && { chunks: r.chunks, hash: contentHash(r.chunks), size: r.size };
  };

  const tree = new TreeWriter(store);
  // Entries leave in walk order; files being read are promises in this queue.
  const queue: Promise<ManifestEntry | null>[] = []; // null: gone since the walk saw it
  let filesInFlight = 0;
  const slotFreed: (() => void)[] = [];
  const emitHead = async () => {
    const e = await queue.shift()!;
    if (!e) return;
    await tree.add(e);
    if (e.type === "dir") stats.dirs++;
    else if (e.type === "symlink") stats.symlinks++;
    else {
      stats.files++;
      stats.bytes += e.size;
      progress.files++;
      progress.bytes += e.size;
      report();
    }
  };

  const rootBuf = Buffer.from(root);
  report(true); // at once: the estimate of the total (the parent's size) is known before any file
  try {
    for await (const { rel, abs, stat: s } of walk(rootBuf, null, o.signal)) {
      const base = { path: rel, mode: s.mode & 0o7777, uid: s.uid, gid: s.gid, mtimeMs: s.mtimeMs, ino: s.ino, ctimeMs: s.ctimeMs };
      const prev = await parent.find(rel);
      if (s.isDirectory()) {
        queue.push(Promise.resolve({ ...base, type: "dir", size: 0 }));
      } else if (s.isSymbolicLink()) {
        const p = fs.promises.readlink(abs, { encoding: "buffer" }).then(
          (target) => ({ ...base, type: "symlink" as const, size: 0, target }),
          (err: NodeJS.ErrnoException) => (err.code === "ENOENT" || err.code === "EINVAL" ? null : Promise.reject(err)), // gone, or no longer a link
        );
        p.catch(() => undefined); // observed by emitHead
        queue.push(p);
      } else if (s.isFile()) {
        if (prev?.type === "file" && prev.size === s.size && prev.mtimeMs === s.mtimeMs && prev.ino === s.ino && prev.ctimeMs === s.ctimeMs && prev.chunks && prev.hash) {
          // Reused chunks must still be in the pool (a pruned or damaged parent is not trusted).
          if (await allPresent(store, prev.chunks)) {
            progress.reusedFiles++;
            queue.push(Promise.resolve({ ...base, type: "file", size: prev.size, chunks: prev.chunks, hash: prev.hash }));
            continue;
          }
        }
        // Small files are cheap to have in flight (and batch well); large ones hold buffers.
        const limit = s.size < SMALL_FILE ? SMALL_FILES_IN_FLIGHT : FILES_IN_FLIGHT;
        while (filesInFlight >= limit) await new Promise<void>((r) => slotFreed.push(r));
        o.signal?.throwIfAborted();
        filesInFlight++;
        const onWorker = !prev && s.size >= LARGE_FILE && compressor.wholeFiles;
      const p = (onWorker ? storeFileOnWorker(abs) : storeFile(abs, s.size, !prev))
          .then((r) => r && { ...base, type: "file" as const, ...r })
          .finally(() => {
            filesInFlight--;
            slotFreed.shift()?.();
          });
        p.catch(() => undefined); // observed by emitHead; never an unhandled rejection meanwhile
        queue.push(p);
      }
      // sockets, FIFOs and devices are not backed up
      while (queue.length > 256) await emitHead();
    }
    while (queue.length) await emitHead();
  } catch (err) {
    // Files and chunks still in flight settle before the caller releases the pool lock and
    // closes the compressor: nothing this backup started may write into the pool afterwards.
    await Promise.allSettled([...queue, ...inFlight.values(), batcher.idle(), changedBatcher.idle()]);
    throw err;
  }
  report(true);

  const { tree: treeIds, entryCount } = await tree.finish();
  stats.newChunks += tree.newChunks;
  stats.newStoredBytes += tree.newStoredBytes;
  const now = o.now ?? new Date();
  const header: ManifestHeader = { version: 2, id: newManifestId(now), time: now.toISOString(), source: label, parent: parentId, stats, tree: treeIds, entryCount };
  o.signal?.throwIfAborted(); // an abort that came while the tree was written still wins
  return store.commit(header);
}
