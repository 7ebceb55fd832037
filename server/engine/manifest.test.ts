import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { createHash } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { ChunkStore } from "./chunk-store";
import { PoolFormatError } from "./errors";
import { mulberry32 } from "@/server/seeded-random";
import {
  contentHash,
  compareTreePaths,
  decodeEntry,
  encodeEntry,
  listManifestIds,
  newManifestId,
  ParentCursor,
  readEntries,
  readHeader,
  removeHeader,
  TreeWriter,
  validateHeader,
  writeHeader,
  type ManifestEntry,
  type ManifestHeader,
} from "./manifest";

const dirs: string[] = [];
const stores: ChunkStore[] = [];
const track = (s: ChunkStore) => (stores.push(s), s);
const tmp = () => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), "custodian-manifest-"));
  dirs.push(d);
  return d;
};
afterEach(async () => {
  await Promise.all(stores.splice(0).map((s) => s.close()));
  dirs.splice(0).forEach((d) => fs.rmSync(d, { recursive: true, force: true }));
});

/** A small deterministic PRNG (mulberry32), so a failing property case can be replayed. */
function rng(seed: number) {
  const next = mulberry32(seed);
  return { next, int: (n: number) => Math.floor(next() * n), pick: <T>(xs: readonly T[]) => xs[Math.floor(next() * xs.length)]! };
}

const sha = (s: string) => createHash("sha256").update(s).digest("hex");
const b = (s: string) => Buffer.from(s);

const fileEntry = (p: Buffer | string, over: Partial<ManifestEntry> = {}): ManifestEntry => ({
  path: typeof p === "string" ? b(p) : p,
  type: "file",
  mode: 0o644,
  uid: 1000,
  gid: 1000,
  mtimeMs: 1_700_000_000_123.5,
  size: 10,
  ino: 42,
  ctimeMs: 1_700_000_000_456.25,
  chunks: [sha("c1"), sha("c2")],
  ...over,
  hash: contentHash(over.chunks ?? [sha("c1"), sha("c2")]),
});
const dirEntry = (p: string): ManifestEntry => ({ path: b(p), type: "dir", mode: 0o755, uid: 0, gid: 0, mtimeMs: 1, size: 0, ino: 2, ctimeMs: 3 });

function header(tree: string[], entryCount: number, over: Partial<ManifestHeader> = {}): ManifestHeader {
  const now = new Date("2026-11-24T12:00:00.000Z");
  return {
    version: 2,
    id: newManifestId(now),
    time: now.toISOString(),
    source: "/src",
    parent: null,
    stats: { files: 0, dirs: 0, symlinks: 0, bytes: 0, newChunks: 0, newStoredBytes: 0 },
    tree,
    entryCount,
    ...over,
  };
}

async function all<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

describe("compareTreePaths", () => {
  /** Random trees of names mixing bytes below '/', above it, and non-UTF-8 bytes. */
  const ALPHABET = [0x20, 0x21, 0x2d, 0x2e, 0x30, 0x41, 0x5f, 0x61, 0x62, 0x7e, 0xc3, 0xa9, 0xff];
  function randomTree(r: ReturnType<typeof rng>, depth: number): Buffer[] {
    // Returns the depth-first walk with siblings sorted by Buffer.compare: the archiver's order.
    const walk: Buffer[] = [];
    const visit = (prefix: Buffer | null, d: number) => {
      const names = new Map<string, Buffer>();
      const n = 1 + r.int(5);
      for (let i = 0; i < n; i++) {
        const len = 1 + r.int(4);
        const name = Buffer.from(Array.from({ length: len }, () => r.pick(ALPHABET)));
        if (name.equals(b(".")) || name.equals(b(".."))) continue;
        names.set(name.toString("hex"), name);
      }
      for (const name of [...names.values()].sort(Buffer.compare)) {
        const p = prefix ? Buffer.concat([prefix, b("/"), name]) : name;
        walk.push(p);
        if (d > 0 && r.next() < 0.5) visit(p, d - 1);
      }
    };
    visit(null, depth);
    return walk;
  }

  it("orders paths exactly as a depth-first walk with siblings sorted by their bytes (property, 300 random trees)", () => {
    for (let seed = 1; seed <= 300; seed++) {
      const r = rng(seed);
      const walk = randomTree(r, 4);
      const shuffled = [...walk];
      for (let i = shuffled.length - 1; i > 0; i--) {
        const j = r.int(i + 1);
        [shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!];
      }
      const sorted = shuffled.sort(compareTreePaths);
      if (!sorted.every((p, i) => p.equals(walk[i]!))) {
        expect({ seed, sorted: sorted.map(String) }).toEqual({ seed, sorted: walk.map(String) });
      }
    }
  });

  it("ranks '/' below every byte, unlike plain byte order", () => {
    const cases: [string, string][] = [
      ["a", "a/x"],
      ["a/x", "a b"],
      ["a/zzz", "a!"],
      ["a/x", "a-b"],
      ["a/x", "a.b"],
      ["a b/z", "a-b"],
      ["a", "a b"],
    ];
    for (const [x, y] of cases) {
      expect(compareTreePaths(b(x), b(y)), `${x} < ${y}`).toBeLessThan(0);
      expect(compareTreePaths(b(y), b(x)), `${y} > ${x}`).toBeGreaterThan(0);
    }
    expect(Buffer.compare(b("a/x"), b("a b"))).toBeGreaterThan(0); // the trap plain order falls into
    expect(compareTreePaths(b("same/path"), b("same/path"))).toBe(0);
  });
});

