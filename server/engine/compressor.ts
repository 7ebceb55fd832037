/**
 * Chunk compression, on worker threads so that both cores work during a backup: the main
 * thread reads, chunks and hashes; the pool compresses. Chunks are transferred to the worker
 * and back, not copied twice. Small chunks are compressed inline: for them the round trip
 * costs more than the work.
 */
import os from "node:os";
import { MessageChannel } from "node:worker_threads";
import { Piscina } from "piscina";
import { createHash } from "node:crypto";
import { compress, decompress } from "zstd-napi";
import { BlobCorrupt } from "./errors";
import type { Codec } from "./pack";
import type { ChunkerParams } from "./chunker";

export interface Compressed {
  stored: Uint8Array;
  codec: Codec;
}

/** zstd when it saves space; incompressible data (photos, archives) is kept raw. */
export function compressInline(raw: Uint8Array, level: number): Compressed {
  const packed = compress(raw, { compressionLevel: level });
  // A raw chunk is copied: it may be a view into a large read buffer a pack must not pin.
  return packed.length < raw.length ? { stored: packed, codec: "zstd" } : { stored: Uint8Array.prototype.slice.call(raw), codec: "raw" };
}

const INLINE_BELOW = 64 * 1024;

/** One buffer for a batch: a single transfer to the worker instead of one per chunk. */
function concatChunks(chunks: Uint8Array[]): Uint8Array<ArrayBuffer> {
  const data = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    data.set(c, at);
    at += c.length;
  }
  return data;
}

export function decodeInline(id: string, pack: string, stored: Uint8Array, codec: Codec, rawLength: number): Uint8Array {
  let raw: Uint8Array;
  try {
    raw = codec === "zstd" ? decompress(stored) : stored;
  } catch (err) {
    throw new BlobCorrupt(id, pack, `cannot decompress (${(err as Error).message})`);
  }
  if (raw.length !== rawLength || createHash("sha256").update(raw).digest("hex") !== id) throw new BlobCorrupt(id, pack, "its bytes do not match its id");
  return raw;
}

export class Compressor {
  private pool: Piscina | null = null;

  /**
   * `threads` worker threads (0: everything inline). The default leaves one core to the main
   * thread: on two cores, one worker. Each worker costs ~50 MiB of memory. On the 1 GiB bench
   * set on two cores, `--threads 2` backs up in 6.2 s instead of 7.2 s (large new files are
   * then cut on the workers too) but peaks at ~350 MiB instead of ~290 MiB.
   */
  constructor(
    readonly level: number,
    private readonly threads = Math.max(1, Math.min(3, os.availableParallelism() - 1)),
  ) {}

  async compress(raw: Uint8Array): Promise<Compressed> {
    if (raw.length < INLINE_BELOW || this.threads < 1) return compressInline(raw, this.level);
    // Its own buffer, transferred: never the whole read buffer it may be a view into.
    const own = Uint8Array.prototype.slice.call(raw);
    const out = (await this.workers().run({ raw: own, level: this.level }, { transferList: [own.buffer as ArrayBuffer] })) as Uint8Array;
    return { stored: out, codec: out.length < raw.length ? "zstd" : "raw" };
  }

  /**
   * Hashes and compresses a batch of chunks on a worker (inline without workers): one task
   * and one copy for many small chunks, whose per-task overhead would otherwise dominate.
   * `stored` is null for a chunk kept raw (the caller has its bytes).
   */
  /** Whether whole files go to workers (chunkFile): only with two workers or more. */
  get wholeFiles(): boolean {
    return this.threads >= 2;
  }

