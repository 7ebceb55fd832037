/**
 * Recovery points. Each one is a small header file, DIR/snapshots/<id>.json, and a tree: the
 * list of every entry of the data source, as newline-delimited JSON, cut into chunks by a
 * small content-defined chunker and stored in the chunk store like file data. So the tree is
 * compressed, verified on read and deduplicated between recovery points, and neither writing
 * nor reading it holds more than one tree chunk in memory, however many files a source has.
 *
 * The header is written after every chunk it names (tree and files) is durable, so a header
 * on disk is always a complete recovery point; deleting the header removes the recovery point.
 *
 * Entries come in walk order: depth first, siblings sorted by the bytes of their names
 * (`compareTreePaths`), so the next backup can read its parent's tree in step with its own
 * walk. Paths are relative to the source, '/'-separated, and kept as bytes: a name that is
 * valid UTF-8 is stored as text ("p"), any other as base64 ("pb").
 *
 * A tree may come from an agent on another computer: every entry is validated as it is read
 * (types, ranges, chunk ids) and a malformed one is a PoolFormatError, never a crash.
 */
import fs from "node:fs";
import path from "node:path";
import { createHash, randomBytes } from "node:crypto";
import { writeFileAtomic } from "@/server/fs/write-file-atomic";
import { Chunker, type ChunkerParams } from "./chunker";
import type { ChunkReader, ChunkWriter } from "./target";
import { PoolFormatError } from "./errors";

export const MANIFEST_VERSION = 2;

export type EntryType = "file" | "dir" | "symlink";

export interface ManifestEntry {
  /** Relative path as bytes. */
  path: Buffer;
  type: EntryType;
  mode: number;
  uid: number;
  gid: number;
  mtimeMs: number;
  size: number;
  /** For change detection against the next backup. */
  ino: number;
  ctimeMs: number;
  /** Symlink target, as bytes. */
  target?: Buffer;
  /** Chunk ids, in order (files). */
  chunks?: string[];
  /** The file's content id (files): see contentHash. */
  hash?: string;
}

export interface ManifestStats {
  files: number;
  dirs: number;
  symlinks: number;
  bytes: number;
  newChunks: number;
  newStoredBytes: number;
}

export interface ManifestHeader {
  version: typeof MANIFEST_VERSION;
  id: string;
  time: string;
  /** What was backed up: a folder's absolute path, or a label the caller chose. */
  source: string;
  /** The recovery point whose unchanged entries were reused, if any. */
  parent: string | null;
  stats: ManifestStats;
  /** The chunks of the tree, in order. */
  tree: string[];
  entryCount: number;
}

/** Small chunks for trees: a changed file then rewrites ~64 KiB of tree, not 1 MiB. */
export const TREE_CHUNKER: ChunkerParams = { minSize: 16 * 1024, avgSize: 64 * 1024, maxSize: 256 * 1024 };

const CHUNK_ID = /^[0-9a-f]{64}$/;
const ID_PATTERN = /^\d{8}T\d{9}Z-[0-9a-f]{8}$/;
const utf8 = new TextDecoder("utf-8", { fatal: true });

/** A new recovery point id that sorts by time, to the millisecond: 20261124T120000123Z-1a2b3c4d. */
export function newManifestId(now: Date): string {
  return `${now.toISOString().replace(/[-:.]/g, "")}-${randomBytes(4).toString("hex")}`;
}

export const isManifestId = (id: string) => ID_PATTERN.test(id);

/**
 * Walk order: depth first, siblings by name bytes. Equal to comparing the paths' bytes with
 * '/' ranked below every other byte ("a" < "a/x" < "a b"), which plain byte order is not.
 */
export function compareTreePaths(a: Buffer, b: Buffer): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x !== y) return (x === 0x2f ? -1 : x) - (y === 0x2f ? -1 : y);
  }
  return a.length - b.length;
}

function encodeBytes(b: Buffer, text: string, base64: string): Record<string, string> {
  try {
    return { [text]: utf8.decode(b) };
  } catch {
    return { [base64]: b.toString("base64") };
  }
}

const TYPE_CODE: Record<EntryType, string> = { file: "f", dir: "d", symlink: "l" };
const CODE_TYPE: Record<string, EntryType> = { f: "file", d: "dir", l: "symlink" };

/**
 * A file's content id, derived from its chunk list (so it is never stored, and a tree cannot
 * lie about it): for a file of at most one chunk, the SHA-256 of its bytes (= the chunk's id;
 * the empty file's is the SHA-256 of nothing); for a longer file, the SHA-256 of its chunk
 * ids' bytes, a one-level hash tree that identifies the content as strongly without hashing
 * every byte a second time during backup and restore (which cost a fifth of a backup's CPU).
 */
