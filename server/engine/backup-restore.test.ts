import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { randomBytes } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { ChunkStore } from "./chunk-store";
import { backupFolder } from "./archiver";
import { restore, unsafePathReason } from "./restorer";
import { readEntries, listManifestIds, readHeader, TreeWriter, writeHeader, newManifestId, type ManifestEntry, type ManifestHeader } from "./manifest";

const dirs: string[] = [];
const tmp = () => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), "custodian-br-"));
  dirs.push(d);
  return d;
};
afterEach(() => dirs.splice(0).forEach((d) => fs.rmSync(d, { recursive: true, force: true })));
const SMALL = { minSize: 2048, avgSize: 8192, maxSize: 32768 };
const b = (s: string) => Buffer.from(s);

/** Writes a recovery point with exactly these entries (as a hostile agent could). */
async function commitEntries(store: ChunkStore, entries: ManifestEntry[]): Promise<ManifestHeader> {
  const w = new TreeWriter(store);
  for (const e of entries) await w.add(e);
  const { tree, entryCount } = await w.finish();
  await store.flush();
  const h: ManifestHeader = { version: 2, id: newManifestId(new Date()), time: new Date().toISOString(), source: "test", parent: null, stats: { files: 0, dirs: 0, symlinks: 0, bytes: 0, newChunks: 0, newStoredBytes: 0 }, tree, entryCount };
  writeHeader(store.dir, h);
  return h;
}

async function all<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

/** Restores and returns every outcome, in order. */
async function restoreAll(store: ChunkStore, h: ManifestHeader, target: string, o: Parameters<typeof restore>[3] = {}) {
  const outcomes: { path: Buffer; outcome: string; detail?: string }[] = [];
  await restore(store, h, target, { ...o, onOutcome: (x) => outcomes.push(x) });
  return outcomes;
}
const j = (...parts: Buffer[]) => Buffer.concat(parts.flatMap((p, i) => (i ? [b("/"), p] : [p])));

/** A tree with the names and kinds of file that break naive backup tools. */
function makeTree(root: string) {
  const R = b(root);
  fs.mkdirSync(j(R, b("docs"), b("deep"), b("deeper")), { recursive: true });
  fs.writeFileSync(j(R, b("docs"), b("report.txt")), "quarterly numbers\n".repeat(5000));
  fs.writeFileSync(j(R, b("docs"), b("deep"), b("deeper"), b("blob.bin")), randomBytes(200_000));
  fs.writeFileSync(j(R, b("empty")), "");
  fs.writeFileSync(j(R, Buffer.from([0x66, 0xff, 0xfe, 0x2e, 0x74])), "not utf-8 name"); // invalid UTF-8
  fs.writeFileSync(j(R, b("line\nbreak")), "newline in name");
  fs.writeFileSync(j(R, b("x".repeat(255))), "longest name");
  fs.writeFileSync(j(R, b("script.sh")), "#!/bin/sh\necho hi\n", { mode: 0o755 });
  fs.chmodSync(j(R, b("script.sh")), 0o750);
  fs.symlinkSync("docs/report.txt", j(R, b("link-to-report")));
  fs.symlinkSync("/nonexistent/absolute", j(R, b("dangling")));
  fs.utimesSync(j(R, b("docs"), b("report.txt")), new Date("2020-01-02T03:04:05Z"), new Date("2020-01-02T03:04:05Z"));
}

/** Every entry under root: name bytes, type, mode, mtime (ms), content or link target. */
function describeTree(root: string): string[] {
  const out: string[] = [];
  const walk = (rel: Buffer | null) => {
    const abs = rel ? j(b(root), rel) : b(root);
    for (const name of (fs.readdirSync(abs, { encoding: "buffer" }) as Buffer[]).sort(Buffer.compare)) {
      const r = rel ? j(rel, name) : name;
      const s = fs.lstatSync(j(b(root), r));
      const what = s.isSymbolicLink() ? `-> ${fs.readlinkSync(j(b(root), r), { encoding: "buffer" }).toString("hex")}` : s.isDirectory() ? "dir" : fs.readFileSync(j(b(root), r)).toString("base64").slice(0, 40) + s.size;
      out.push(`${r.toString("hex")} ${s.mode.toString(8)} ${s.isSymbolicLink() ? "" : Math.floor(s.mtimeMs)} ${what}`);
      if (s.isDirectory()) walk(r);
    }
  };
  walk(null);
  return out;
}