  /**
   * Reads, cuts, hashes and compresses a whole file on a worker, handing each chunk to
   * `onChunk` in order as it comes (the worker waits while `credit` bytes are unstored).
   * Resolves with the file's size and its chunk ids, or null if it vanished meanwhile.
   */
  async chunkFile(
    file: Buffer,
    params: ChunkerParams,
    onChunk: (c: { id: string; codec: Codec; stored: Uint8Array; rawLength: number }) => Promise<void>,
    o: { credit: number; signal?: AbortSignal },
  ): Promise<{ size: number; chunks: string[] } | null> {
    const control = new Int32Array(new SharedArrayBuffer(8));
    control[0] = o.credit;
    const { port1, port2 } = new MessageChannel();
    const ids: string[] = [];
    let received = 0;
    let chain: Promise<void> = Promise.resolve();
    let failed: unknown = null;
    const allReceived: { n: number; resolve: () => void } = { n: -1, resolve: () => undefined };
    port1.on("message", (m: { i: number; id: string; codec: Codec; stored: Uint8Array; rawLength: number }) => {
      received++;
      chain = chain.then(async () => {
        if (failed) return;
        try {
          ids[m.i] = m.id;
          await onChunk(m);
        } catch (err) {
          failed = err;
          Atomics.store(control, 1, 1); // stop the worker
        }
        Atomics.add(control, 0, m.stored.length);
        Atomics.notify(control, 0);
      });
      if (received === allReceived.n) allReceived.resolve();
    });
    const abort = () => {
      Atomics.store(control, 1, 1);
      Atomics.notify(control, 0);
    };
    o.signal?.addEventListener("abort", abort);
    try {
      const path = Uint8Array.prototype.slice.call(file);
      const r = (await this.workers().run({ path, params, level: this.level, port: port2, control: control.buffer }, { name: "chunkFile", transferList: [port2] }).catch((err: unknown) => {
        throw failed ?? (o.signal?.aborted ? o.signal.reason : err);
      })) as { vanished?: boolean; size: number; count: number };
      if (r.vanished) return null;
      // The task's result and the port's messages travel separately: wait for all of them.
      if (received < r.count) await new Promise<void>((resolve) => Object.assign(allReceived, { n: r.count, resolve }));
      await chain;
      if (failed) throw failed;
      return { size: r.size, chunks: ids };
    } finally {
      o.signal?.removeEventListener("abort", abort);
      await chain.catch(() => undefined);
      port1.close();
    }
  }

  /** Hashes a batch of chunks on a worker (inline without workers). */
  async hashBatch(chunks: Uint8Array[]): Promise<string[]> {
    if (this.threads < 1) return chunks.map((c) => createHash("sha256").update(c).digest("hex"));
    const data = concatChunks(chunks);
    return (await this.workers().run({ data, lengths: chunks.map((c) => c.length) }, { name: "hashBatch", transferList: [data.buffer] })) as string[];
  }

  async hashCompressBatch(chunks: Uint8Array[]): Promise<{ id: string; stored: Uint8Array | null }[]> {
    if (this.threads < 1) {
      return chunks.map((c) => {
        const packed = compress(c, { compressionLevel: this.level });
        return { id: createHash("sha256").update(c).digest("hex"), stored: packed.length < c.length ? packed : null };
      });
    }
    const data = concatChunks(chunks);
    return (await this.workers().run({ data, lengths: chunks.map((c) => c.length), level: this.level }, { name: "hashCompressBatch", transferList: [data.buffer] })) as {
      id: string;
      stored: Uint8Array | null;
    }[];
  }

  /**
   * Decompresses and verifies a chunk's stored bytes on a worker (inline when small or
   * without workers); throws BlobCorrupt when they do not match the id.
   */
  async decode(id: string, pack: string, stored: Uint8Array, codec: Codec, rawLength: number): Promise<Uint8Array> {
    if (rawLength < INLINE_BELOW || this.threads < 1) return decodeInline(id, pack, stored, codec, rawLength);
    const pool = this.workers();
    const own = stored.byteOffset === 0 && stored.byteLength === stored.buffer.byteLength ? stored : Uint8Array.prototype.slice.call(stored);
    const out = (await pool.run({ id, stored: own, codec, rawLength }, { name: "decodeChunk", transferList: [own.buffer as ArrayBuffer] })) as Uint8Array | { error: string };
    if (!(out instanceof Uint8Array)) throw new BlobCorrupt(id, pack, out.error);
    return out;
  }

  private workers(): Piscina {
    this.pool ??= new Piscina({ filename: new URL("./compress-worker.mjs", import.meta.url).href, minThreads: this.threads, maxThreads: this.threads, idleTimeout: 5_000, });
    return this.pool;
  }

  async close(): Promise<void> {
    const p = this.pool;
    this.pool = null;
    await p?.destroy();
  }
}
