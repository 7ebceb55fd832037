// Worker thread of the compression pool (compressor.ts): plain JavaScript so that worker
// threads need no TypeScript loader. Receives a chunk (transferred, not copied) and sends
// back its zstd form when that is smaller, else the raw bytes themselves; the caller tells
// which by the length (a zstd form is always strictly shorter).
import { Buffer } from "node:buffer";
import { createHash } from "node:crypto";
import { closeSync, constants, fstatSync, openSync, readSync } from "node:fs";
import { Chunker } from "./gear-chunker.mjs";
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

// Backup side, for large files new to the pool: the whole file is read, cut, hashed and
// compressed here, chunk results streamed to `port` in order, so the main thread does no
// per-byte work for them at all. Flow control: `control` is shared memory, [0] the bytes the
// main thread still accepts (it adds back what it has stored; more than the largest chunk,
// so a chunk always fits eventually), [1] set to abort.
const FILE_READ = 1024 * 1024;

export function chunkFile({ path, params, level, port, control }) {
  const ctl = new Int32Array(control);
  let fd;
  try {
    fd = openSync(Buffer.from(path), constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    if (err.code === "ENOENT") return { vanished: true };
    throw err;
  }
  try {
    if (!fstatSync(fd).isFile()) return { vanished: true };
    const chunker = new Chunker(params);
    let size = 0;
    let count = 0;
    const emit = (c) => {
      const id = createHash("sha256").update(c).digest("hex");
      const packed = compress(c, { compressionLevel: level });
      // Own buffers, transferred: never a view into a read buffer or zstd's scratch space.
      const [stored, codec] = packed.length < c.length ? [new Uint8Array(packed), "zstd"] : [Uint8Array.prototype.slice.call(c), "raw"];
      for (;;) {
        if (Atomics.load(ctl, 1)) throw new Error("aborted");
        const credit = Atomics.load(ctl, 0);
        if (credit >= stored.length) {
          Atomics.sub(ctl, 0, stored.length);
          break;
        }
        Atomics.wait(ctl, 0, credit, 100);
      }
      port.postMessage({ i: count++, id, codec, stored, rawLength: c.length }, [stored.buffer]);
    };
    // One read buffer for the whole file: each chunk is hashed, compressed and copied out
    // before the next read, and the chunker copies the tail it keeps (own()). Allocating a
    // buffer per read left hundreds of MiB to a lagging garbage collector.
    const buf = Buffer.allocUnsafe(FILE_READ);
    for (;;) {
      if (Atomics.load(ctl, 1)) throw new Error("aborted");
      const n = readSync(fd, buf, 0, FILE_READ, null);
      if (n === 0) break;
      size += n;
      for (const c of chunker.push(buf.subarray(0, n))) emit(c);
      chunker.own();
    }
    const last = chunker.finish();
    if (last) emit(last);
    return { size, count };
  } finally {
    closeSync(fd);
  }
}
