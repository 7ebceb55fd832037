/**
 * Replication of recovery points from one pool to another (a secondary server copying a
 * primary's replicas, or a primary pulling back what its secondary made while switched).
 *
 * Only the chunks the target lacks travel, as they are stored (compressed), so the bytes
 * moved follow the change, not the size. Each chunk is decoded and hashed against its id
 * before it is stored: a source cannot slip in a wrong chunk. The tree's chunks come first
 * (they name the files' chunks); the header is written last, after every chunk is durable,
 * under the target's shared lock (garbage collection cannot remove chunks of a recovery
 * point still being copied). A crash leaves, at worst, chunks no header names, which the
 * next garbage collection frees.
 */
import fs from "node:fs";
import path from "node:path";
import type { ChunkStore } from "./chunk-store";
import { decodeInline } from "./compressor";
import { acquireLock } from "./lock";
import { readEntries, readHeader, validateHeader, writeHeader, type ManifestHeader } from "./manifest";
import type { Codec } from "./pack";

/** A chunk as a pool stores it. */
export interface StoredChunk {
  stored: Uint8Array;
  rawLength: number;
  codec: Codec;
}

/** Where recovery points are copied from: a local pool, or a peer server over the network. */
export interface ReplicationSource {
  header(id: string): Promise<ManifestHeader>;
  /** Stored bytes of each chunk asked for, in any order (a batch keeps round trips few). */
  getStored(ids: string[]): Promise<Map<string, StoredChunk>>;
}

export interface ReplicationResult {
  header: ManifestHeader;
  /** The target had it already: nothing was copied. */
  alreadyThere: boolean;
  chunksCopied: number;
  /** Stored (compressed) bytes copied: what travelled. */
  storedBytesCopied: number;
  chunksPresent: number;
}

const BATCH = 64;

export function localReplicationSource(store: ChunkStore): ReplicationSource {
  return {
    async header(id) {
      return readHeader(store.dir, id);
    },
    async getStored(ids) {
      const out = new Map<string, StoredChunk>();
      for (const id of ids) {
        const loc = store.locate(id);
        if (!loc) continue;
        out.set(id, { stored: await store.readStored(id, loc), rawLength: loc.rawLength, codec: loc.codec });
      }
      return out;
    },
  };
}

/** Copies one recovery point into `target` unless it is there already. */
export async function replicateRecoveryPoint(
  source: ReplicationSource,
  target: ChunkStore,
  id: string,
  o: { signal?: AbortSignal; onProgress?: (p: { chunksCopied: number; storedBytesCopied: number }) => void } = {},
): Promise<ReplicationResult> {
  const header = validateHeader(await source.header(id), `recovery point ${id} from the source`, id);
  if (fs.existsSync(path.join(target.dir, "snapshots", `${id}.json`))) {
    return { header, alreadyThere: true, chunksCopied: 0, storedBytesCopied: 0, chunksPresent: 0 };
  }
  const lock = acquireLock(target.dir, "shared", `replication of ${id}`);
  try {
    const result: ReplicationResult = { header, alreadyThere: false, chunksCopied: 0, storedBytesCopied: 0, chunksPresent: 0 };
    const copy = async (ids: string[]) => {
      const missing = [...new Set(ids)].filter((c) => {
        if (target.has(c)) {
          result.chunksPresent++;
          return false;
        }
        return true;
      });
      for (let i = 0; i < missing.length; i += BATCH) {
        o.signal?.throwIfAborted();
        const batch = missing.slice(i, i + BATCH);
        const got = await source.getStored(batch);
        for (const c of batch) {
          const chunk = got.get(c);
          if (!chunk) throw new Error(`the source does not have chunk ${c} of recovery point ${id}`);
          decodeInline(c, "(replication)", chunk.stored, chunk.codec, chunk.rawLength); // throws BlobCorrupt on a wrong chunk
          if (await target.putStored(c, chunk.stored, chunk.rawLength, chunk.codec)) {
            result.chunksCopied++;
            result.storedBytesCopied += chunk.stored.length;
          }
        }
        o.onProgress?.({ chunksCopied: result.chunksCopied, storedBytesCopied: result.storedBytesCopied });
      }
    };
    await copy(header.tree);
    // The tree is readable from the target now; the files' chunks follow, a batch at a time.
    let pending: string[] = [];
    for await (const e of readEntries(target, header)) {
      for (const c of e.chunks ?? []) pending.push(c);
      if (pending.length >= 4 * BATCH) {
        await copy(pending);
        pending = [];
      }
    }
    await copy(pending);
    await target.flush();
    writeHeader(target.dir, header);
    return result;
  } finally {
    lock.release();
  }
}