export function contentHash(chunks: readonly string[]): string {
  if (chunks.length === 1) return chunks[0]!;
  const h = createHash("sha256");
  for (const c of chunks) h.update(Buffer.from(c, "hex"));
  return h.digest("hex");
}

/** One tree line (the content hash is derived from the chunk list, not stored). */
export function encodeEntry(e: ManifestEntry): string {
  const o: Record<string, unknown> = {
    ...encodeBytes(e.path, "p", "pb"),
    t: TYPE_CODE[e.type],
    m: e.mode,
    u: e.uid,
    g: e.gid,
    mt: e.mtimeMs,
    s: e.size,
    i: e.ino,
    ct: e.ctimeMs,
  };
  if (e.target) Object.assign(o, encodeBytes(e.target, "l", "lb"));
  if (e.chunks) o.c = e.chunks;
  return JSON.stringify(o);
}

const isUint = (v: unknown, max = Number.MAX_SAFE_INTEGER): v is number => typeof v === "number" && Number.isInteger(v) && v >= 0 && v <= max;
const isTime = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v);

export function decodeEntry(line: string, where: string): ManifestEntry {
  let o: Record<string, unknown>;
  try {
    o = JSON.parse(line);
  } catch {
    throw new PoolFormatError(where, "tree entry is not valid JSON");
  }
  const bad = (what: string) => new PoolFormatError(where, `tree entry has ${what}`);
  if (typeof o !== "object" || o === null) throw bad("no fields");
  const p = typeof o.p === "string" ? Buffer.from(o.p, "utf8") : typeof o.pb === "string" ? Buffer.from(o.pb, "base64") : null;
  if (!p || p.length === 0) throw bad("no path");
  // Own keys only: "constructor" or "__proto__" must not pass as a type.
  const type = typeof o.t === "string" && Object.hasOwn(CODE_TYPE, o.t) ? CODE_TYPE[o.t] : undefined;
  if (!type) throw bad("an unknown type");
  if (!isUint(o.m, 0o7777) || !isUint(o.u) || !isUint(o.g) || !isTime(o.mt) || !isUint(o.s) || !isUint(o.i) || !isTime(o.ct)) throw bad("a field out of range");
  const e: ManifestEntry = { path: p, type, mode: o.m, uid: o.u, gid: o.g, mtimeMs: o.mt, size: o.s, ino: o.i, ctimeMs: o.ct };
  if (type === "symlink") {
    const t = typeof o.l === "string" ? Buffer.from(o.l, "utf8") : typeof o.lb === "string" ? Buffer.from(o.lb, "base64") : null;
    if (!t) throw bad("a symlink without a target");
    e.target = t;
  }
  if (type === "file") {
    if (!Array.isArray(o.c) || !o.c.every((c) => typeof c === "string" && CHUNK_ID.test(c))) throw bad("a malformed chunk list");
    e.chunks = o.c as string[];
    e.hash = contentHash(e.chunks);
  }
  return e;
}

/** Streams entries into tree chunks in the store. Entries must come in walk order. */
export class TreeWriter {
  private readonly chunker = new Chunker(TREE_CHUNKER);
  private readonly lines: Buffer[] = [];
  private linesLength = 0;
  readonly tree: string[] = [];
  entryCount = 0;
  newChunks = 0;
  newStoredBytes = 0;

  constructor(private readonly store: ChunkWriter) {}

  async add(e: ManifestEntry): Promise<void> {
    const line = Buffer.from(encodeEntry(e) + "\n", "utf8");
    this.lines.push(line);
    this.linesLength += line.length;
    this.entryCount++;
    // Feed the chunker in pieces of ~64 KiB rather than line by line (fewer small arrays).
    if (this.linesLength >= 64 * 1024) await this.feed();
  }

  private async feed(): Promise<void> {
    if (this.linesLength === 0) return;
    const data = Buffer.concat(this.lines, this.linesLength);
    this.lines.length = 0;
    this.linesLength = 0;
    for (const c of this.chunker.push(data)) await this.put(c);
  }

  private async put(c: Uint8Array): Promise<void> {
    const r = await this.store.put(c);
    this.tree.push(r.id);
    if (r.added) {
      this.newChunks++;
      this.newStoredBytes += r.storedBytes;
    }
  }

  /** Puts the last tree chunk; the caller then flushes the store and writes the header. */
  async finish(): Promise<{ tree: string[]; entryCount: number }> {
    await this.feed();
    const last = this.chunker.finish();
    if (last) await this.put(last);
    return { tree: this.tree, entryCount: this.entryCount };
  }
}