describe("tree entries", () => {
  it("round-trip, with non-UTF-8 names and targets kept as bytes", () => {
    const latin1Name = Buffer.from([0x64, 0x69, 0x72, 0x2f, 0x63, 0x61, 0x66, 0xe9]); // "dir/caf\xe9"
    const entries: ManifestEntry[] = [
      fileEntry("plain/name.txt"),
      fileEntry(latin1Name),
      fileEntry("line\nbreak \"quoted\" \\ back"),
      fileEntry("empty", { chunks: [], size: 0 }),
      dirEntry("ünïcödé 目录"),
      { ...dirEntry("ln"), type: "symlink", mode: 0o777, target: Buffer.from([0x2e, 0x2e, 0x2f, 0xff, 0xfe]) },
      { ...dirEntry("ln2"), type: "symlink", mode: 0o777, target: b("/abs/target") },
      fileEntry("old", { mtimeMs: -86_400_000.5, ctimeMs: 0 }), // before 1970
    ];
    for (const e of entries) {
      const line = encodeEntry(e);
      expect(line).not.toContain("\n");
      expect(decodeEntry(line, "t")).toEqual(e);
    }
    expect(JSON.parse(encodeEntry(entries[1]!))).toHaveProperty("pb");
    expect(JSON.parse(encodeEntry(entries[0]!))).toHaveProperty("p", "plain/name.txt");
    expect(JSON.parse(encodeEntry(entries[5]!))).toHaveProperty("lb");
    expect(JSON.parse(encodeEntry(entries[6]!))).toHaveProperty("l", "/abs/target");
  });

  it("derive the content hash from the chunk list instead of storing it (a tree cannot lie about it)", () => {
    const one = fileEntry("one", { chunks: [sha("x")] });
    expect(one.hash).toBe(sha("x")); // one chunk: the SHA-256 of the content itself
    expect(fileEntry("empty", { chunks: [] }).hash).toBe(sha("")); // likewise for the empty file
    const two = fileEntry("two");
    expect(two.hash).toBe(createHash("sha256").update(Buffer.concat([Buffer.from(sha("c1"), "hex"), Buffer.from(sha("c2"), "hex")])).digest("hex"));
    for (const e of [one, two]) {
      expect(JSON.parse(encodeEntry(e))).not.toHaveProperty("h");
      expect(decodeEntry(encodeEntry(e), "t")).toEqual(e);
    }
    // A hash written into the line by a hostile agent is ignored.
    const forged = JSON.stringify({ ...JSON.parse(encodeEntry(one)), h: sha("y") });
    expect(decodeEntry(forged, "t").hash).toBe(sha("x"));
  });

  it("reject malformed and hostile lines with PoolFormatError, never a crash", () => {
    const ok = JSON.parse(encodeEntry(fileEntry("f"))) as Record<string, unknown>;
    const link = JSON.parse(encodeEntry({ ...dirEntry("ln"), type: "symlink", target: b("t") })) as Record<string, unknown>;
    const without = (o: Record<string, unknown>, k: string) => Object.fromEntries(Object.entries(o).filter(([x]) => x !== k));
    const bad: [string, string][] = [
      ["not json", "{\"p\":"],
      ["empty line", ""],
      ["null", "null"],
      ["a number", "42"],
      ["a string", "\"p\""],
      ["an array", "[1,2]"],
      ["no path", JSON.stringify(without(ok, "p"))],
      ["empty path", JSON.stringify({ ...ok, p: "" })],
      ["path of wrong type", JSON.stringify({ ...ok, p: 7 })],
      ["base64 path decoding to nothing", JSON.stringify({ ...without(ok, "p"), pb: "!!!" })],
      ["unknown type", JSON.stringify({ ...ok, t: "x" })],
      ["type as prototype key", JSON.stringify({ ...ok, t: "constructor" })],
      ["type __proto__", JSON.stringify({ ...ok, t: "__proto__" })],
      ["type toString", JSON.stringify({ ...ok, t: "toString" })],
      ["no type", JSON.stringify(without(ok, "t"))],
      ["negative size", JSON.stringify({ ...ok, s: -1 })],
      ["float size", JSON.stringify({ ...ok, s: 1.5 })],
      ["size as string", JSON.stringify({ ...ok, s: "10" })],
      ["huge size", JSON.stringify({ ...ok, s: 2 ** 60 })],
      ["size overflowing to Infinity", JSON.stringify(ok).replace(/"s":10/, "\"s\":1e400")],
      ["mtime overflowing to Infinity", JSON.stringify(ok).replace(/"mt":[0-9.]+/, "\"mt\":1e400")],
      ["NaN mtime", JSON.stringify({ ...ok, mt: null })],
      ["negative uid", JSON.stringify({ ...ok, u: -1 })],
      ["float gid", JSON.stringify({ ...ok, g: 0.5 })],
      ["negative inode", JSON.stringify({ ...ok, i: -3 })],
      ["ctime as string", JSON.stringify({ ...ok, ct: "yesterday" })],
      ["mode above 0o7777", JSON.stringify({ ...ok, m: 0o10000 })],
      ["negative mode", JSON.stringify({ ...ok, m: -1 })],
      ["file without chunk list", JSON.stringify(without(ok, "c"))],
      ["chunk list not a list", JSON.stringify({ ...ok, c: "abc" })],
      ["short chunk id", JSON.stringify({ ...ok, c: ["abc"] })],
      ["upper-case chunk id", JSON.stringify({ ...ok, c: [sha("c").toUpperCase()] })],
      ["chunk id with a path in it", JSON.stringify({ ...ok, c: ["../../" + sha("c").slice(6)] })],
      ["chunk id as number", JSON.stringify({ ...ok, c: [1] })],
      ["symlink without target", JSON.stringify(without(link, "l"))],
      ["symlink with target of wrong type", JSON.stringify({ ...link, l: 5 })],
    ];
    for (const [what, line] of bad) {
      let err: unknown = null;
      try {
        decodeEntry(line, "recovery point X");
      } catch (e) {
        err = e;
      }
      expect(err, what).toBeInstanceOf(PoolFormatError);
      expect((err as Error).message, what).toMatch(/^recovery point X: /);
    }
  });
});

