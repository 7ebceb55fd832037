import fs from "node:fs";
import path from "node:path";
import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { ChunkStore } from "./chunk-store";
import { backupFolder } from "./archiver";
import { restore } from "./restorer";
import { listManifestIds } from "./manifest";
import { BlobCorrupt } from "./errors";
import { localReplicationSource, replicateRecoveryPoint, type ReplicationSource } from "./replicate";
import { SMALL_CHUNKS, tempSpace, treeSnapshot } from "./test-support";

const space = tempSpace("replicate");

function files(root: string) {
  fs.mkdirSync(path.join(root, "docs", "deep"), { recursive: true });
  fs.writeFileSync(path.join(root, "docs", "a.txt"), "alpha ".repeat(20_000));
  for (let i = 0; i < 20; i++) fs.writeFileSync(path.join(root, "docs", "deep", `f${i}.bin`), randomBytes(50_000));
}

describe("replicateRecoveryPoint", () => {
  it("copies a recovery point so that it restores byte-identical from the target; a second copy after churn moves only the new chunks", async () => {
    const src = space.tmp();
    files(src);
    const a = space.track(ChunkStore.init(path.join(space.tmp(), "a"), { chunker: SMALL_CHUNKS }));
    const b = space.track(ChunkStore.init(path.join(space.tmp(), "b"), { chunker: SMALL_CHUNKS }));
    const first = await backupFolder(a, src);
    const r1 = await replicateRecoveryPoint(localReplicationSource(a), b, first.id);
    expect(r1).toMatchObject({ alreadyThere: false, chunksPresent: 0 });
    expect(r1.chunksCopied).toBe(a.stats().chunks);
    const out = space.tmp();
    await restore(b, r1.header, out);
    expect(treeSnapshot(out)).toEqual(treeSnapshot(src));

    // ~1% churn: one file of 21 rewritten.
    fs.writeFileSync(path.join(src, "docs", "deep", "f3.bin"), randomBytes(50_000));
    const second = await backupFolder(a, src);
    const r2 = await replicateRecoveryPoint(localReplicationSource(a), b, second.id);
    // What travels is what the backup added (its new chunks, compressed, including the changed part of the tree).
    expect(r2.chunksCopied).toBe(second.stats.newChunks);
    expect(r2.storedBytesCopied).toBe(second.stats.newStoredBytes);
    expect(r2.storedBytesCopied).toBeLessThan(r1.storedBytesCopied / 10);
    const out2 = space.tmp();
    await restore(b, r2.header, out2);
    expect(treeSnapshot(out2)).toEqual(treeSnapshot(src));

    // Again: nothing to do.
    expect(await replicateRecoveryPoint(localReplicationSource(a), b, second.id)).toMatchObject({ alreadyThere: true, chunksCopied: 0 });
  });

  it("refuses a chunk whose bytes do not match its id and writes no header", async () => {
    const src = space.tmp();
    files(src);
    const a = space.track(ChunkStore.init(path.join(space.tmp(), "a"), { chunker: SMALL_CHUNKS }));
    const b = space.track(ChunkStore.init(path.join(space.tmp(), "b"), { chunker: SMALL_CHUNKS }));
    const h = await backupFolder(a, src);
    const honest = localReplicationSource(a);
    const lying: ReplicationSource = {
      header: (id) => honest.header(id),
      async getStored(ids) {
        const got = await honest.getStored(ids);
        const [first] = got.keys();
        if (first) got.set(first, { ...got.get(first)!, stored: Buffer.from("not the chunk"), codec: "raw", rawLength: 13 });
        return got;
      },
    };
    await expect(replicateRecoveryPoint(lying, b, h.id)).rejects.toBeInstanceOf(BlobCorrupt);
    expect(listManifestIds(b.dir)).toEqual([]);
  });

  it("refuses a header that is not a recovery point", async () => {
    const b = space.track(ChunkStore.init(path.join(space.tmp(), "b"), { chunker: SMALL_CHUNKS }));
    const bad: ReplicationSource = { header: async () => ({ version: 2, id: "20261124T120000000Z-00000000", tree: ["nope"] }) as never, getStored: async () => new Map() };
    await expect(replicateRecoveryPoint(bad, b, "20261124T120000000Z-00000000")).rejects.toThrow(/malformed|tree|header/);
    expect(listManifestIds(b.dir)).toEqual([]);
  });
});
