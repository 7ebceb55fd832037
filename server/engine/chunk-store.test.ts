import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { randomBytes } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { ChunkStore, sha256Hex } from "./chunk-store";
import { BlobCorrupt, BlobNotFound, PoolFormatError } from "./errors";
import { PackBuilder, readPackTrailer } from "./pack";

const dirs: string[] = [];
const tmp = () => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), "custodian-store-"));
  dirs.push(d);
  return d;
};
afterEach(() => dirs.splice(0).forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

const text = (n: number) => Buffer.from("the quick brown fox jumps over the lazy dog\n".repeat(Math.ceil(n / 44)).slice(0, n));
const packFiles = (dir: string) => fs.readdirSync(path.join(dir, "packs"), { recursive: true }).map(String).filter((f) => f.endsWith(".pack"));

describe("ChunkStore", () => {
  it("stores chunks once, compresses what compresses, and reads them back after reopening", async () => {
    const dir = tmp();
    const store = ChunkStore.init(dir);
    const a = text(100_000);
    const b = randomBytes(50_000);
    const putA = await store.put(a);
    expect(putA).toMatchObject({ id: sha256Hex(a), added: true });
    expect(putA.storedBytes).toBeLessThan(a.length / 10);
    const putB = await store.put(b);
    expect(putB.storedBytes).toBe(b.length); // random bytes are stored raw
    expect(await store.put(a)).toMatchObject({ added: false, storedBytes: 0 });
    expect(Buffer.from(await store.get(putA.id)).equals(a)).toBe(true); // before flush, from the unfinished pack
    await store.flush();

    const reopened = ChunkStore.open(dir);
    expect(reopened.has(putA.id) && reopened.has(putB.id)).toBe(true);
    expect(Buffer.from(await reopened.get(putA.id)).equals(a)).toBe(true);
    expect(Buffer.from(await reopened.get(putB.id)).equals(b)).toBe(true);
    expect(reopened.stats()).toEqual({ chunks: 2, storedBytes: putA.storedBytes + putB.storedBytes, rawBytes: a.length + b.length });
    await expect(reopened.get("0".repeat(64))).rejects.toBeInstanceOf(BlobNotFound);
  });

  it("gathers many small chunks into few pack files", async () => {
    const dir = tmp();
    const store = ChunkStore.init(dir, { packTargetBytes: 64 * 1024 });
    for (let i = 0; i < 1000; i++) await store.put(randomBytes(1000));
    await store.flush();
    const packs = packFiles(dir);
    expect(packs.length).toBeGreaterThanOrEqual(15);
    expect(packs.length).toBeLessThanOrEqual(17);
    expect(ChunkStore.open(dir).stats().chunks).toBe(1000);
  });

  it("names the damaged chunk and its pack when a stored byte flips, and still reads the others", async () => {
    const dir = tmp();
    const store = ChunkStore.init(dir);
    const good = await store.put(text(20_000));
    const victim = await store.put(randomBytes(20_000));
    await store.flush();
    const [packRel] = packFiles(dir);
    const packFile = path.join(dir, "packs", packRel!);
    const entry = readPackTrailer(fs.readFileSync(packFile), packFile).find((e) => e.id === victim.id)!;
    const bytes = fs.readFileSync(packFile);
    bytes[entry.offset + 100]! ^= 0x01;
    fs.writeFileSync(packFile, bytes);

    const reopened = ChunkStore.open(dir);
    const err = await reopened.get(victim.id).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BlobCorrupt);
    expect((err as BlobCorrupt).id).toBe(victim.id);
    expect((err as BlobCorrupt).pack).toBe(path.basename(packRel!, ".pack"));
    expect(sha256Hex(await reopened.get(good.id))).toBe(good.id);
  });

  it("finds a pack written just before a crash, ignores temp files, and reports torn packs", async () => {
    const dir = tmp();
    const store = ChunkStore.init(dir);
    const c = await store.put(text(5000));
    await store.flush();
    // The crash: the pack reached the disk, its index did not; a temp file was left behind.
    for (const f of fs.readdirSync(path.join(dir, "index"))) fs.rmSync(path.join(dir, "index", f));
    fs.writeFileSync(path.join(dir, "index", ".x.json.123.tmp"), "{half");
    const torn = new PackBuilder();
    torn.add("a".repeat(64), Buffer.from("xx"), 2, "raw");
    const tornPack = torn.finish();
    fs.mkdirSync(path.join(dir, "packs", tornPack.name.slice(0, 2)), { recursive: true });
    fs.writeFileSync(path.join(dir, "packs", tornPack.name.slice(0, 2), `${tornPack.name}.pack`), tornPack.bytes.subarray(0, tornPack.bytes.length - 5));

    const reopened = ChunkStore.open(dir);
    expect(reopened.has(c.id)).toBe(false);
    const report = reopened.rebuildIndex();
    expect(report).toEqual({ packs: 1, chunks: 1, unreadable: [tornPack.name] });
    expect(sha256Hex(await ChunkStore.open(dir).get(c.id))).toBe(c.id);
  });

  it("refuses what is not a pool it understands", () => {
    const dir = tmp();
    expect(() => ChunkStore.open(dir)).toThrow(/no pool here/);
    ChunkStore.init(dir);
    expect(() => ChunkStore.init(dir)).toThrow(PoolFormatError);
    const cfg = JSON.parse(fs.readFileSync(path.join(dir, "config.json"), "utf8"));
    fs.writeFileSync(path.join(dir, "config.json"), JSON.stringify({ ...cfg, version: 99 }));
    expect(() => ChunkStore.open(dir)).toThrow(/newer/);
    fs.writeFileSync(path.join(dir, "config.json"), "not json");
    expect(() => ChunkStore.open(dir)).toThrow(PoolFormatError);
  });
});