describe("backup and restore of a folder", () => {
  it("restores names (as bytes), contents, modes, mtimes and symlinks exactly", async () => {
    const src = tmp();
    makeTree(src);
    const pool = tmp();
    const store = ChunkStore.init(pool, { chunker: SMALL });
    const m = await backupFolder(store, src);
    expect(m.stats).toMatchObject({ files: 7, dirs: 3, symlinks: 2 });
    const target = path.join(tmp(), "restored");
    const outcomes = await restoreAll(ChunkStore.open(pool), readHeader(pool, m.id), target);
    expect(outcomes.filter((o) => o.outcome !== "restored")).toEqual([]);
    expect(describeTree(target)).toEqual(describeTree(src));
  });

  it("re-reads nothing when nothing changed, and only the changed file after an edit", async () => {
    const src = tmp();
    makeTree(src);
    const pool = tmp();
    const store = ChunkStore.init(pool, { chunker: SMALL });
    const first = await backupFolder(store, src);
    let last = { files: 0, bytes: -1, bytesRead: -1, reusedFiles: 0 };
    const second = await backupFolder(store, src, { onProgress: (p) => (last = p) });
    expect(last.bytesRead).toBe(0);
    expect(last.reusedFiles).toBe(7);
    expect(second.parent).toBe(first.id);
    expect(second.stats.newChunks).toBe(0);

    fs.appendFileSync(path.join(src, "docs", "report.txt"), "one more line\n");
    const third = await backupFolder(store, src, { onProgress: (p) => (last = p) });
    expect(last.bytesRead).toBe(fs.statSync(path.join(src, "docs", "report.txt")).size);
    expect(third.stats.newChunks).toBeGreaterThan(0);
    expect(third.stats.newChunks).toBeLessThanOrEqual(2);
    expect(listManifestIds(pool)).toEqual([first.id, second.id, third.id].sort());
  });

  it("skips, overwrites or keeps a copy of files already in the target", async () => {
    const src = tmp();
    fs.writeFileSync(path.join(src, "a.txt"), "from the backup");
    const pool = tmp();
    const m = await backupFolder(ChunkStore.init(pool, { chunker: SMALL }), src);
    const target = tmp();
    fs.writeFileSync(path.join(target, "a.txt"), "local edit");
    const store = ChunkStore.open(pool);
    expect((await restoreAll(store, m, target, { existing: "skip" }))[0]!.outcome).toBe("skipped");
    expect(fs.readFileSync(path.join(target, "a.txt"), "utf8")).toBe("local edit");
    expect((await restoreAll(store, m, target, { existing: "copy" }))[0]!.outcome).toBe("copied");
    expect(fs.readFileSync(path.join(target, "a.txt.restored"), "utf8")).toBe("from the backup");
    expect(fs.readFileSync(path.join(target, "a.txt"), "utf8")).toBe("local edit");
    await restore(store, m, target, { existing: "overwrite" });
    expect(fs.readFileSync(path.join(target, "a.txt"), "utf8")).toBe("from the backup");
  });

  it("refuses entries that would land outside the target, including through a restored symlink", async () => {
    const src = tmp();
    fs.writeFileSync(path.join(src, "ok.txt"), "fine");
    const pool = tmp();
    const store = ChunkStore.init(pool, { chunker: SMALL });
    const m = await backupFolder(store, src);
    const [ok] = await all(readEntries(store, m));
    const outside = tmp();
    const hostile = await commitEntries(store, [
        { ...ok!, path: b("../escape.txt") },
        { ...ok!, path: b("/etc/escape.txt") },
        { ...ok!, path: b("a/./b") },
        { type: "symlink" as const, path: b("evil"), target: b(outside), mode: 0o777, uid: 0, gid: 0, mtimeMs: 0, size: 0, ino: 0, ctimeMs: 0 },
        { ...ok!, path: b("evil/planted.txt") },
        ok!,
    ]);
    const target = tmp();
    const outcomes = await restoreAll(ChunkStore.open(pool), hostile, target);
    expect(outcomes.map((o) => [o.path.toString(), o.outcome])).toEqual([
      ["../escape.txt", "refused"],
      ["/etc/escape.txt", "refused"],
      ["a/./b", "refused"],
      ["evil", "restored"],
      ["evil/planted.txt", "refused"],
      ["ok.txt", "restored"],
    ]);
    expect(fs.readdirSync(outside)).toEqual([]);
    expect(unsafePathReason(Buffer.from([0x61, 0, 0x62]))).toMatch(/NUL/);
  });

  it("fails loudly on a damaged chunk while the other files restore", async () => {
    const src = tmp();
    fs.writeFileSync(path.join(src, "good.txt"), "good data ".repeat(1000));
    fs.writeFileSync(path.join(src, "bad.bin"), randomBytes(5000));
    const pool = tmp();
    const m = await backupFolder(ChunkStore.init(pool, { chunker: SMALL }), src);
    const packDir = path.join(pool, "packs");
    const [sub] = fs.readdirSync(packDir);
    const [pack] = fs.readdirSync(path.join(packDir, sub!));
    const file = path.join(packDir, sub!, pack!);
    const bytes = fs.readFileSync(file);
    const badBytes = fs.readFileSync(path.join(src, "bad.bin"));
    bytes[bytes.indexOf(badBytes.subarray(0, 16)) + 8]! ^= 0xff; // stored raw: find and flip it
    fs.writeFileSync(file, bytes);
    const target = tmp();
    const outcomes = await restoreAll(ChunkStore.open(pool), m, target);
    expect(outcomes.find((o) => o.path.toString() === "bad.bin")).toMatchObject({ outcome: "failed", detail: expect.stringMatching(/damaged/) });
    expect(outcomes.find((o) => o.path.toString() === "good.txt")!.outcome).toBe("restored");
    expect(fs.existsSync(path.join(target, "bad.bin"))).toBe(false);
    expect(fs.readdirSync(target).filter((n) => n.endsWith(".tmp"))).toEqual([]);
  });
});