/** Reads a recovery point's entries in walk order, one tree chunk in memory at a time. */
export async function* readEntries(store: ChunkReader, header: ManifestHeader): AsyncGenerator<ManifestEntry> {
  const where = `recovery point ${header.id}`;
  let carry: Buffer = Buffer.alloc(0);
  let count = 0;
  for (const id of header.tree) {
    const bytes = Buffer.from(await store.get(id));
    const data = carry.length ? Buffer.concat([carry, bytes]) : bytes;
    let start = 0;
    for (let nl = data.indexOf(0x0a, start); nl >= 0; nl = data.indexOf(0x0a, start)) {
      yield decodeEntry(data.subarray(start, nl).toString("utf8"), where);
      count++;
      start = nl + 1;
    }
    carry = Buffer.from(data.subarray(start));
  }
  if (carry.length) throw new PoolFormatError(where, "tree ends in the middle of an entry");
  if (count !== header.entryCount) throw new PoolFormatError(where, `tree has ${count} entries, header says ${header.entryCount}`);
}

export function writeHeader(poolDir: string, h: ManifestHeader): void {
  writeFileAtomic(path.join(poolDir, "snapshots", `${h.id}.json`), JSON.stringify(h) + "\n");
}

export function listManifestIds(poolDir: string): string[] {
  const dir = path.join(poolDir, "snapshots");
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((n) => n.endsWith(".json") && ID_PATTERN.test(n.slice(0, -5)))
    .map((n) => n.slice(0, -5))
    .sort();
}

export function readHeader(poolDir: string, id: string): ManifestHeader {
  if (!ID_PATTERN.test(id)) throw new PoolFormatError(id, "not a recovery point id");
  const file = path.join(poolDir, "snapshots", `${id}.json`);
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (err) {
    throw new PoolFormatError(file, (err as NodeJS.ErrnoException).code === "ENOENT" ? "no such recovery point" : "header is not valid JSON");
  }
  return validateHeader(raw, file, id);
}

/** Checks a header's shape (it may have been written by an agent or damaged on disk). */
export function validateHeader(raw: unknown, where: string, expectedId?: string): ManifestHeader {
  const h = raw as Record<string, unknown> | null;
  if (typeof h !== "object" || h === null) throw new PoolFormatError(where, "header is not an object");
  if (h.version !== MANIFEST_VERSION) throw new PoolFormatError(where, `header version ${String(h.version)} is not ${MANIFEST_VERSION}`);
  if (typeof h.id !== "string" || !ID_PATTERN.test(h.id) || (expectedId && h.id !== expectedId)) throw new PoolFormatError(where, "header id does not match its file name");
  if (typeof h.time !== "string" || Number.isNaN(Date.parse(h.time))) throw new PoolFormatError(where, "header time is not a date");
  if (typeof h.source !== "string") throw new PoolFormatError(where, "header has no source");
  if (h.parent !== null && !(typeof h.parent === "string" && ID_PATTERN.test(h.parent))) throw new PoolFormatError(where, "header parent is malformed");
  if (!Array.isArray(h.tree) || !h.tree.every((c) => typeof c === "string" && CHUNK_ID.test(c))) throw new PoolFormatError(where, "header tree is malformed");
  if (!isUint(h.entryCount)) throw new PoolFormatError(where, "header entry count is malformed");
  const s = h.stats as Record<string, unknown> | undefined;
  if (!s || !["files", "dirs", "symlinks", "bytes", "newChunks", "newStoredBytes"].every((k) => isUint(s[k]))) throw new PoolFormatError(where, "header stats are malformed");
  return h as unknown as ManifestHeader;
}

/** Removes a recovery point: its header goes; its chunks stay until garbage collection. */
export function removeHeader(poolDir: string, id: string): void {
  if (!ID_PATTERN.test(id)) throw new PoolFormatError(id, "not a recovery point id");
  fs.rmSync(path.join(poolDir, "snapshots", `${id}.json`));
  const fd = fs.openSync(path.join(poolDir, "snapshots"), "r");
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** Reads entries in step with a walk in the same order: `find` moves forward only. */
export class ParentCursor {
  private current: ManifestEntry | undefined;
  private done = false;
  private started = false;

  constructor(private readonly it: AsyncIterator<ManifestEntry>) {}

  async find(p: Buffer): Promise<ManifestEntry | undefined> {
    if (!this.started) {
      this.started = true;
      await this.advance();
    }
    while (!this.done && compareTreePaths(this.current!.path, p) < 0) await this.advance();
    if (!this.done && this.current!.path.equals(p)) return this.current;
    return undefined;
  }

  private async advance(): Promise<void> {
    const r = await this.it.next();
    if (r.done) {
      this.done = true;
      this.current = undefined;
    } else this.current = r.value;
  }
}