describe("trees in the chunk store", () => {
  /** ~5000 entries in walk order, with odd names, ~150 bytes each: several tree chunks. */
  function manyEntries(): ManifestEntry[] {
    const out: ManifestEntry[] = [];
    for (let d = 0; d < 50; d++) {
      const dir = `dir-${String(d).padStart(3, "0")}`;
      out.push(dirEntry(dir));
      for (let f = 0; f < 99; f++) {
        const name = f % 10 === 0 ? Buffer.concat([b(`${dir}/file `), Buffer.from([0xff, f]), b(".bin")]) : b(`${dir}/file-${String(f).padStart(3, "0")}.txt`);
        out.push(fileEntry(name, { size: d * 1000 + f, ino: d * 100 + f, chunks: [sha(`${d}/${f}`)], hash: sha(`${d}/${f}`) }));
      }
    }
    return out.sort((x, y) => compareTreePaths(x.path, y.path));
  }

  async function writeTree(store: ChunkStore, entries: ManifestEntry[]) {
    const w = new TreeWriter(store);
    for (const e of entries) await w.add(e);
    const r = await w.finish();
    await store.flush();
    return { ...r, newChunks: w.newChunks, newStoredBytes: w.newStoredBytes };
  }

  it("spread a large tree over several chunks and stream it back identically", async () => {
    const pool = tmp();
    const store = track(ChunkStore.init(pool));
    const entries = manyEntries();
    expect(entries).toHaveLength(5000);
    const { tree, entryCount, newChunks } = await writeTree(store, entries);
    expect(entryCount).toBe(5000);
    expect(tree.length).toBeGreaterThanOrEqual(3);
    expect(newChunks).toBe(new Set(tree).size);
    const h = header(tree, entryCount);
    writeHeader(pool, h);
    const back = await all(readEntries(track(ChunkStore.open(pool)), readHeader(pool, h.id)));
    expect(back).toHaveLength(5000);
    for (let i = 0; i < back.length; i++) if (!back[i]!.path.equals(entries[i]!.path)) expect(back[i]).toEqual(entries[i]);
    expect(back).toEqual(entries);

    // The same tree again deduplicates completely; one changed entry rewrites few chunks.
    expect((await writeTree(store, entries)).newChunks).toBe(0);
    const changed = entries.map((e, i) => (i === 2500 ? { ...e, size: e.size + 1 } : e));
    const again = await writeTree(store, changed);
    expect(again.newChunks).toBeGreaterThanOrEqual(1);
    expect(again.newChunks).toBeLessThanOrEqual(2);
  });

  it("an empty tree is a recovery point with no chunks", async () => {
    const pool = tmp();
    const store = track(ChunkStore.init(pool));
    const { tree, entryCount } = await writeTree(store, []);
    expect(tree).toEqual([]);
    expect(await all(readEntries(store, header(tree, entryCount)))).toEqual([]);
  });

  it("a header whose entry count disagrees with its tree is a PoolFormatError", async () => {
    const pool = tmp();
    const store = track(ChunkStore.init(pool));
    const entries = [dirEntry("a"), fileEntry("a/b")];
    const { tree } = await writeTree(store, entries);
    await expect(all(readEntries(store, header(tree, 3)))).rejects.toThrow(/tree has 2 entries, header says 3/);
    await expect(all(readEntries(store, header(tree, 1)))).rejects.toBeInstanceOf(PoolFormatError);
    await expect(all(readEntries(store, header([], 1)))).rejects.toBeInstanceOf(PoolFormatError);
  });

  it("a tree that ends in the middle of a line is a PoolFormatError", async () => {
    const pool = tmp();
    const store = track(ChunkStore.init(pool));
    const line = encodeEntry(fileEntry("a")) + "\n";
    const whole = await store.put(b(line));
    const cut = await store.put(b(line + line.slice(0, 20)));
    await store.flush();
    expect(await all(readEntries(store, header([whole.id], 1)))).toHaveLength(1);
    await expect(all(readEntries(store, header([cut.id], 2)))).rejects.toThrow(/middle of an entry/);
    // A line split across two chunks is fine: chunk boundaries need not fall on newlines.
    const p1 = await store.put(b(line.slice(0, 10)));
    const p2 = await store.put(b(line.slice(10) + line));
    expect(await all(readEntries(store, header([p1.id, p2.id], 2)))).toHaveLength(2);
  });

  it("a tree chunk holding a malformed line is a PoolFormatError naming the recovery point", async () => {
    const pool = tmp();
    const store = track(ChunkStore.init(pool));
    const c = await store.put(b(encodeEntry(fileEntry("a")) + "\n{\"p\":\"b\",\"t\":\"f\",\"m\":99999}\n"));
    const h = header([c.id], 2);
    await expect(all(readEntries(store, h))).rejects.toThrow(new RegExp(`recovery point ${h.id}: tree entry has a field out of range`));
  });
});