describe("large new files cut on the workers (two workers or more)", () => {
  it("gives the same chunks as cutting on the main thread, restores identically, and stops on abort", async () => {
    const src = tmp();
    const text = Buffer.from("the quick brown fox jumps over the lazy dog 0123456789\n".repeat(200_000)); // ~11 MiB, compressible
    fs.writeFileSync(path.join(src, "big.log"), text);
    fs.writeFileSync(path.join(src, "disk.img"), randomBytes(9 * 1024 * 1024)); // incompressible
    fs.writeFileSync(path.join(src, "small.txt"), "small");
    const onWorkers = ChunkStore.init(tmp());
    const inline = ChunkStore.init(tmp());
    const a = await backupFolder(onWorkers, src, { threads: 2 });
    const b = await backupFolder(inline, src, { threads: 0 });
    const chunksOf = async (s: ChunkStore, h: ManifestHeader) => (await all(readEntries(s, h))).map((e) => [e.path.toString(), e.chunks?.join(",")]);
    expect(await chunksOf(onWorkers, a)).toEqual(await chunksOf(inline, b));
    expect(a.stats).toMatchObject({ files: 3, bytes: b.stats.bytes, newChunks: b.stats.newChunks });
    const target = tmp();
    const outcomes = await restoreAll(onWorkers, a, target);
    expect(outcomes.filter((o) => o.outcome !== "restored")).toEqual([]);
    expect(fs.readFileSync(path.join(target, "big.log")).equals(text)).toBe(true);
    expect(fs.readFileSync(path.join(target, "disk.img")).equals(fs.readFileSync(path.join(src, "disk.img")))).toBe(true);

    const ac = new AbortController();
    const pool = ChunkStore.init(tmp());
    const err = await backupFolder(pool, src, { threads: 2, signal: ac.signal, onProgress: () => ac.abort() }).catch((e: unknown) => e);
    expect(err).toMatchObject({ name: "AbortError" });
    expect(listManifestIds(pool.dir)).toEqual([]);
  });
});
