import fs from "node:fs";
import path from "node:path";
import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { SMALL_CHUNKS, collect, tempSpace } from "./test-support";
import { ChunkStore } from "./chunk-store";
import { backupFolder } from "./archiver";
import { verifyPool, type VerifyReport } from "./checker";
import { readEntries, readHeader, removeHeader, writeHeader, newManifestId, type ManifestEntry, type ManifestHeader } from "./manifest";
import { PackBuilder } from "./pack";

const { tmp, track } = tempSpace("verify");
const SMALL = SMALL_CHUNKS;
const packPath = (pool: string, pack: string) => path.join(pool, "packs", pack.slice(0, 2), `${pack}.pack`);

const entries = (store: ChunkStore, h: ManifestHeader): Promise<ManifestEntry[]> => collect(readEntries(store, h));
const fileChunks = async (store: ChunkStore, h: ManifestHeader, name: string) => (await entries(store, h)).find((e) => e.path.toString() === name)!.chunks!;

/** Flips one byte inside a stored chunk, found through the index. */
function damage(pool: string, store: ChunkStore, chunk: string, at = 100) {
  const loc = store.locate(chunk)!;
  const file = packPath(pool, loc.pack);
  const bytes = fs.readFileSync(file);
  bytes[loc.offset + Math.min(at, loc.length - 1)]! ^= 0x5a;
  fs.writeFileSync(file, bytes);
  return loc.pack;
}

/**
 * A pool with two recovery points of one folder: "shared.bin" unchanged in both (so it is in
 * both), "changing.bin" rewritten in between, "docs/note.txt" in both. Random contents, so
 * data chunks are stored raw.
 */
async function twoPoints(o: { packTargetBytes?: number } = {}) {
  const pool = tmp();
  const src = tmp();
  fs.writeFileSync(path.join(src, "shared.bin"), randomBytes(40_000));
  fs.writeFileSync(path.join(src, "changing.bin"), randomBytes(30_000));
  fs.mkdirSync(path.join(src, "docs"));
  fs.writeFileSync(path.join(src, "docs", "note.txt"), randomBytes(5_000));
  const store = track(ChunkStore.init(pool, { chunker: SMALL, ...o }));
  const rp1 = await backupFolder(store, src, { now: new Date("2026-11-20T10:00:00Z") });
  fs.writeFileSync(path.join(src, "changing.bin"), randomBytes(30_000));
  const rp2 = await backupFolder(store, src, { now: new Date("2026-11-21T10:00:00Z") });
  return { pool, src, store, rp1, rp2 };
}

const reopen = (pool: string, o?: { packTargetBytes?: number }) => track(ChunkStore.open(pool, o));
const paths = (r: VerifyReport) => r.chunkProblems.flatMap((p) => p.files.map((f) => `${f.recoveryPoint} ${f.path.toString()}`)).sort();

