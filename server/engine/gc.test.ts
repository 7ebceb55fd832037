import fs from "node:fs";
import path from "node:path";
import { randomBytes } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { SMALL_CHUNKS, collect, tempSpace, treeSnapshot } from "./test-support";
import { ChunkStore, sha256Hex } from "./chunk-store";
import { backupFolder } from "./archiver";
import { verifyPool } from "./checker";
import { PoolFormatError } from "./errors";
import { collectGarbage, prune } from "./gc";
import { acquireLock, PoolLocked, type PoolLockHandle } from "./lock";
import { listManifestIds, newManifestId, readEntries, removeHeader, writeHeader, type ManifestEntry, type ManifestHeader } from "./manifest";
import { PackBuilder } from "./pack";
import { restore } from "./restorer";

const locks: PoolLockHandle[] = [];
afterEach(() => locks.splice(0).forEach((l) => l.release()));
const { tmp, track } = tempSpace("gc");
const SMALL = SMALL_CHUNKS;
const NOW = new Date("2026-11-24T12:00:00Z");
const daysAgo = (d: number, h = 0) => new Date(NOW.getTime() - d * 86_400_000 - h * 3_600_000);
const packPath = (pool: string, pack: string) => path.join(pool, "packs", pack.slice(0, 2), `${pack}.pack`);
const packBytes = (store: ChunkStore) => store.listPacks().reduce((n, p) => n + store.packSize(p), 0);
const indexFiles = (pool: string) => fs.readdirSync(path.join(pool, "index")).sort();
/** Every file under the pool's packs/ and index/ (what GC may delete or write). */
const poolFiles = (pool: string) => ["packs", "index"].flatMap((d) => fs.readdirSync(path.join(pool, d), { recursive: true }).map((f) => `${d}/${String(f)}`)).sort();

const entries = (store: ChunkStore, h: ManifestHeader): Promise<ManifestEntry[]> => collect(readEntries(store, h));

const snapshot = treeSnapshot;

/** A source folder whose every backup is recorded with what it held. */
function source() {
  const dir = tmp();
  fs.mkdirSync(path.join(dir, "sub"));
  fs.writeFileSync(path.join(dir, "stable.bin"), randomBytes(30_000));
  fs.writeFileSync(path.join(dir, "sub", "stable.txt"), "the same every day\n".repeat(500));
  return dir;
}
/** Changes the source (a new random "day.bin") and backs it up at `at`. */
async function dayBackup(store: ChunkStore, src: string, at: Date, seen: Map<string, Record<string, string>>) {
  fs.writeFileSync(path.join(src, "day.bin"), randomBytes(20_000));
  const h = await backupFolder(store, src, { now: at });
  seen.set(h.id, snapshot(src));
  return h;
}

async function restoresIdentically(pool: string, h: ManifestHeader, expected: Record<string, string>) {
  const target = tmp();
  const r = await restore(track(ChunkStore.open(pool)), h, target);
  expect(r.counts.failed + r.counts.refused).toBe(0);
  expect(snapshot(target)).toEqual(expected);
}

