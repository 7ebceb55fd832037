/**
 * Prune and garbage collection.
 *
 * Prune removes recovery points by a retention policy (retention.ts decides, with reasons),
 * per source; removing one deletes only its header. Garbage collection then frees what no
 * recovery point uses any more:
 *
 *   1. under the EXCLUSIVE pool lock (no backup is running: one could rely on a chunk that
 *      no header names yet), mark every chunk named by a recovery point's tree or files;
 *      if any recovery point cannot be read completely, stop: never free data on a guess
 *   2. packs whose chunks are all unused are dropped; packs with at least `repackThreshold`
 *      of their bytes unused are rewritten: their used chunks, verified, go to new packs
 *   3. one new index naming exactly the packs kept is written (durable) and only then are
 *      the old index files and the dropped packs deleted
 *
 * A crash at any step leaves a pool that verifies: before (3) the old index still names
 * every old pack; after it, the packs it no longer names are leftovers the next run deletes.
 */
import fs from "node:fs";
import path from "node:path";
import type { ChunkStore, Location } from "./chunk-store";
import { BlobCorrupt, PoolFormatError } from "./errors";
import { acquireLock } from "./lock";
import { listManifestIds, readEntries, readHeader, removeHeader } from "./manifest";
import type { PackEntry } from "./pack";
import { applyRetention, type RetentionDecision, type RetentionPolicy } from "./retention";

export interface PruneResult {
  sources: { source: string; decisions: RetentionDecision[] }[];
  removed: string[];
  gc: GcResult | null;
}

export interface GcResult {
  packsDeleted: number;
  packsRewritten: number;
  chunksFreed: number;
  bytesFreed: number;
  /** Chunks still used whose stored bytes are damaged: their packs were kept as they are. */
  damagedChunksKept: string[];
  tempFilesRemoved: number;
}

/** Applies `policy` to each source's recovery points; removes what it says, then collects garbage. */
export async function prune(
  store: ChunkStore,
  policy: RetentionPolicy,
  o: { now?: Date; dryRun?: boolean; gc?: boolean; source?: string } = {},
): Promise<PruneResult> {
  const lock = acquireLock(store.dir, "exclusive", "prune");
  try {
    const bySource = new Map<string, { id: string; time: Date }[]>();
    for (const id of listManifestIds(store.dir)) {
      const h = readHeader(store.dir, id); // an unreadable header stops the prune: nothing decided on a guess
      if (o.source !== undefined && h.source !== o.source) continue;
      let list = bySource.get(h.source);
      if (!list) bySource.set(h.source, (list = []));
      list.push({ id, time: new Date(h.time) });
    }
    const result: PruneResult = { sources: [], removed: [], gc: null };
    for (const [source, points] of bySource) {
      const decisions = applyRetention(points, policy, o.now ?? new Date());
      result.sources.push({ source, decisions });
      for (const d of decisions) if (!d.keep) result.removed.push(d.id);
    }
    if (o.dryRun) return result;
    for (const id of result.removed) removeHeader(store.dir, id);
    if (o.gc !== false) result.gc = await collect(store, {});
    return result;
  } finally {
    lock.release();
  }
}

export async function collectGarbage(store: ChunkStore, o: { repackThreshold?: number } = {}): Promise<GcResult> {
  const lock = acquireLock(store.dir, "exclusive", "garbage collection");
  try {
    return await collect(store, o);
  } finally {
    lock.release();
  }
}

