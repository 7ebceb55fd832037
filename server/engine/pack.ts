/**
 * Pack files: many chunks in one file, so that ten thousand small files do not become ten
 * thousand tiny files on disk. A pack describes itself, so the index can always be rebuilt
 * from the packs alone:
 *
 *   "CUSTPK01"                      8-byte magic
 *   blob 0 … blob n-1               each chunk's stored bytes (zstd-compressed or raw)
 *   trailer                         UTF-8 JSON: [[id, offset, length, rawLength, codec], …]
 *   trailer length                  uint32, big-endian
 *   "CUSTPK01"                      the magic again: a torn pack has no valid tail
 *
 * A pack's name is the SHA-256 of its whole content, so a damaged pack is detectable even
 * before its chunks are read.
 */
import { createHash } from "node:crypto";
import fsp, { type FileHandle } from "node:fs/promises";
import path from "node:path";
import { PoolFormatError } from "./errors";

export const PACK_MAGIC = Buffer.from("CUSTPK01", "latin1");

/** How a blob's bytes are stored. */
export type Codec = "raw" | "zstd";

export interface PackEntry {
  /** SHA-256 (hex) of the chunk's uncompressed bytes: its content id. */
  id: string;
  offset: number;
  /** Stored length. */
  length: number;
  /** Uncompressed length. */
  rawLength: number;
  codec: Codec;
}

/** Builds one pack in memory; `finish` returns its bytes and name. */
export class PackBuilder {
  private parts: Buffer[] = [PACK_MAGIC];
  private size = PACK_MAGIC.length;
  readonly entries: PackEntry[] = [];

  get byteLength(): number {
    return this.size;
  }

  add(id: string, stored: Uint8Array, rawLength: number, codec: Codec): void {
    this.entries.push({ id, offset: this.size, length: stored.length, rawLength, codec });
    this.parts.push(Buffer.from(stored.buffer, stored.byteOffset, stored.byteLength));
    this.size += stored.length;
  }

  finish(): { name: string; bytes: Buffer; entries: PackEntry[] } {
    const trailer = Buffer.from(JSON.stringify(this.entries.map((e) => [e.id, e.offset, e.length, e.rawLength, e.codec])), "utf8");
    const len = Buffer.alloc(4);
    len.writeUInt32BE(trailer.length);
    const bytes = Buffer.concat([...this.parts, trailer, len, PACK_MAGIC]);
    return { name: createHash("sha256").update(bytes).digest("hex"), bytes, entries: this.entries };
  }
}

const ID = /^[0-9a-f]{64}$/;

/** Reads the entry table at the end of a pack; throws PoolFormatError when it is not a whole pack. */
export function readPackTrailer(bytes: Uint8Array, file: string): PackEntry[] {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const m = PACK_MAGIC.length;
  if (b.length < 2 * m + 4 || !b.subarray(0, m).equals(PACK_MAGIC) || !b.subarray(b.length - m).equals(PACK_MAGIC)) {
    throw new PoolFormatError(file, "not a complete pack (magic missing)");
  }
  const trailerLength = b.readUInt32BE(b.length - m - 4);
  const trailerStart = b.length - m - 4 - trailerLength;
  if (trailerStart < m) throw new PoolFormatError(file, "trailer length out of range");
  let raw: unknown;
  try {
    raw = JSON.parse(b.subarray(trailerStart, b.length - m - 4).toString("utf8"));
  } catch {
    throw new PoolFormatError(file, "trailer is not valid JSON");
  }
  if (!Array.isArray(raw)) throw new PoolFormatError(file, "trailer is not a list");
  return raw.map((e, i) => {
    if (!Array.isArray(e) || e.length !== 5) throw new PoolFormatError(file, `trailer entry ${i} is malformed`);
    const [id, offset, length, rawLength, codec] = e as unknown[];
    const ok =
      typeof id === "string" && ID.test(id) &&
      Number.isInteger(offset) && Number.isInteger(length) && Number.isInteger(rawLength) &&
      (offset as number) >= m && (length as number) >= 0 && (offset as number) + (length as number) <= trailerStart &&
      (rawLength as number) >= 0 && (rawLength as number) <= 2 ** 32 && // as the index requires: rebuildIndex must never write one it cannot load
      (codec === "raw" || codec === "zstd");
    if (!ok) throw new PoolFormatError(file, `trailer entry ${i} is out of range`);
    return { id: id as string, offset: offset as number, length: length as number, rawLength: rawLength as number, codec: codec as Codec };
  });
}