describe("prune", () => {
  it("removes what the policy does not keep, per source, always keeping each source's newest", async () => {
    const pool = tmp();
    const store = track(ChunkStore.init(pool, { chunker: SMALL }));
    const a = source();
    const b = source();
    const seen = new Map<string, Record<string, string>>();
    const as = [];
    for (const d of [6, 5, 4, 3, 2]) as.push(await dayBackup(store, a, daysAgo(d), seen));
    const bs = [await dayBackup(store, b, daysAgo(30), seen), await dayBackup(store, b, daysAgo(20), seen)];

    const r = await prune(store, { keepLast: 2 }, { now: NOW, gc: false });
    expect(r.gc).toBeNull();
    expect(r.sources.map((s) => s.source).sort()).toEqual([a, b].sort());
    expect(r.removed.sort()).toEqual(as.slice(0, 3).map((h) => h.id).sort());
    expect(listManifestIds(pool)).toEqual([...as.slice(3), ...bs].map((h) => h.id).sort());
    const decisions = r.sources.find((s) => s.source === a)!.decisions;
    expect(decisions.filter((d) => d.keep).map((d) => d.id)).toEqual([as[4]!.id, as[3]!.id]);

    // A rule that keeps nothing within the last day still keeps each source's newest.
    const r2 = await prune(store, { keepWithinDays: 1 }, { now: NOW, gc: false });
    expect(r2.removed.sort()).toEqual([as[3]!.id, bs[0]!.id].sort());
    expect(listManifestIds(pool)).toEqual([as[4]!.id, bs[1]!.id].sort());
    expect(fs.readdirSync(path.join(pool, "locks"))).toEqual([]);
  });

  it("with a source only touches that source's recovery points, and a dry run removes nothing", async () => {
    const pool = tmp();
    const store = track(ChunkStore.init(pool, { chunker: SMALL }));
    const a = source();
    const b = source();
    const seen = new Map<string, Record<string, string>>();
    const as = [await dayBackup(store, a, daysAgo(3), seen), await dayBackup(store, a, daysAgo(2), seen)];
    const bs = [await dayBackup(store, b, daysAgo(3), seen), await dayBackup(store, b, daysAgo(2), seen)];
    const all = listManifestIds(pool);
    const filesBefore = poolFiles(pool);

    const dry = await prune(store, { keepLast: 1 }, { now: NOW, dryRun: true });
    expect(dry.removed.sort()).toEqual([as[0]!.id, bs[0]!.id].sort());
    expect(dry.gc).toBeNull();
    expect(listManifestIds(pool)).toEqual(all);
    expect(poolFiles(pool)).toEqual(filesBefore);

    const onlyB = await prune(store, { keepLast: 1 }, { now: NOW, source: b });
    expect(onlyB.sources.map((s) => s.source)).toEqual([b]);
    expect(onlyB.removed).toEqual([bs[0]!.id]);
    expect(listManifestIds(pool)).toEqual([as[0]!.id, as[1]!.id, bs[1]!.id].sort());
    expect(onlyB.gc).not.toBeNull();

    const none = await prune(store, { keepLast: 1 }, { now: NOW, source: "/no/such/source" });
    expect(none).toMatchObject({ sources: [], removed: [] });
    expect(listManifestIds(pool)).toHaveLength(3);
  });

  it("stops before removing anything when a header cannot be read", async () => {
    const pool = tmp();
    const store = track(ChunkStore.init(pool, { chunker: SMALL }));
    const a = source();
    const seen = new Map<string, Record<string, string>>();
    await dayBackup(store, a, daysAgo(3), seen);
    await dayBackup(store, a, daysAgo(2), seen);
    fs.writeFileSync(path.join(pool, "snapshots", `${newManifestId(daysAgo(1))}.json`), "{torn");
    const before = listManifestIds(pool);
    await expect(prune(store, { keepLast: 1 }, { now: NOW })).rejects.toBeInstanceOf(PoolFormatError);
    expect(listManifestIds(pool)).toEqual(before);
    expect(fs.readdirSync(path.join(pool, "locks"))).toEqual([]);
  });
});