describe("verifyPool", () => {
  it("finds nothing wrong in a clean pool, and counts what it read", async () => {
    const { pool, store } = await twoPoints();
    const r = await verifyPool(reopen(pool));
    expect(r).toMatchObject({ ok: true, sampled: false, recoveryPoints: 2, chunkProblems: [], packProblems: [], recoveryPointProblems: [], unindexedPacks: [], unreferencedChunks: 0 });
    expect(r.packsRead).toBe(r.packsTotal);
    expect(r.packsTotal).toBe(store.listPacks().length);
    expect(r.chunksRead).toBe(store.stats().chunks);
    expect(r.bytesRead).toBe(store.listPacks().reduce((n, p) => n + store.packSize(p), 0));
    expect(fs.readdirSync(path.join(pool, "locks"))).toEqual([]); // its shared lock is gone
  });

  it("names a damaged chunk, its pack, and every recovery point and file it costs", async () => {
    const { pool, store, rp1, rp2 } = await twoPoints();
    const [victim] = await fileChunks(store, rp1, "shared.bin");
    expect(await fileChunks(store, rp2, "shared.bin")).toContain(victim);
    const pack = damage(pool, store, victim!);

    const r = await verifyPool(reopen(pool));
    expect(r.ok).toBe(false);
    expect(r.chunkProblems).toHaveLength(1);
    const p = r.chunkProblems[0]!;
    expect(p).toMatchObject({ chunk: victim, pack, kind: "damaged", recoveryPoints: [rp1.id, rp2.id], fileCount: 2, inTree: false });
    expect(p.detail).toMatch(/do not match its id/);
    expect(paths(r)).toEqual([`${rp1.id} shared.bin`, `${rp2.id} shared.bin`]);
    expect(r.packProblems).toEqual([{ pack, detail: expect.stringMatching(/does not hash to its name/) }]);
    expect(r.recoveryPointProblems).toEqual([]);
    expect(r.chunksRead).toBe(store.stats().chunks - 1);
  });

  it("reports a damaged tree chunk as part of the recovery point's file list", async () => {
    const { pool, store, rp1, rp2 } = await twoPoints();
    expect(rp2.tree).toHaveLength(1);
    expect(rp1.tree).not.toEqual(rp2.tree);
    const pack = damage(pool, store, rp2.tree[0]!, 5);

    const r = await verifyPool(reopen(pool));
    expect(r.ok).toBe(false);
    expect(r.chunkProblems).toEqual([expect.objectContaining({ chunk: rp2.tree[0], pack, kind: "damaged", inTree: true, recoveryPoints: [rp2.id], fileCount: 0 })]);
    expect(r.recoveryPointProblems).toEqual([{ id: rp2.id, detail: expect.stringMatching(/file list cannot be read/) }]);
  });

  it("reports a damaged tree chunk found while reading trees even when its pack was not in the sample", async () => {
    const { pool, store, rp2 } = await twoPoints();
    damage(pool, store, rp2.tree[0]!, 5);
    const r = await verifyPool(reopen(pool), { sample: 1e-9 }); // practically no pack re-read
    expect(r.packsRead).toBe(0);
    expect(r.ok).toBe(false);
    expect(r.recoveryPointProblems.map((p) => p.id)).toEqual([rp2.id]);
    expect(r.chunkProblems).toEqual([expect.objectContaining({ chunk: rp2.tree[0], kind: "damaged", inTree: true, recoveryPoints: [rp2.id] })]);
  });

  it("reports the chunks of a deleted pack as missing, with the files they belong to", async () => {
    // Small packs: file data spreads over several packs; the trees are written last.
    const { pool, store, rp1, rp2 } = await twoPoints({ packTargetBytes: 16 * 1024 });
    const treePacks = new Set([...rp1.tree, ...rp2.tree].map((c) => store.locate(c)!.pack));
    const [victim] = await fileChunks(store, rp1, "shared.bin");
    const pack = store.locate(victim!)!.pack;
    expect(treePacks.has(pack)).toBe(false);
    const inPack = [...store.entries()].filter(([, l]) => l.pack === pack).map(([id]) => id);
    fs.rmSync(packPath(pool, pack));

    const r = await verifyPool(reopen(pool));
    expect(r.ok).toBe(false);
    expect(r.packProblems).toEqual([{ pack, detail: expect.stringMatching(/missing/) }]);
    expect(r.chunkProblems.map((p) => p.chunk).sort()).toEqual(inPack.sort());
    for (const p of r.chunkProblems) expect(p).toMatchObject({ kind: "missing", pack, inTree: false });
    expect(r.chunkProblems.find((p) => p.chunk === victim)).toMatchObject({ recoveryPoints: [rp1.id, rp2.id], fileCount: 2 });
    expect(r.recoveryPointProblems).toEqual([]);
    expect(r.packsRead).toBe(r.packsTotal);
  });

  it("reports chunks no index names as missing after an index file is lost, and is clean after rebuildIndex", async () => {
    const { pool, store, rp1, rp2 } = await twoPoints({ packTargetBytes: 16 * 1024 });
    const [victim] = await fileChunks(store, rp1, "shared.bin");
    const pack = store.locate(victim!)!.pack;
    const indexFile = store.listIndexFiles().find((n) => fs.readFileSync(path.join(pool, "index", n), "utf8").includes(pack))!;
    fs.rmSync(path.join(pool, "index", indexFile));

    const broken = reopen(pool);
    const r = await verifyPool(broken);
    expect(r.ok).toBe(false);
    expect(r.unindexedPacks).toEqual([pack]);
    expect(r.chunkProblems.find((p) => p.chunk === victim)).toMatchObject({ kind: "missing", pack: null, detail: "no index names it", recoveryPoints: [rp1.id, rp2.id], fileCount: 2 });
    for (const p of r.chunkProblems) expect(p.kind).toBe("missing");

    expect(broken.rebuildIndex().unreadable).toEqual([]);
    const after = await verifyPool(broken);
    expect(after).toMatchObject({ ok: true, unindexedPacks: [], chunkProblems: [], unreferencedChunks: 0 });
    expect(await verifyPool(reopen(pool))).toMatchObject({ ok: true });
  });

  it("lists packs no index names (a crash before the index) without calling the pool damaged", async () => {
    const { pool } = await twoPoints();
    const b = new PackBuilder();
    b.add("ab".repeat(32), randomBytes(100), 100, "raw");
    const orphan = b.finish();
    fs.mkdirSync(path.dirname(packPath(pool, orphan.name)), { recursive: true });
    fs.writeFileSync(packPath(pool, orphan.name), orphan.bytes);
    const r = await verifyPool(reopen(pool));
    expect(r).toMatchObject({ ok: true, unindexedPacks: [orphan.name], chunkProblems: [], packProblems: [] });
    expect(r.packsTotal).toBe(r.packsRead + 1);
  });

  it("ignores the temp files of packs being written (a backup running beside it, or a crash)", async () => {
    const { pool } = await twoPoints();
    fs.writeFileSync(path.join(pool, "packs", ".pack-0b5c0e1e-0000-4000-8000-000000000000.tmp"), "CUSTPK01 half a pack");
    fs.writeFileSync(path.join(pool, "index", ".x.json.1.2.tmp"), "{");
    expect(await verifyPool(reopen(pool))).toMatchObject({ ok: true, unindexedPacks: [] });
  });

  it("does not call chunks missing that a backup in another process added after the store was opened", async () => {
    const { pool, src } = await twoPoints();
    const early = reopen(pool); // e.g. a long-lived server's store
    fs.writeFileSync(path.join(src, "new.bin"), randomBytes(20_000));
    await backupFolder(reopen(pool), src); // another store object, as another process
    const r = await verifyPool(early);
    expect(r.chunkProblems).toEqual([]);
    expect(r).toMatchObject({ ok: true, recoveryPoints: 3, unindexedPacks: [] });
  });

  it("counts chunks no recovery point uses once a recovery point is removed", async () => {
    const { pool, store, rp1, rp2 } = await twoPoints();
    const used = (es: ManifestEntry[]) => new Set(es.flatMap((e) => e.chunks ?? []));
    const kept = new Set([...used(await entries(store, rp2)), ...rp2.tree]);
    const onlyRp1 = new Set([...used(await entries(store, rp1)), ...rp1.tree].filter((c) => !kept.has(c)));
    expect(onlyRp1.size).toBeGreaterThan(rp1.tree.length); // the old changing.bin and rp1's tree
    removeHeader(pool, rp1.id);
    const r = await verifyPool(reopen(pool));
    expect(r).toMatchObject({ ok: true, recoveryPoints: 1, unreferencedChunks: onlyRp1.size });
  });

  it("re-reads about the sampled fraction of packs, and refuses samples outside (0, 1]", async () => {
    const pool = tmp();
    const store = track(ChunkStore.init(pool, { chunker: SMALL, packTargetBytes: 1 }));
    for (let i = 0; i < 100; i++) await store.put(randomBytes(500));
    await store.flush();
    expect(store.listPacks()).toHaveLength(100);
    const progress: number[] = [];
    const r = await verifyPool(reopen(pool), { sample: 0.3, onProgress: (p) => progress.push(p.packsRead) });
    expect(r.sampled).toBe(true);
    expect(r.packsTotal).toBe(100);
    expect(r.packsRead).toBeGreaterThanOrEqual(10); // mean 30, sd 4.6
    expect(r.packsRead).toBeLessThanOrEqual(55);
    expect(r.chunksRead).toBe(r.packsRead);
    expect(progress).toEqual(Array.from({ length: r.packsRead }, (_, i) => i + 1));
    expect(r.ok).toBe(true);
    expect(r.unreferencedChunks).toBe(100);
    const full = await verifyPool(reopen(pool), { sample: 1 });
    expect(full).toMatchObject({ sampled: false, packsRead: 100 });
    for (const bad of [0, -0.5, 1.01, 2, Number.NaN, Number.POSITIVE_INFINITY]) {
      await expect(verifyPool(store, { sample: bad }), String(bad)).rejects.toBeInstanceOf(RangeError);
    }
    expect(fs.readdirSync(path.join(pool, "locks"))).toEqual([]);
  });

  it("reports malformed header files as recovery point problems and still checks the others", async () => {
    const { pool, rp1, rp2 } = await twoPoints();
    const notJson = newManifestId(new Date("2026-11-22T00:00:00Z"));
    fs.writeFileSync(path.join(pool, "snapshots", `${notJson}.json`), "{\"version\":2,\"id\"");
    const wrongId = newManifestId(new Date("2026-11-23T00:00:00Z"));
    fs.writeFileSync(path.join(pool, "snapshots", `${wrongId}.json`), JSON.stringify(rp1));
    const badTree = newManifestId(new Date("2026-11-24T00:00:00Z"));
    writeHeader(pool, { ...rp2, id: badTree, entryCount: rp2.entryCount + 1 });

    const r = await verifyPool(reopen(pool));
    expect(r.ok).toBe(false);
    expect(r.recoveryPoints).toBe(5);
    expect(r.chunkProblems).toEqual([]);
    expect(r.recoveryPointProblems.map((p) => p.id).sort()).toEqual([notJson, wrongId, badTree].sort());
    expect(r.recoveryPointProblems.find((p) => p.id === notJson)!.detail).toMatch(/not valid JSON/);
    expect(r.recoveryPointProblems.find((p) => p.id === wrongId)!.detail).toMatch(/does not match its file name/);
    expect(r.recoveryPointProblems.find((p) => p.id === badTree)!.detail).toMatch(/header says/);
    expect(readHeader(pool, rp2.id).id).toBe(rp2.id);
  });
});