/**
 * Writes one pack straight to a temp file as chunks arrive, so a pack is never held in memory
 * (a backup's memory is then the chunks in flight, not packs). `finish` appends the trailer,
 * fsyncs and renames the file to its content hash; until then the file is a `*.tmp` that
 * readers ignore and garbage collection deletes.
 */
export class PackFileWriter {
  readonly entries: PackEntry[] = [];
  private readonly hash = createHash("sha256");
  private size = 0;
  private chain: Promise<unknown>;
  private queued = 0;
  private readonly fh: Promise<FileHandle>;
  private failed: unknown = null;

  constructor(readonly tempFile: string) {
    this.fh = fsp.open(tempFile, "wx+", 0o644); // readable too: see readAt
    this.fh.catch(() => undefined); // reported by the first write
    this.chain = this.fh;
    this.append(PACK_MAGIC);
  }

  get byteLength(): number {
    return this.size;
  }

  /** Bytes accepted but not yet written to the file. */
  get queuedBytes(): number {
    return this.queued;
  }

  private append(bytes: Uint8Array): void {
    const at = this.size;
    this.size += bytes.length;
    this.hash.update(bytes);
    this.queued += bytes.length;
    this.chain = this.chain.then(async () => {
      if (this.failed) return;
      try {
        const fh = await this.fh;
        await fh.write(bytes, 0, bytes.length, at);
      } catch (err) {
        this.failed = err;
      } finally {
        this.queued -= bytes.length;
      }
    });
  }

  add(id: string, stored: Uint8Array, rawLength: number, codec: Codec): PackEntry {
    const e: PackEntry = { id, offset: this.size, length: stored.length, rawLength, codec };
    this.entries.push(e);
    this.append(stored);
    return e;
  }

  /** Waits until every byte accepted so far is in the file (not yet fsynced). */
  async drain(): Promise<void> {
    await this.chain;
    if (this.failed) throw this.failed;
  }

  /** Reads back stored bytes already accepted (for a chunk read before its pack is finished). */
  async readAt(offset: number, length: number): Promise<Buffer> {
    await this.drain();
    const buf = Buffer.alloc(length);
    await (await this.fh).read(buf, 0, length, offset);
    return buf;
  }

  /** Writes the trailer, fsyncs, and renames the file to packsDir/<2 hex>/<name>.pack. */
  async finish(packsDir: string): Promise<{ name: string; entries: PackEntry[] }> {
    const trailer = Buffer.from(JSON.stringify(this.entries.map((e) => [e.id, e.offset, e.length, e.rawLength, e.codec])), "utf8");
    const len = Buffer.alloc(4);
    len.writeUInt32BE(trailer.length);
    this.append(trailer);
    this.append(len);
    this.append(PACK_MAGIC);
    const fh = await this.fh;
    try {
      await this.drain();
      await fh.sync();
    } finally {
      await fh.close();
    }
    const name = this.hash.digest("hex");
    const dir = path.join(packsDir, name.slice(0, 2));
    await fsp.mkdir(dir, { recursive: true });
    await fsp.rename(this.tempFile, path.join(dir, `${name}.pack`));
    for (const d of [dir, path.dirname(this.tempFile)]) {
      const dh = await fsp.open(d, "r");
      try {
        await dh.sync();
      } finally {
        await dh.close();
      }
    }
    return { name, entries: this.entries };
  }

  /** Gives up: closes and deletes the temp file. */
  async abandon(): Promise<void> {
    await this.chain.catch(() => undefined);
    await (await this.fh.catch(() => null))?.close().catch(() => undefined);
    await fsp.rm(this.tempFile, { force: true });
  }
}