describe("prune + garbage collection", () => {
  it("frees the space of removed recovery points; those kept restore byte for byte and verify clean", async () => {
    const pool = tmp();
    const store = track(ChunkStore.init(pool, { chunker: SMALL, packTargetBytes: 24 * 1024 }));
    const a = source();
    const b = source();
    const seen = new Map<string, Record<string, string>>();
    const as = [];
    for (const d of [5, 4, 3, 2, 1]) as.push(await dayBackup(store, a, daysAgo(d), seen));
    const bs = [await dayBackup(store, b, daysAgo(2), seen), await dayBackup(store, b, daysAgo(1), seen)];
    const bytesBefore = packBytes(store);
    const packsBefore = store.listPacks().length;

    const r = await prune(store, { keepLast: 2 }, { now: NOW });
    expect(r.removed.sort()).toEqual(as.slice(0, 3).map((h) => h.id).sort());
    expect(r.gc!.packsDeleted).toBeGreaterThan(0);
    expect(r.gc!.chunksFreed).toBeGreaterThan(0);
    expect(r.gc!.bytesFreed).toBeGreaterThan(0);
    expect(r.gc!.damagedChunksKept).toEqual([]);
    const bytesAfter = packBytes(track(ChunkStore.open(pool)));
    expect(bytesAfter).toBeLessThan(bytesBefore);
    expect(store.listPacks().length).toBeLessThan(packsBefore);

    for (const h of [...as.slice(3), ...bs]) await restoresIdentically(pool, h, seen.get(h.id)!);
    const v = await verifyPool(track(ChunkStore.open(pool)));
    expect(v).toMatchObject({ ok: true, unindexedPacks: [], recoveryPoints: 4 });
    // Dead chunks left in packs below the rewrite threshold go once the threshold is lowered.
    const compact = await collectGarbage(track(ChunkStore.open(pool)), { repackThreshold: 1e-9 });
    expect(compact.chunksFreed).toBe(v.unreferencedChunks);
    expect(await verifyPool(track(ChunkStore.open(pool)))).toMatchObject({ ok: true, unreferencedChunks: 0 });
    for (const h of [...as.slice(3), ...bs]) await restoresIdentically(pool, h, seen.get(h.id)!);

    // Nothing left to collect: another run deletes nothing.
    const again = await collectGarbage(track(ChunkStore.open(pool)), { repackThreshold: 1e-9 });
    expect(again).toMatchObject({ packsDeleted: 0, packsRewritten: 0, chunksFreed: 0, bytesFreed: 0 });
  });

  it("rewrites a pack that is partly dead above the threshold, keeping its live chunks readable", async () => {
    const pool = tmp();
    const store = track(ChunkStore.init(pool, { chunker: SMALL }));
    const src = tmp();
    fs.writeFileSync(path.join(src, "keep.bin"), randomBytes(30_000));
    fs.writeFileSync(path.join(src, "drop.bin"), randomBytes(30_000));
    const first = await backupFolder(store, src, { now: daysAgo(2) });
    expect(store.listPacks()).toHaveLength(1); // both files and the tree in one pack
    const [oldPack] = store.listPacks();
    fs.rmSync(path.join(src, "drop.bin"));
    const second = await backupFolder(store, src, { now: daysAgo(1) });
    const keepChunks = (await entries(store, second)).find((e) => e.path.toString() === "keep.bin")!.chunks!;
    removeHeader(pool, first.id);

    const gcStore = track(ChunkStore.open(pool));
    const r = await collectGarbage(gcStore);
    expect(r.packsRewritten).toBe(1);
    expect(r.chunksFreed).toBeGreaterThan(0);
    expect(gcStore.listPacks()).not.toContain(oldPack);
    expect(fs.existsSync(packPath(pool, oldPack!))).toBe(false);
    for (const c of keepChunks) {
      expect(gcStore.locate(c)!.pack).not.toBe(oldPack);
      expect(sha256Hex(await gcStore.get(c))).toBe(c);
      expect(sha256Hex(await track(ChunkStore.open(pool)).get(c))).toBe(c);
    }
    expect(await verifyPool(track(ChunkStore.open(pool)))).toMatchObject({ ok: true, unreferencedChunks: 0, unindexedPacks: [] });
    await restoresIdentically(pool, second, snapshot(src));
  });

  it("leaves a partly dead pack alone below the threshold", async () => {
    const pool = tmp();
    const store = track(ChunkStore.init(pool, { chunker: SMALL }));
    const src = tmp();
    fs.writeFileSync(path.join(src, "big.bin"), randomBytes(90_000));
    fs.writeFileSync(path.join(src, "small.bin"), randomBytes(5_000));
    const first = await backupFolder(store, src, { now: daysAgo(2) });
    fs.rmSync(path.join(src, "small.bin"));
    await backupFolder(store, src, { now: daysAgo(1) });
    removeHeader(pool, first.id);
    const [pack1] = store.listPacks().filter((p) => p === store.locate(first.tree[0]!)!.pack);
    const r = await collectGarbage(track(ChunkStore.open(pool)), { repackThreshold: 0.5 });
    expect(r.packsRewritten).toBe(0);
    expect(fs.existsSync(packPath(pool, pack1!))).toBe(true);
    // Still counted as unused until a rewrite: nothing was lost, nothing freed.
    expect(await verifyPool(track(ChunkStore.open(pool)))).toMatchObject({ ok: true });
  });

  it("keeps a partly dead pack as it is when a live chunk in it is damaged, and says so", async () => {
    const pool = tmp();
    const store = track(ChunkStore.init(pool, { chunker: SMALL }));
    const src = tmp();
    fs.writeFileSync(path.join(src, "keep.bin"), randomBytes(30_000));
    fs.writeFileSync(path.join(src, "drop.bin"), randomBytes(30_000));
    const first = await backupFolder(store, src, { now: daysAgo(2) });
    fs.rmSync(path.join(src, "drop.bin"));
    const second = await backupFolder(store, src, { now: daysAgo(1) });
    removeHeader(pool, first.id);
    const [victim] = (await entries(store, second)).find((e) => e.path.toString() === "keep.bin")!.chunks!;
    const loc = store.locate(victim!)!;
    const bytes = fs.readFileSync(packPath(pool, loc.pack));
    bytes[loc.offset + 10]! ^= 1;
    fs.writeFileSync(packPath(pool, loc.pack), bytes);

    const r = await collectGarbage(track(ChunkStore.open(pool)));
    expect(r.damagedChunksKept).toEqual([victim]);
    expect(r.packsRewritten).toBe(0);
    expect(fs.existsSync(packPath(pool, loc.pack))).toBe(true);
    const v = await verifyPool(track(ChunkStore.open(pool)));
    expect(v.chunkProblems.map((p) => p.chunk)).toEqual([victim]);
  });
});

