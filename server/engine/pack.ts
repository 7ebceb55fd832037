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
      (codec === "raw" || codec === "zstd");
    if (!ok) throw new PoolFormatError(file, `trailer entry ${i} is out of range`);
    return { id: id as string, offset: offset as number, length: length as number, rawLength: rawLength as number, codec: codec as Codec };
  });
}
