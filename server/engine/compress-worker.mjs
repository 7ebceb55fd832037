// Worker thread of the compression pool (compressor.ts): plain JavaScript so that worker
// threads need no TypeScript loader. Receives a chunk (transferred, not copied) and sends
// back its zstd form when that is smaller, else the raw bytes themselves; the caller tells
// which by the length (a zstd form is always strictly shorter).
import { compress } from "zstd-napi";
import { move } from "piscina";

export default function compressChunk({ raw, level }) {
  const packed = compress(raw, { compressionLevel: level });
  return move(packed.length < raw.length ? new Uint8Array(packed.buffer, packed.byteOffset, packed.byteLength) : raw);
}