describe("headers", () => {
  it("are written, listed in time order, read back validated, and removed", () => {
    const pool = tmp();
    const h1 = header([sha("t1")], 1, { id: newManifestId(new Date("2026-01-01T00:00:00Z")) });
    const h2 = header([], 0, { id: newManifestId(new Date("2026-01-02T00:00:00Z")), parent: h1.id });
    writeHeader(pool, h2);
    writeHeader(pool, h1);
    fs.writeFileSync(path.join(pool, "snapshots", "notes.txt"), "ignored");
    fs.writeFileSync(path.join(pool, "snapshots", "not-an-id.json"), "{}");
    expect(listManifestIds(pool)).toEqual([h1.id, h2.id]);
    expect(readHeader(pool, h2.id)).toEqual(h2);
    removeHeader(pool, h1.id);
    expect(listManifestIds(pool)).toEqual([h2.id]);
    expect(() => readHeader(pool, h1.id)).toThrow(/no such recovery point/);
    expect(() => readHeader(pool, "../config")).toThrow(PoolFormatError);
    expect(() => removeHeader(pool, "../config")).toThrow(PoolFormatError);
    expect(listManifestIds(tmp())).toEqual([]);
  });

  it("that are malformed are refused with PoolFormatError", () => {
    const good = header([sha("t")], 1);
    expect(validateHeader(JSON.parse(JSON.stringify(good)), "f", good.id)).toEqual(good);
    const bad: [string, unknown][] = [
      ["null", null],
      ["a list", [good]],
      ["a string", "header"],
      ["version 1", { ...good, version: 1 }],
      ["no version", { ...good, version: undefined }],
      ["id not matching its file", { ...good, id: newManifestId(new Date("2020-01-01T00:00:00Z")) }],
      ["id malformed", { ...good, id: "../../etc" }],
      ["time not a date", { ...good, time: "yesterday" }],
      ["time missing", { ...good, time: undefined }],
      ["source missing", { ...good, source: undefined }],
      ["source not a string", { ...good, source: 5 }],
      ["parent malformed", { ...good, parent: "../x" }],
      ["parent missing (undefined)", { ...good, parent: undefined }],
      ["tree not a list", { ...good, tree: sha("t") }],
      ["tree with a bad id", { ...good, tree: ["xyz"] }],
      ["entry count negative", { ...good, entryCount: -1 }],
      ["entry count float", { ...good, entryCount: 1.5 }],
      ["entry count missing", { ...good, entryCount: undefined }],
      ["stats missing", { ...good, stats: undefined }],
      ["stats not an object", { ...good, stats: 7 }],
      ["a stat negative", { ...good, stats: { ...good.stats, files: -1 } }],
      ["a stat missing", { ...good, stats: { ...good.stats, newStoredBytes: undefined } }],
    ];
    for (const [what, raw] of bad) expect(() => validateHeader(raw === null ? null : JSON.parse(JSON.stringify(raw)), "f", good.id), what).toThrow(PoolFormatError);
  });

  it("on disk that are not JSON, or name another id, are PoolFormatErrors", () => {
    const pool = tmp();
    const h = header([], 0);
    writeHeader(pool, h);
    fs.writeFileSync(path.join(pool, "snapshots", `${h.id}.json`), "{\"version\":2,");
    expect(() => readHeader(pool, h.id)).toThrow(/not valid JSON/);
    const other = header([], 0, { id: newManifestId(new Date("2020-05-05T00:00:00Z")) });
    fs.writeFileSync(path.join(pool, "snapshots", `${h.id}.json`), JSON.stringify(other));
    expect(() => readHeader(pool, h.id)).toThrow(/does not match its file name/);
  });
});

