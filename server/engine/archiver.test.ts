import fs from "node:fs";
import path from "node:path";
import { createHash, randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { SMALL_CHUNKS, collect, tempSpace, treeSnapshot } from "./test-support";
import { ChunkStore } from "./chunk-store";
import { backupFolder, type BackupProgress } from "./archiver";
import { verifyPool } from "./checker";
import { prune, collectGarbage } from "./gc";
import { listManifestIds, readEntries, removeHeader, type ManifestEntry, type ManifestHeader } from "./manifest";
import { restore } from "./restorer";

const { tmp, track } = tempSpace("archiver");
const SMALL = SMALL_CHUNKS;

const entries = (store: ChunkStore, h: ManifestHeader): Promise<ManifestEntry[]> => collect(readEntries(store, h));

const snapshot = treeSnapshot;

async function restoresIdentically(pool: string, h: ManifestHeader, src: string | Record<string, string>) {
  const target = tmp();
  const r = await restore(track(ChunkStore.open(pool)), h, target);
  expect(r.problems).toEqual([]);
  expect(snapshot(target)).toEqual(typeof src === "string" ? snapshot(src) : src);
}

/** Text that compresses well but does not repeat exactly (so it is not one chunk over and over). */
function compressible(bytes: number, seed: string): Buffer {
  const lines: string[] = [];
  let n = 0;
  for (let i = 0; n < bytes; i++) {
    const line = `${seed} line ${i} value=${(i * 7919) % 100_003} status=${i % 3 ? "ok" : "retry"} ${createHash("md5").update(`${seed}${i}`).digest("hex").slice(0, 8)}\n`;
    lines.push(line);
    n += line.length;
  }
  return Buffer.from(lines.join("")).subarray(0, bytes);
}

describe("backupFolder", () => {
  it("reuses the parent's entries for unchanged files whose names hold bytes below '/'", async () => {
    const src = tmp();
    // Plain byte order puts "a b/…" and "a-b/…" before "a/…"; the walk order does not.
    for (const d of ["a", "a b", "a-b", "a.b", "a!", "a/b", "a/b c", "a/b/c"]) fs.mkdirSync(path.join(src, d), { recursive: true });
    const files = ["a/x", "a/ x", "a/-x", "a/b/f", "a/b c/f", "a/b/c/f", "a b/f", "a-b/f", "a.b/f", "a!/f", "a!x", "a", "a0"].filter((f) => f !== "a");
    for (const f of files) fs.writeFileSync(path.join(src, f), randomBytes(3000));
    fs.writeFileSync(path.join(src, "a b", "big"), randomBytes(100_000));
    fs.symlinkSync("a b/f", path.join(src, "link"));
    const pool = tmp();
    const store = track(ChunkStore.init(pool, { chunker: SMALL }));
    const first = await backupFolder(store, src);
    expect(first.stats).toMatchObject({ files: files.length + 1, symlinks: 1 });

    let last: BackupProgress | null = null;
    const second = await backupFolder(store, src, { onProgress: (p) => (last = p) });
    expect(last).toMatchObject({ bytesRead: 0, reusedFiles: files.length + 1, files: files.length + 1 });
    expect(second.stats.newChunks).toBe(0);
    expect(second.tree).toEqual(first.tree);
    await restoresIdentically(pool, second, src);

    // Changing one file deep in the middle re-reads only that file.
    fs.writeFileSync(path.join(src, "a/b c/f"), randomBytes(3001));
    const third = await backupFolder(store, src, { onProgress: (p) => (last = p) });
    expect(last).toMatchObject({ bytesRead: 3001, reusedFiles: files.length });
    await restoresIdentically(pool, third, src);
  });

  it("does not fail when files and folders vanish while it runs (before lstat, or between lstat and reading)", async () => {
    const src = tmp();
    const name = (i: number) => `f${String(i).padStart(3, "0")}`;
    for (let i = 0; i < 400; i++) fs.writeFileSync(path.join(src, name(i)), `file ${i}\n`);
    fs.mkdirSync(path.join(src, `${name(300)}-dir`));
    fs.writeFileSync(path.join(src, `${name(300)}-dir`, "inner"), "inner");
    fs.mkdirSync(path.join(src, "zz"));
    fs.writeFileSync(path.join(src, "zz", "inner"), "inner");
    const pool = tmp();
    const store = track(ChunkStore.init(pool, { chunker: SMALL }));
    const gone = [name(300), `${name(300)}-dir`, name(350), "zz"];
    let removed = false;
    // The first progress report comes once 256 entries wait: the walk has listed the folder and
    // lstat'ed the batch around entry 300, but not yet the one holding entry 350 or "zz".
    const h = await backupFolder(store, src, {
      onProgress: () => {
        if (removed) return;
        removed = true;
        for (const g of gone) fs.rmSync(path.join(src, g), { recursive: true });
      },
    });
    expect(removed).toBe(true);
    const names = (await entries(store, h)).map((e) => e.path.toString());
    for (const g of [name(300), name(350), "zz", "zz/inner", `${name(300)}-dir/inner`]) expect(names).not.toContain(g);
    // The folder may have been lstat'ed before it went: then it is kept as it was seen, empty.
    const expected = snapshot(src);
    if (names.includes(`${name(300)}-dir`)) expected[`${name(300)}-dir`] = "dir";
    expect(names).toContain(name(299));
    expect(names).toContain(name(351));
    expect(h.entryCount).toBe(names.length);
    expect(h.stats.files).toBe(names.filter((n) => /^f\d+$/.test(n)).length);
    await restoresIdentically(pool, h, expected);
  });

  it("stores the chunks of two identical large files once", async () => {
    const src = tmp();
    const data = randomBytes(2 * 1024 * 1024);
    fs.writeFileSync(path.join(src, "one.bin"), data);
    fs.writeFileSync(path.join(src, "two.bin"), data);
    const pool = tmp();
    const store = track(ChunkStore.init(pool, { chunker: SMALL }));
    const h = await backupFolder(store, src);
    const es = await entries(store, h);
    const one = es.find((e) => e.path.toString() === "one.bin")!;
    expect(es.find((e) => e.path.toString() === "two.bin")!.chunks).toEqual(one.chunks);
    expect(one.chunks!.length).toBeGreaterThan(50);
    expect(h.stats.newChunks).toBe(new Set(one.chunks).size + h.tree.length);
    expect(store.stats().chunks).toBe(h.stats.newChunks);
    expect(h.stats.newStoredBytes).toBeLessThan(data.length * 1.01);
    expect(h.stats.bytes).toBe(2 * data.length);
    await restoresIdentically(pool, h, src);
  });

  it("compresses large chunks on a worker thread (threads: 1) and restores them identically", async () => {
    const src = tmp();
    fs.writeFileSync(path.join(src, "log.txt"), compressible(3 * 1024 * 1024, "log"));
    fs.writeFileSync(path.join(src, "same-log.txt"), compressible(3 * 1024 * 1024, "log"));
    fs.writeFileSync(path.join(src, "photo.jpg"), randomBytes(1024 * 1024 + 5)); // incompressible: kept raw
    fs.writeFileSync(path.join(src, "small.txt"), "small, compressed inline\n".repeat(100));
    const pool = tmp();
    const store = track(ChunkStore.init(pool)); // default chunker: chunks of 256 KiB to 4 MiB
    const h = await backupFolder(store, src, { threads: 1 });
    const es = await entries(store, h);
    const log = es.find((e) => e.path.toString() === "log.txt")!;
    expect(log.chunks!.length).toBeGreaterThanOrEqual(1);
    for (const c of log.chunks!) {
      const loc = store.locate(c)!;
      expect(loc.codec).toBe("zstd");
      expect(loc.rawLength).toBeGreaterThan(64 * 1024);
      expect(loc.length).toBeLessThan(loc.rawLength / 2);
    }
    for (const c of es.find((e) => e.path.toString() === "photo.jpg")!.chunks!) expect(store.locate(c)!.codec).toBe("raw");
    expect(h.stats.newStoredBytes).toBeLessThan(2 * 1024 * 1024);
    await restoresIdentically(pool, h, src);
    expect(await verifyPool(track(ChunkStore.open(pool)))).toMatchObject({ ok: true, unreferencedChunks: 0 });
  });

  it("stops on an AbortSignal and leaves no recovery point, before or during the walk", async () => {
    const src = tmp();
    for (let i = 0; i < 300; i++) fs.writeFileSync(path.join(src, `f${String(i).padStart(3, "0")}`), randomBytes(2000));
    fs.writeFileSync(path.join(src, "zbig.txt"), compressible(2 * 1024 * 1024, "big"));
    const pool = tmp();
    const store = track(ChunkStore.init(pool, { chunker: SMALL }));

    await expect(backupFolder(store, src, { signal: AbortSignal.abort() })).rejects.toMatchObject({ name: "AbortError" });
    expect(listManifestIds(pool)).toEqual([]);

    const ac = new AbortController();
    const err = await backupFolder(store, src, { signal: ac.signal, threads: 1, onProgress: () => ac.abort() }).catch((e: unknown) => e);
    expect(err).toMatchObject({ name: "AbortError" });
    expect(listManifestIds(pool)).toEqual([]);
    expect(fs.readdirSync(path.join(pool, "locks"))).toEqual([]);

    // Inside one large file: the backup stops reading it, and returns only once nothing it
    // started still writes into the pool (the lock is released when it returns).
    const big = tmp();
    fs.writeFileSync(path.join(big, "disk.img"), randomBytes(12 * 1024 * 1024));
    const bigPool = tmp();
    const bigStore = track(ChunkStore.init(bigPool)); // default chunker: ~1 MiB chunks
    const ac2 = new AbortController();
    const has = bigStore.has.bind(bigStore);
    bigStore.has = (id) => {
      ac2.abort(); // the first chunk of the file is cut: stop now
      return has(id);
    };
    const putStored = bigStore.putStored.bind(bigStore);
    let stored = 0;
    let storedAfterReturn = 0;
    let returned = false;
    bigStore.putStored = async (...args) => {
      stored++;
      await new Promise((r) => setTimeout(r, 50)); // a slow disk: the chunk is still on its way when the abort is seen
      if (returned) storedAfterReturn++;
      return putStored(...args);
    };
    await expect(backupFolder(bigStore, big, { signal: ac2.signal, threads: 0 })).rejects.toMatchObject({ name: "AbortError" });
    returned = true;
    expect(stored).toBeLessThan(4); // of ~12 chunks
    await new Promise((r) => setTimeout(r, 200));
    expect(storedAfterReturn).toBe(0);
    expect(listManifestIds(bigPool)).toEqual([]);
    expect(fs.readdirSync(path.join(bigPool, "locks"))).toEqual([]);

    // The pool is fine afterwards: the next backup completes and restores.
    const h = await backupFolder(store, src);
    await restoresIdentically(pool, h, src);
  });
});

describe("a long-lived store (a server's) and other processes", () => {
  it("does not reuse chunks another process's garbage collection has freed", async () => {
    const pool = tmp();
    const src = tmp();
    const content = randomBytes(50_000);
    fs.writeFileSync(path.join(src, "doc.bin"), content);
    const server = track(ChunkStore.init(pool, { chunker: SMALL }));
    const old = await backupFolder(server, src, { now: new Date("2026-11-01T00:00:00Z") });
    fs.rmSync(path.join(src, "doc.bin"));
    await backupFolder(server, src, { now: new Date("2026-11-02T00:00:00Z") });
    // Another process (the CLI) prunes the old recovery point: doc.bin's chunks are freed.
    const r = await prune(track(ChunkStore.open(pool)), { keepLast: 1 }, { now: new Date("2026-11-03T00:00:00Z") });
    expect(r.removed).toEqual([old.id]);
    expect(r.gc!.chunksFreed).toBeGreaterThan(0);
    // The same content comes back; the server's store must store it again, not trust its old index.
    fs.writeFileSync(path.join(src, "doc.bin"), content);
    const h = await backupFolder(server, src, { parent: null });
    expect(h.stats.newChunks).toBeGreaterThan(0);
    expect(await verifyPool(track(ChunkStore.open(pool)))).toMatchObject({ ok: true, chunkProblems: [] });
    await restoresIdentically(pool, h, src);
  });

  it("restores chunks another process's garbage collection moved to a new pack", async () => {
    const pool = tmp();
    const src = tmp();
    fs.writeFileSync(path.join(src, "keep.bin"), randomBytes(30_000));
    fs.writeFileSync(path.join(src, "drop.bin"), randomBytes(30_000));
    const server = track(ChunkStore.init(pool, { chunker: SMALL }));
    const first = await backupFolder(server, src);
    fs.rmSync(path.join(src, "drop.bin"));
    const second = await backupFolder(server, src);
    await server.close(); // drops the pack files it keeps open (as when it reads more than 32 packs)
    removeHeader(pool, first.id);
    const gc = await collectGarbage(track(ChunkStore.open(pool)));
    expect(gc.packsRewritten).toBe(1);
    await restoresIdentically(pool, second, src); // a fresh store
    const target = tmp();
    const r = await restore(server, second, target);
    expect(r.problems).toEqual([]);
    expect(snapshot(target)).toEqual(snapshot(src));
  });
});
