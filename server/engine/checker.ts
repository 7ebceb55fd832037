/**
 * Verify: re-reads the pool and reports every problem by chunk id, with the recovery points
 * and files it affects, so that an operator knows exactly what a damaged disk has cost.
 *
 *   1. index against disk: packs the index names but that are gone; packs no index names
 *   2. packs (all, or a random sample): the file hashes to its name, its trailer agrees with
 *      the index, and every chunk decompresses and hashes to its id
 *   3. recovery points: every header is well formed, every tree chunk reads back, every
 *      chunk a file names is in the index, and none of them is among the damaged
 *
 * Step 3 always runs in full (it reads only trees); a sample limits step 2. The checker only
 * reads, under a shared lock, so it may run beside backups.
 */
import { randomInt } from "node:crypto";
import { sha256Hex, type ChunkStore } from "./chunk-store";
import { BlobCorrupt, BlobNotFound, PoolFormatError } from "./errors";
import { acquireLock } from "./lock";
import { listManifestIds, readEntries, readHeader } from "./manifest";
import type { PackEntry } from "./pack";

export interface AffectedFile {
  recoveryPoint: string;
  path: Buffer;
}

export interface ChunkProblem {
  chunk: string;
  pack: string | null;
  kind: "damaged" | "missing";
  detail: string;
  recoveryPoints: string[];
  /** The first 100 affected files; `fileCount` counts them all. */
  files: AffectedFile[];
  fileCount: number;
  /** True when the chunk is part of a recovery point's tree (its file list) rather than file data. */
  inTree: boolean;
}

export interface VerifyReport {
  ok: boolean;
  sampled: boolean;
  packsTotal: number;
  packsRead: number;
  chunksRead: number;
  bytesRead: number;
  recoveryPoints: number;
  chunkProblems: ChunkProblem[];
  packProblems: { pack: string; detail: string }[];
  recoveryPointProblems: { id: string; detail: string }[];
  /** Packs on disk that no index names (a crash before the index was written; GC frees them). */
  unindexedPacks: string[];
  /** Indexed chunks no recovery point uses (freed by the next garbage collection). */
  unreferencedChunks: number;
}

export interface VerifyOptions {
  /** Fraction of packs to re-read, in (0, 1]; 1 (the default) reads them all. */
  sample?: number;
  onProgress?: (p: { packsRead: number; packsToRead: number; bytesRead: number }) => void;
}

export async function verifyPool(store: ChunkStore, o: VerifyOptions = {}): Promise<VerifyReport> {
  const sample = o.sample ?? 1;
  if (!(sample > 0 && sample <= 1)) throw new RangeError(`sample must be in (0, 1], got ${sample}`);
  const lock = acquireLock(store.dir, "shared", "verify");
  try {
    return await runVerify(store, sample, o);
  } finally {
    lock.release();
  }
}