describe("pack trailers", () => {
  it("reject tables that point outside the pack", () => {
    const b = new PackBuilder();
    b.add("b".repeat(64), Buffer.from("hello"), 5, "raw");
    const { bytes } = b.finish();
    expect(readPackTrailer(bytes, "p")).toEqual([{ id: "b".repeat(64), offset: 8, length: 5, rawLength: 5, codec: "raw" }]);
    const withTrailer = (entries: unknown) => {
      const t = Buffer.from(JSON.stringify(entries));
      const len = Buffer.alloc(4);
      len.writeUInt32BE(t.length);
      return Buffer.concat([bytes.subarray(0, 13), t, len, Buffer.from("CUSTPK01")]);
    };
    expect(readPackTrailer(withTrailer([["b".repeat(64), 8, 5, 5, "raw"]]), "p")).toHaveLength(1);
    expect(() => readPackTrailer(withTrailer([["b".repeat(64), 8, 500, 5, "raw"]]), "p")).toThrow(/out of range/);
    expect(() => readPackTrailer(withTrailer([["../etc", 8, 5, 5, "raw"]]), "p")).toThrow(/out of range/);
    expect(() => readPackTrailer(withTrailer([["b".repeat(64), 8, 5, 5, "lz4"]]), "p")).toThrow(/out of range/);
    expect(() => readPackTrailer(Buffer.from("CUSTPK01"), "p")).toThrow(/not a complete pack/);
  });
});

describe("ChunkStore across processes and after close", () => {
  it("refreshIndex picks up chunks another store added and forgets those another store's index rewrite dropped", async () => {
    const dir = tmp();
    const a = ChunkStore.init(dir);
    const old = await a.put(text(3000));
    await a.flush();
    const b = ChunkStore.open(dir);
    const added = await b.put(randomBytes(3000));
    await b.flush();
    expect(a.has(added.id)).toBe(false);
    a.refreshIndex();
    expect(a.has(added.id)).toBe(true);
    expect(sha256Hex(await a.get(added.id))).toBe(added.id);
    // b rewrites the index without the first pack (as garbage collection does) and deletes it.
    const oldPack = b.locate(old.id)!.pack;
    b.replaceIndex(new Map([[b.locate(added.id)!.pack, b.readPackEntries(b.locate(added.id)!.pack)]]));
    await b.deletePack(oldPack);
    a.refreshIndex();
    expect(a.has(old.id)).toBe(false);
    expect(a.has(added.id)).toBe(true);
    a.refreshIndex(); // nothing changed: nothing to do
    expect(a.stats().chunks).toBe(1);
    await Promise.all([a.close(), b.close()]);
  });

  it("close drops the unfinished pack: its chunks are stored again by a later put, and a get fails instead of hanging", async () => {
    const dir = tmp();
    const store = ChunkStore.init(dir);
    const data = randomBytes(1000);
    const { id } = await store.put(data);
    await store.close();
    expect(store.has(id)).toBe(false);
    await expect(store.get(id)).rejects.toBeInstanceOf(BlobNotFound);
    expect(await store.put(data)).toMatchObject({ id, added: true });
    await store.flush();
    expect(sha256Hex(await ChunkStore.open(dir).get(id))).toBe(id);
    expect(fs.readdirSync(path.join(dir, "packs")).filter((n) => n.endsWith(".tmp"))).toEqual([]);
  });

  it("rebuildIndex treats a pack whose trailer gives an impossible length as unreadable, and the pool still opens", async () => {
    const dir = tmp();
    const store = ChunkStore.init(dir);
    const good = await store.put(text(2000));
    await store.flush();
    for (const rawLength of [-5, 2 ** 33]) {
      const data = randomBytes(100);
      const b = new PackBuilder();
      b.add(sha256Hex(data), data, rawLength, "raw");
      const p = b.finish();
      fs.mkdirSync(path.join(dir, "packs", p.name.slice(0, 2)), { recursive: true });
      fs.writeFileSync(path.join(dir, "packs", p.name.slice(0, 2), `${p.name}.pack`), p.bytes);
      expect(() => readPackTrailer(p.bytes, "p")).toThrow(/out of range/);
      expect(store.rebuildIndex().unreadable).toEqual([p.name]);
      fs.rmSync(path.join(dir, "packs", p.name.slice(0, 2), `${p.name}.pack`));
    }
    expect(sha256Hex(await ChunkStore.open(dir).get(good.id))).toBe(good.id);
  });
});