describe("garbage collection refuses rather than guesses", () => {
  /** A pool with a removed recovery point (so there is garbage) and one kept. */
  async function poolWithGarbage() {
    const pool = tmp();
    const store = track(ChunkStore.init(pool, { chunker: SMALL, packTargetBytes: 16 * 1024 }));
    const src = source();
    const seen = new Map<string, Record<string, string>>();
    const old = await dayBackup(store, src, daysAgo(3), seen);
    fs.writeFileSync(path.join(src, "extra.bin"), randomBytes(40_000));
    const kept = await dayBackup(store, src, daysAgo(2), seen);
    removeHeader(pool, old.id);
    return { pool, store, src, kept, seen };
  }

  it("when a recovery point's tree is damaged: it throws and deletes nothing", async () => {
    const { pool, store, kept } = await poolWithGarbage();
    const loc = store.locate(kept.tree[0]!)!;
    const bytes = fs.readFileSync(packPath(pool, loc.pack));
    bytes[loc.offset + 3]! ^= 0xff;
    fs.writeFileSync(packPath(pool, loc.pack), bytes);
    const before = poolFiles(pool);
    await expect(collectGarbage(track(ChunkStore.open(pool)))).rejects.toThrow(/garbage collection stopped/);
    expect(poolFiles(pool)).toEqual(before);
    expect(fs.readdirSync(path.join(pool, "locks"))).toEqual([]);
  });

  it("when a recovery point's tree names a chunk the pool does not have: it throws and deletes nothing", async () => {
    const { pool, kept } = await poolWithGarbage();
    writeHeader(pool, { ...kept, id: newManifestId(daysAgo(1)), tree: [...kept.tree, "0".repeat(64)] });
    const before = poolFiles(pool);
    await expect(collectGarbage(track(ChunkStore.open(pool)))).rejects.toThrow();
    expect(poolFiles(pool)).toEqual(before);
  });

  it("when a header is unreadable: it throws and deletes nothing", async () => {
    const { pool } = await poolWithGarbage();
    fs.writeFileSync(path.join(pool, "snapshots", `${newManifestId(daysAgo(1))}.json`), "{}");
    const before = poolFiles(pool);
    await expect(collectGarbage(track(ChunkStore.open(pool)))).rejects.toBeInstanceOf(PoolFormatError);
    expect(poolFiles(pool)).toEqual(before);
  });

  it("while a shared lock is held (a backup is running)", async () => {
    const { pool } = await poolWithGarbage();
    const lock = acquireLock(pool, "shared", "x");
    locks.push(lock);
    const before = poolFiles(pool);
    const err = await collectGarbage(track(ChunkStore.open(pool))).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PoolLocked);
    expect((err as PoolLocked).holder.purpose).toBe("x");
    await expect(prune(track(ChunkStore.open(pool)), { keepLast: 1 })).rejects.toBeInstanceOf(PoolLocked);
    expect(poolFiles(pool)).toEqual(before);
    lock.release();
    expect((await collectGarbage(track(ChunkStore.open(pool)))).packsDeleted).toBeGreaterThan(0);
  });

  it("when a pack no index names holds chunks recovery points use: it throws, touches nothing, and works after an index rebuild", async () => {
    const { pool, store, kept, seen } = await poolWithGarbage();
    const treePacks = new Set(kept.tree.map((c) => store.locate(c)!.pack));
    const dataPack = [...new Set((await entries(store, kept)).flatMap((e) => e.chunks ?? []).map((c) => store.locate(c)!.pack))].find((p) => !treePacks.has(p))!;
    expect(dataPack).toBeDefined();
    const indexFile = indexFiles(pool).find((n) => fs.readFileSync(path.join(pool, "index", n), "utf8").includes(dataPack))!;
    fs.rmSync(path.join(pool, "index", indexFile)); // a lost index file
    const before = poolFiles(pool);

    const gcStore = track(ChunkStore.open(pool));
    await expect(collectGarbage(gcStore)).rejects.toThrow(/no index names/);
    expect(poolFiles(pool)).toEqual(before); // not deleted, and no half-done rewrite either
    expect(fs.existsSync(packPath(pool, dataPack))).toBe(true);

    gcStore.rebuildIndex();
    const r = await collectGarbage(gcStore, { repackThreshold: 1e-9 });
    expect(r.packsDeleted).toBeGreaterThan(0);
    expect(await verifyPool(track(ChunkStore.open(pool)))).toMatchObject({ ok: true, unreferencedChunks: 0 });
    await restoresIdentically(pool, kept, seen.get(kept.id)!);
  });
});