async function collect(store: ChunkStore, o: { repackThreshold?: number }): Promise<GcResult> {
  const threshold = o.repackThreshold ?? 0.25;
  const result: GcResult = { packsDeleted: 0, packsRewritten: 0, chunksFreed: 0, bytesFreed: 0, damagedChunksKept: [], tempFilesRemoved: 0 };

  // What other processes' backups and collections wrote since this store read the index.
  store.refreshIndex();

  // 1. Mark.
  const used = new Set<string>();
  for (const id of listManifestIds(store.dir)) {
    const header = readHeader(store.dir, id);
    for (const c of header.tree) used.add(c);
    try {
      for await (const e of readEntries(store, header)) for (const c of e.chunks ?? []) used.add(c);
    } catch (err) {
      if (err instanceof BlobCorrupt || err instanceof PoolFormatError) {
        throw new PoolFormatError(`recovery point ${id}`, `its file list cannot be read (${err.message}); garbage collection stopped so that nothing it uses is freed — run verify`);
      }
      throw err;
    }
  }

  // 2. Sweep, pack by pack.
  const byPack = new Map<string, [string, Location][]>();
  for (const [id, loc] of store.entries()) {
    let list = byPack.get(loc.pack);
    if (!list) byPack.set(loc.pack, (list = []));
    list.push([id, loc]);
  }
  // Packs no index names (a crash between a pack and its index) are deleted in (3), unless
  // they hold a chunk some recovery point uses and the index lacks (lost index files): then
  // stop before anything is written or deleted.
  for (const pack of store.listPacks()) {
    if (byPack.has(pack)) continue;
    let entries: PackEntry[] = [];
    try {
      entries = store.readPackEntries(pack);
    } catch (err) {
      if (!(err instanceof PoolFormatError)) throw err; // a torn pack: nothing in it is usable
    }
    if (entries.some((e) => used.has(e.id) && !store.has(e.id))) {
      throw new PoolFormatError(`pack ${pack}`, "holds chunks that recovery points use but no index names; garbage collection stopped — run `custodian pool verify --rebuild-index` first");
    }
  }
  const dropped = new Set<string>();
  for (const [pack, entries] of byPack) {
    const live = entries.filter(([id]) => used.has(id));
    const deadBytes = entries.reduce((n, [id, l]) => n + (used.has(id) ? 0 : l.length), 0);
    const allBytes = entries.reduce((n, [, l]) => n + l.length, 0);
    if (live.length === 0) {
      dropped.add(pack);
      result.chunksFreed += entries.length;
      continue;
    }
    if (deadBytes === 0 || deadBytes < threshold * allBytes) continue;
    // Rewrite: copy the used chunks, each verified, so that damage is never copied along.
    const copies: [string, Uint8Array, Location][] = [];
    try {
      for (const [id, loc] of live) {
        await store.get(id);
        copies.push([id, await store.readStored(id, loc), loc]);
      }
    } catch (err) {
      if (!(err instanceof BlobCorrupt)) throw err;
      result.damagedChunksKept.push(err.id);
      continue; // keep this pack as it is; verify reports the damage
    }
    for (const [id, stored, loc] of copies) await store.putStored(id, stored, loc.rawLength, loc.codec, { again: true });
    dropped.add(pack);
    result.packsRewritten++;
    result.chunksFreed += entries.length - live.length;
  }
  await store.flush();

  // 3. One index for what is kept (rewritten chunks now point at their new packs); then delete.
  const keep = new Map<string, PackEntry[]>();
  for (const [id, loc] of store.entries()) {
    if (dropped.has(loc.pack)) continue;
    let list = keep.get(loc.pack);
    if (!list) keep.set(loc.pack, (list = []));
    list.push({ id, ...loc });
  }
  store.replaceIndex(keep);
  for (const pack of store.listPacks()) {
    if (keep.has(pack)) continue;
    result.bytesFreed += store.packSize(pack);
    await store.deletePack(pack);
    result.packsDeleted++;
  }
  result.tempFilesRemoved = removeTempFiles(store.dir);
  return result;
}

/** Temp files of crashed writers; safe to delete only while nobody else writes (exclusive lock). */
function removeTempFiles(poolDir: string): number {
  let n = 0;
  const visit = (dir: string) => {
    for (const d of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, d.name);
      if (d.isDirectory()) visit(p);
      else if (d.name.endsWith(".tmp")) {
        fs.rmSync(p, { force: true });
        n++;
      }
    }
  };
  for (const sub of ["packs", "index", "snapshots"]) if (fs.existsSync(path.join(poolDir, sub))) visit(path.join(poolDir, sub));
  return n;
}
