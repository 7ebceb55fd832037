/**
 * Shared by the engine's tests (not used by the engine itself): temporary folders and stores
 * cleaned up after each test, a small chunker for tests with small files, and tree helpers.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { createHash } from "node:crypto";
import { afterEach } from "vitest";
import type { ChunkStore } from "./chunk-store";
import type { ChunkerParams } from "./chunker";

/** Chunks of ~8 KiB, so a few small files make many chunks. */
export const SMALL_CHUNKS: ChunkerParams = { minSize: 2048, avgSize: 8192, maxSize: 32768 };

/** `tmp()` makes a folder and `track(store)` registers a store; both are cleaned up after each test. */
export function tempSpace(prefix: string) {
  const dirs: string[] = [];
  const stores: ChunkStore[] = [];
  afterEach(async () => {
    await Promise.all(stores.splice(0).map((s) => s.close()));
    dirs.splice(0).forEach((d) => fs.rmSync(d, { recursive: true, force: true }));
  });
  return {
    tmp: () => {
      const d = fs.mkdtempSync(path.join(os.tmpdir(), `custodian-${prefix}-`));
      dirs.push(d);
      return d;
    },
    track: <S extends ChunkStore>(s: S) => (stores.push(s), s),
  };
}

export async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

/** Relative path → SHA-256 of the content (files), "dir" or the link target, for comparing trees. */
export function treeSnapshot(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (rel: string) => {
    for (const d of fs.readdirSync(path.join(root, rel), { withFileTypes: true })) {
      const r = rel ? `${rel}/${d.name}` : d.name;
      if (d.isSymbolicLink()) out[r] = `-> ${fs.readlinkSync(path.join(root, r))}`;
      else if (d.isDirectory()) {
        out[r] = "dir";
        walk(r);
      } else out[r] = createHash("sha256").update(fs.readFileSync(path.join(root, r))).digest("hex");
    }
  };
  walk("");
  return out;
}
