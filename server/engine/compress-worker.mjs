// Worker thread of the compression pool (compressor.ts): plain JavaScript so that worker
// threads need no TypeScript loader. Receives a chunk (transferred, not copied) and sends
// back its zstd form when that is smaller, else the raw bytes themselves; the caller tells
// which by the length (a zstd form is always strictly shorter).
import { createHash } from "node:crypto";
import { compress, decompress } from "zstd-napi";
import { move } from "piscina";

export default function compressChunk({ raw, level }) {
  const packed = compress(raw, { compressionLevel: level });
  return move(packed.length < raw.length ? new Uint8Array(packed.buffer, packed.byteOffset, packed.byteLength) : raw);
}

// Restore side: decompresses (when zstd) and verifies a chunk against its id, so that a
// restore's hashing and decompression use the second core too.
export function decodeChunk({ id, stored, codec, rawLength }) {
  let raw;
  try {
    raw = codec === "zstd" ? decompress(stored) : stored;
  } catch (err) {
    return { error: `cannot decompress (${err.message})` };
  }
  if (raw.length !== rawLength || createHash("sha256").update(raw).digest("hex") !== id) return { error: "its bytes do not match its id" };
  return move(new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength));
}

// Backup side, for files new to the pool (no parent entry): a batch of chunks, one buffer,
// hashed AND compressed here, so that the main thread only reads and cuts. Raw (incompressible)
// chunks come back as null: the caller still holds their bytes.
export function hashCompressBatch({ data, lengths, level }) {
  const out = [];
  let at = 0;
  for (const n of lengths) {
    const raw = data.subarray(at, at + n);
    at += n;
    const id = createHash("sha256").update(raw).digest("hex");
    const packed = compress(raw, { compressionLevel: level });
    out.push(packed.length < raw.length ? { id, stored: new Uint8Array(packed.buffer, packed.byteOffset, packed.byteLength) } : { id, stored: null });
  }
  return out;
}

// Backup side, for files the parent had (changed since): only the ids; the caller then
// compresses just the chunks the pool lacks (most of a changed large file is unchanged).
export function hashBatch({ data, lengths }) {
  const ids = [];
  let at = 0;
  for (const n of lengths) {
    ids.push(createHash("sha256").update(data.subarray(at, at + n)).digest("hex"));
    at += n;
  }
  return ids;
}