describe("ParentCursor", () => {
  async function* gen(entries: ManifestEntry[]) {
    yield* entries;
  }
  const names = ["a", "a/x", "a/y", "a b", "a b/z", "a-b", "a-b/q", "c"];
  const entries = names.map((n) => dirEntry(n));

  it("finds entries asked for in walk order, and skips the ones the parent does not have", async () => {
    const cur = new ParentCursor(gen(entries));
    expect((await cur.find(b("a")))?.path.toString()).toBe("a");
    expect(await cur.find(b("a/w"))).toBeUndefined(); // new in this backup
    expect((await cur.find(b("a/y")))?.path.toString()).toBe("a/y"); // a/x was deleted since
    expect((await cur.find(b("a b/z")))?.path.toString()).toBe("a b/z");
    expect(await cur.find(b("a b/zz"))).toBeUndefined();
    expect((await cur.find(b("a-b/q")))?.path.toString()).toBe("a-b/q");
    expect(await cur.find(b("b"))).toBeUndefined();
    expect((await cur.find(b("c")))?.path.toString()).toBe("c");
    expect(await cur.find(b("d"))).toBeUndefined();
    expect(await cur.find(b("e"))).toBeUndefined(); // past the end: still fine
  });

  it("finds every entry when asked for all of them, and nothing in an empty parent", async () => {
    const cur = new ParentCursor(gen(entries));
    for (const n of names) expect((await cur.find(b(n)))?.path.toString()).toBe(n);
    const empty = new ParentCursor(gen([]));
    expect(await empty.find(b("a"))).toBeUndefined();
    expect(await empty.find(b("b"))).toBeUndefined();
  });
});