describe("garbage collection cleans up after crashes", () => {
  it("deletes temp files and packs no index names that nothing uses", async () => {
    const pool = tmp();
    const store = track(ChunkStore.init(pool, { chunker: SMALL }));
    const src = source();
    const seen = new Map<string, Record<string, string>>();
    const h = await dayBackup(store, src, daysAgo(1), seen);
    const orphan = new PackBuilder();
    const junk = randomBytes(1000);
    orphan.add(sha256Hex(junk), junk, junk.length, "raw");
    const o = orphan.finish();
    fs.mkdirSync(path.dirname(packPath(pool, o.name)), { recursive: true });
    fs.writeFileSync(packPath(pool, o.name), o.bytes);
    const temps = [
      path.join(pool, "packs", ".pack-0b5c0e1e-0000-4000-8000-000000000000.tmp"),
      path.join(pool, "index", ".abc.json.123.456.tmp"),
      path.join(pool, "snapshots", `.${h.id}.json.123.456.tmp`),
    ];
    for (const t of temps) fs.writeFileSync(t, "half");

    const r = await collectGarbage(track(ChunkStore.open(pool)));
    expect(r.tempFilesRemoved).toBe(3);
    for (const t of temps) expect(fs.existsSync(t)).toBe(false);
    expect(fs.existsSync(packPath(pool, o.name))).toBe(false);
    expect(r.packsDeleted).toBe(1);
    expect(r.bytesFreed).toBe(o.bytes.length);
    expect(await verifyPool(track(ChunkStore.open(pool)))).toMatchObject({ ok: true, unindexedPacks: [] });
    await restoresIdentically(pool, h, seen.get(h.id)!);
  });

  it("deletes a torn pack (a crash while it was renamed in) rather than failing", async () => {
    const pool = tmp();
    const store = track(ChunkStore.init(pool, { chunker: SMALL }));
    const src = source();
    await backupFolder(store, src);
    const torn = new PackBuilder();
    torn.add("c".repeat(64), Buffer.from("xx"), 2, "raw");
    const t = torn.finish();
    fs.mkdirSync(path.dirname(packPath(pool, t.name)), { recursive: true });
    fs.writeFileSync(packPath(pool, t.name), t.bytes.subarray(0, t.bytes.length - 3));
    const r = await collectGarbage(track(ChunkStore.open(pool)));
    expect(r.packsDeleted).toBe(1);
    expect(fs.existsSync(packPath(pool, t.name))).toBe(false);
  });

  it("collects with a store opened before another process added recovery points", async () => {
    const pool = tmp();
    const early = track(ChunkStore.init(pool, { chunker: SMALL }));
    const src = source();
    const seen = new Map<string, Record<string, string>>();
    const old = await dayBackup(early, src, daysAgo(3), seen);
    const other = track(ChunkStore.open(pool)); // another process
    const newer = await dayBackup(other, src, daysAgo(2), seen);
    removeHeader(pool, old.id);
    const r = await collectGarbage(early);
    expect(r.chunksFreed).toBeGreaterThan(0);
    expect(await verifyPool(track(ChunkStore.open(pool)))).toMatchObject({ ok: true, unreferencedChunks: 0, unindexedPacks: [] });
    await restoresIdentically(pool, newer, seen.get(newer.id)!);
  });
});