async function runVerify(store: ChunkStore, sample: number, o: VerifyOptions): Promise<VerifyReport> {
  const report: VerifyReport = {
    ok: true,
    sampled: sample < 1,
    packsTotal: 0,
    packsRead: 0,
    chunksRead: 0,
    bytesRead: 0,
    recoveryPoints: 0,
    chunkProblems: [],
    packProblems: [],
    recoveryPointProblems: [],
    unindexedPacks: [],
    unreferencedChunks: 0,
  };
  const bad = new Map<string, ChunkProblem>();
  const markBad = (chunk: string, pack: string | null, kind: ChunkProblem["kind"], detail: string) => {
    if (!bad.has(chunk)) bad.set(chunk, { chunk, pack, kind, detail, recoveryPoints: [], files: [], fileCount: 0, inTree: false });
  };

  // The recovery points to check, then the index as it is now: a header is written after the
  // index files naming its chunks, and a pack before its index file, so neither a backup
  // finishing meanwhile (in this process or another) nor a store opened long ago can make a
  // chunk look missing. Packs a backup writes after this point show up as unindexed at worst.
  const ids = listManifestIds(store.dir);
  store.refreshIndex();

  // 1. The index against the disk.
  const byPack = new Map<string, [string, PackEntry][]>();
  for (const [id, loc] of store.entries()) {
    let list = byPack.get(loc.pack);
    if (!list) byPack.set(loc.pack, (list = []));
    list.push([id, { id, ...loc }]);
  }
  const onDisk = new Set(store.listPacks());
  report.packsTotal = onDisk.size;
  for (const [pack, entries] of byPack) {
    if (onDisk.has(pack)) continue;
    report.packProblems.push({ pack, detail: "the index names this pack but its file is missing" });
    for (const [id] of entries) markBad(id, pack, "missing", "its pack file is missing");
  }
  report.unindexedPacks = [...onDisk].filter((p) => !byPack.has(p));

  // 2. Packs, re-read and re-hashed.
  const toRead = [...byPack.keys()].filter((p) => onDisk.has(p) && (sample >= 1 || randomInt(1_000_000) < sample * 1_000_000));
  for (const pack of toRead) {
    const entries = byPack.get(pack)!;
    let bytes: Buffer;
    try {
      bytes = store.readPackFile(pack);
    } catch (err) {
      report.packProblems.push({ pack, detail: `cannot be read: ${(err as Error).message}` });
      for (const [id] of entries) markBad(id, pack, "damaged", "its pack cannot be read");
      continue;
    }
    report.packsRead++;
    report.bytesRead += bytes.length;
    if (sha256Hex(bytes) !== pack) report.packProblems.push({ pack, detail: "its content does not hash to its name (damaged on disk)" });
    let trailer: Map<string, PackEntry> | null = null;
    try {
      trailer = new Map(store.readPackEntries(pack, bytes).map((e) => [e.id, e]));
    } catch (err) {
      report.packProblems.push({ pack, detail: `its entry table is unreadable: ${(err as Error).message}` });
    }
    for (const [id, loc] of entries) {
      const t = trailer?.get(id);
      if (trailer && (!t || t.offset !== loc.offset || t.length !== loc.length)) {
        markBad(id, pack, "damaged", "the index and the pack disagree on where it is");
        continue;
      }
      if (loc.offset + loc.length > bytes.length) {
        markBad(id, pack, "damaged", "it lies beyond the end of its pack");
        continue;
      }
      try {
        await store.get(id); // decompress + hash against the id
        report.chunksRead++;
      } catch (err) {
        if (!(err instanceof BlobCorrupt)) throw err;
        markBad(id, pack, "damaged", err.message.replace(/^.*is damaged: /, ""));
      }
    }
    o.onProgress?.({ packsRead: report.packsRead, packsToRead: toRead.length, bytesRead: report.bytesRead });
  }

  // 3. Recovery points: what each damaged chunk costs, and chunks that are simply gone.
  const referenced = new Set<string>();
  const affect = (chunk: string, rp: string, file: Buffer | null) => {
    let p = bad.get(chunk);
    if (!p && !store.has(chunk)) {
      markBad(chunk, null, "missing", "no index names it");
      p = bad.get(chunk)!;
    }
    if (!p) return;
    if (p.recoveryPoints.at(-1) !== rp) p.recoveryPoints.push(rp);
    if (file) {
      p.fileCount++;
      if (p.files.length < 100) p.files.push({ recoveryPoint: rp, path: file });
    } else p.inTree = true;
  };
  for (const id of ids) {
    report.recoveryPoints++;
    let header;
    try {
      header = readHeader(store.dir, id);
    } catch (err) {
      report.recoveryPointProblems.push({ id, detail: (err as Error).message });
      continue;
    }
    for (const c of header.tree) {
      referenced.add(c);
      affect(c, id, null);
    }
    try {
      for await (const e of readEntries(store, header)) {
        for (const c of e.chunks ?? []) {
          referenced.add(c);
          affect(c, id, e.path);
        }
      }
    } catch (err) {
      if (!(err instanceof BlobCorrupt || err instanceof BlobNotFound || err instanceof PoolFormatError)) throw err;
      if (err instanceof BlobCorrupt && header.tree.includes(err.id)) {
        // A tree chunk in a pack the sample skipped: reading the tree found the damage.
        markBad(err.id, err.pack, "damaged", err.message.replace(/^.*is damaged: /, ""));
        affect(err.id, id, null);
      }
      report.recoveryPointProblems.push({ id, detail: `its file list cannot be read completely: ${err.message}` });
    }
  }
  for (const [id] of store.entries()) if (!referenced.has(id)) report.unreferencedChunks++;

  report.chunkProblems = [...bad.values()];
  report.ok = report.chunkProblems.length === 0 && report.packProblems.length === 0 && report.recoveryPointProblems.length === 0;
  return report;
}
