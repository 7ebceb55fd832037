/**
 * The content-addressed chunk store of a storage pool: chunks (id = SHA-256 of their
 * uncompressed bytes) compressed with zstd and gathered into pack files, with index files that
 * say which pack holds which chunk.
 *
 *   DIR/config.json                     format, version, pool id, chunker parameters
 *   DIR/packs/<2 hex>/<sha256>.pack     see pack.ts; immutable once written
 *   DIR/index/<sha256>.json             {"version":1,"packs":{"<pack>":[[id,offset,length,rawLength,codec],…]}}
 *
 * Invariants: every file is written to a temp name, fsynced and renamed, and never modified
 * afterwards. A pack is durable before any index names it, so an index never points at a
 * missing pack; a crash can only leave a pack no index names yet (found again by
 * `rebuildIndex`, or freed by garbage collection) and `*.tmp` files, which readers ignore.
 * Every read re-hashes the chunk and throws BlobCorrupt when the bytes do not match the id.
 *
 * Writing: packs are written in the background while the next one fills (at most two in the
 * air); `flush` waits for them. Several store objects (processes) may add to one pool at
 * once: names are content hashes, so they never collide. Garbage collection excludes them
 * through the pool lock (lock.ts).
 */
import fs from "node:fs";
import path from "node:path";
import { createHash, randomUUID } from "node:crypto";
import { compressInline, decodeInline, type Compressor } from "./compressor";
import { writeFileAtomic, writeFileAtomicAsync } from "@/server/fs/write-file-atomic";
import { DEFAULT_CHUNKER_PARAMS, validateParams, type ChunkerParams } from "./chunker";
import { PACK_MAGIC, PackFileWriter, readPackTrailer, type Codec, type PackEntry } from "./pack";
import { BlobCorrupt, BlobNotFound, PoolFormatError } from "./errors";

export const POOL_FORMAT = "custodian-pool";
export const POOL_VERSION = 1;

export interface PoolConfig {
  format: typeof POOL_FORMAT;
  version: number;
  id: string;
  chunker: ChunkerParams;
  compression: { codec: "zstd"; level: number };
}

const CHUNK_ID = /^[0-9a-f]{64}$/;
const PACK_NAME = /^[0-9a-f]{64}$/;
/** No chunk is larger than the chunker's maximum (1 GiB at most) nor packs than 4 GiB. */
const MAX_STORED = 2 ** 32;

export interface Location {
  pack: string;
  offset: number;
  length: number;
  rawLength: number;
  codec: Codec;
}

export interface ChunkStoreOptions {
  /** A pack is written once it holds this many stored bytes. */
  packTargetBytes?: number;
}

export const sha256Hex = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

export class ChunkStore {
  private index = new Map<string, Location>();
  /** The index files `index` was read from or this store wrote (immutable: named by content). */
  private indexFiles = new Set<string>();
  /** Chunks put but not yet in a durable pack: the open pack's and those being finished. */
  private readonly pending = new Map<string, { writer: PackFileWriter; entry: PackEntry }>();
  private writer: PackFileWriter | null = null;
  private readonly sealing = new Map<PackFileWriter, Promise<void>>();
  private readonly packTarget: number;
  private readonly writing = new Set<Promise<void>>();
  private writeError: unknown = null;
  private readonly handles = new Map<string, Promise<fs.promises.FileHandle>>();

  private constructor(
    readonly dir: string,
    readonly config: PoolConfig,
    options: ChunkStoreOptions,
  ) {
    this.packTarget = options.packTargetBytes ?? 16 * 1024 * 1024;
  }

  /** Creates an empty pool in `dir` (which must not hold one already). */
  static init(dir: string, o: { chunker?: ChunkerParams } & ChunkStoreOptions = {}): ChunkStore {
    const chunker = o.chunker ?? DEFAULT_CHUNKER_PARAMS;
    validateParams(chunker);
    const configFile = path.join(dir, "config.json");
    if (fs.existsSync(configFile)) throw new PoolFormatError(configFile, "a pool already exists here");
    const config: PoolConfig = { format: POOL_FORMAT, version: POOL_VERSION, id: randomUUID(), chunker, compression: { codec: "zstd", level: 3 } };
    for (const sub of ["packs", "index", "snapshots", "locks"]) fs.mkdirSync(path.join(dir, sub), { recursive: true });
    writeFileAtomic(configFile, JSON.stringify(config, null, 2) + "\n");
    return new ChunkStore(dir, config, o);
  }

  /** Opens a pool and loads its index files. */
  static open(dir: string, o: ChunkStoreOptions = {}): ChunkStore {
    const configFile = path.join(dir, "config.json");
    let config: PoolConfig;
    try {
      config = JSON.parse(fs.readFileSync(configFile, "utf8")) as PoolConfig;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw new PoolFormatError(configFile, code === "ENOENT" ? "no pool here (run `custodian pool init`)" : "unreadable or not JSON");
    }
    if (config?.format !== POOL_FORMAT) throw new PoolFormatError(configFile, "not a Custodian pool");
    if (config.version > POOL_VERSION) throw new PoolFormatError(configFile, `pool format ${config.version} is newer than this version understands (${POOL_VERSION})`);
    try {
      validateParams(config.chunker);
    } catch (err) {
      throw new PoolFormatError(configFile, (err as Error).message);
    }
    if (!(Number.isInteger(config.compression?.level) && config.compression.level >= -7 && config.compression.level <= 19)) throw new PoolFormatError(configFile, "compression level out of range");
    const store = new ChunkStore(dir, config, o);
    store.loadIndex();
    return store;
  }

  /** The index files on disk (complete ones). */
  listIndexFiles(): string[] {
    return fs.readdirSync(path.join(this.dir, "index")).filter((n) => n.endsWith(".json")); // *.tmp: left by a crash
  }

  private loadIndex(): void {
    const names = this.listIndexFiles();
    const fresh = new Map<string, Location>();
    for (const name of names) this.readIndexFile(name, fresh);
    this.index = fresh;
    this.indexFiles = new Set(names);
  }

  /**
   * Catches up with the index files other processes wrote or removed since this store read
   * them: a long-lived store (a server's) must not trust chunks that another process's garbage
   * collection freed or moved, nor miss chunks another process's backup added. Called under
   * the pool lock by backup, restore, verify and garbage collection. Cheap when nothing
   * changed: index files are never modified, so their names tell.
   */
  refreshIndex(): void {
    const names = this.listIndexFiles();
    const present = new Set(names);
    if (![...this.indexFiles].every((n) => present.has(n))) return this.loadIndex(); // some were replaced: read all
    for (const name of names) {
      if (this.indexFiles.has(name)) continue;
      this.readIndexFile(name, this.index);
      this.indexFiles.add(name);
    }
  }

  private readIndexFile(name: string, into: Map<string, Location>): void {
    const file = path.join(this.dir, "index", name);
    let parsed: { version?: number; packs?: Record<string, unknown> };
    try {
      parsed = JSON.parse(fs.readFileSync(file, "utf8"));
    } catch {
      throw new PoolFormatError(file, "index file is not valid JSON (run `custodian pool verify --rebuild-index`)");
    }
    if (parsed?.version !== 1 || typeof parsed.packs !== "object" || parsed.packs === null) throw new PoolFormatError(file, "not a version-1 index file (run `custodian pool verify --rebuild-index`)");
    for (const [pack, entries] of Object.entries(parsed.packs)) {
      if (!PACK_NAME.test(pack) || !Array.isArray(entries)) throw new PoolFormatError(file, `malformed entry for pack ${pack.slice(0, 80)}`);
      for (const e of entries as unknown[]) {
        // Range-checked here so that a damaged index can never make a read go astray.
        const [id, offset, length, rawLength, codec] = Array.isArray(e) ? e : [];
        const ok =
          typeof id === "string" && CHUNK_ID.test(id) &&
          Number.isInteger(offset) && offset >= PACK_MAGIC.length &&
          Number.isInteger(length) && length >= 0 && length <= MAX_STORED &&
          Number.isInteger(rawLength) && rawLength >= 0 && rawLength <= MAX_STORED &&
          (codec === "raw" || codec === "zstd");
        if (!ok) throw new PoolFormatError(file, `index entry out of range in pack ${pack}`);
        into.set(id, { pack, offset, length, rawLength, codec });
      }
    }
  }

  /** True when the chunk is stored (or waiting in a pack being written). */
  has(id: string): boolean {
    return this.index.has(id) || this.pending.has(id);
  }

  /**
   * Stores a chunk unless it is already there, compressing it on this thread. Returns its id
   * and whether new bytes were added. The chunk is durable only after the next `flush`.
   */
  async put(raw: Uint8Array): Promise<{ id: string; added: boolean; storedBytes: number }> {
    const id = sha256Hex(raw);
    if (this.has(id)) return { id, added: false, storedBytes: 0 };
    const { stored, codec } = compressInline(raw, this.config.compression.level);
    await this.putStored(id, stored, raw.length, codec);
    return { id, added: true, storedBytes: stored.length };
  }

  /**
   * Adds a chunk already hashed and compressed (by the archiver's worker threads). The caller
   * vouches for the id; the pool's readers verify it on every read anyway.
   */
  async putStored(id: string, stored: Uint8Array, rawLength: number, codec: Codec, o: { again?: boolean } = {}): Promise<boolean> {
    this.throwIfWriteFailed();
    // `again`: garbage collection copies a chunk that is already indexed into a new pack.
    if (o.again ? this.pending.has(id) : this.has(id)) return false;
    // Back-pressure for every caller (many may be here at once): wait while two packs are
    // being finished or the open one is behind the disk by more than 8 MiB. Memory is then
    // bounded by what is in the air, never by the input.
    while (this.writing.size >= 2 || (this.writer && this.writer.queuedBytes > 8 * 1024 * 1024)) {
      if (this.writing.size >= 2) await Promise.race(this.writing);
      else await this.writer?.drain().catch((err: unknown) => (this.writeError ??= err));
      this.throwIfWriteFailed();
    }
    if (o.again ? this.pending.has(id) : this.has(id)) return false; // stored by another caller meanwhile
    this.writer ??= new PackFileWriter(path.join(this.dir, "packs", `.pack-${randomUUID()}.tmp`));
    const writer = this.writer;
    this.pending.set(id, { writer, entry: writer.add(id, stored, rawLength, codec) });
    if (writer.byteLength >= this.packTarget) this.seal();
    return true;
  }

  /** Finishes the open pack, then writes its index, in the background. */
  private seal(): void {
    const writer = this.writer;
    if (!writer) return;
    this.writer = null;
    const job = (async () => {
      const { name, entries } = await writer.finish(path.join(this.dir, "packs"));
      // The pack is durable before any index names it.
      const indexBody = JSON.stringify({ version: 1, packs: { [name]: entries.map((e) => [e.id, e.offset, e.length, e.rawLength, e.codec]) } });
      const indexName = `${sha256Hex(Buffer.from(indexBody))}.json`;
      await writeFileAtomicAsync(path.join(this.dir, "index", indexName), indexBody);
      this.indexFiles.add(indexName);
      for (const e of entries) {
        this.index.set(e.id, { pack: name, offset: e.offset, length: e.length, rawLength: e.rawLength, codec: e.codec });
        this.pending.delete(e.id);
      }
    })().catch(async (err: unknown) => {
      this.writeError ??= err;
      // Its chunks are not stored after all: forget them, so that a later put stores them again.
      for (const e of writer.entries) if (this.pending.get(e.id)?.writer === writer) this.pending.delete(e.id);
      await writer.abandon();
    });
    this.writing.add(job);
    this.sealing.set(writer, job);
    void job.finally(() => {
      this.writing.delete(job);
      this.sealing.delete(writer);
    });
  }

  /** Reports a background write failure once (to the put or flush that meets it). */
  private throwIfWriteFailed(): void {
    const err = this.writeError;
    this.writeError = null;
    if (err) throw err;
  }

  /**
   * Makes every chunk put so far durable: writes the open pack, then an index naming it.
   * A write failure (full disk…) is reported here once; the store then works again (for a
   * long-lived server store), the failed chunks being forgotten, not half-kept.
   */
  async flush(): Promise<void> {
    this.seal();
    while (this.writing.size) await Promise.all(this.writing);
    const err = this.writeError;
    this.writeError = null;
    if (err) throw err;
  }

  /** Reads a chunk back, verified against its id. */
  async get(id: string): Promise<Uint8Array> {
    const waiting = this.pending.get(id);
    if (waiting) {
      const { writer, entry } = waiting;
      if (writer === this.writer) return decodeInline(id, "(unfinished pack)", await writer.readAt(entry.offset, entry.length), entry.codec, entry.rawLength);
      await this.sealing.get(writer); // being finished: read it from the pack once it is indexed
      this.throwIfWriteFailed();
      return this.get(id);
    }
    const loc = this.index.get(id);
    if (!loc) throw new BlobNotFound(id);
    const stored = await this.readStored(id, loc);
    return this.decoder ? this.decoder.decode(id, loc.pack, stored, loc.codec, loc.rawLength) : decodeInline(id, loc.pack, stored, loc.codec, loc.rawLength);
  }

  /** A chunk's stored bytes (compressed or raw), unverified: for copying between packs. */
  async readStored(id: string, loc: Location): Promise<Buffer> {
    const fh = await this.handle(id, loc.pack);
    const buf = Buffer.alloc(loc.length);
    const { bytesRead } = await fh.read(buf, 0, loc.length, loc.offset);
    if (bytesRead !== loc.length) throw new BlobCorrupt(id, loc.pack, "the pack is shorter than its index says");
    return buf;
  }

  /** Open pack files are kept (a few) for reads: a restore reads many chunks of one pack. */
  private handle(id: string, pack: string): Promise<fs.promises.FileHandle> {
    let h = this.handles.get(pack);
    if (!h) {
      if (this.handles.size >= 32) {
        const [oldest, old] = this.handles.entries().next().value!;
        this.handles.delete(oldest);
        // Reads already started on it finish first: closing waits for them.
        void old.then((f) => setTimeout(() => void f.close().catch(() => undefined), 1000));
      }
      h = fs.promises.open(this.packPath(pack), "r");
      this.handles.set(pack, h);
      h.catch(() => this.handles.delete(pack));
    }
    return h.catch((err: NodeJS.ErrnoException) => {
      throw err.code === "ENOENT" ? new BlobCorrupt(id, pack, "its pack file is missing") : err;
    });
  }

  /** Closes the pack files kept open for reads (and drops an unfinished pack: call flush first to keep it). */
  async close(): Promise<void> {
    const dropped = this.writer;
    this.writer = null;
    if (dropped) {
      // Its chunks are no longer stored: a later put must store them again, a get not wait for them.
      for (const [id, p] of this.pending) if (p.writer === dropped) this.pending.delete(id);
      await dropped.abandon();
    }
    const hs = [...this.handles.values()];
    this.handles.clear();
    await Promise.all(hs.map((h) => h.then((f) => f.close()).catch(() => undefined)));
  }

  private decoder: Compressor | null = null;

  /** Decompresses and verifies large chunks on worker threads (restores); null: on this thread. */
  useWorkers(c: Compressor | null): void {
    this.decoder = c;
  }

  /** Where the index says a chunk is. */
  locate(id: string): Location | undefined {
    return this.index.get(id);
  }

  /** Every chunk id the index knows, with the pack that holds it. */
  *entries(): Generator<[string, Location]> {
    yield* this.index.entries();
  }

  /** The names of the pack files on disk (complete ones: temp files are ignored). */
  listPacks(): string[] {
    const root = path.join(this.dir, "packs");
    const out: string[] = [];
    for (const sub of fs.readdirSync(root, { withFileTypes: true })) {
      if (!sub.isDirectory()) continue; // `.pack-*.tmp`: a pack being written, or left by a crash
      for (const name of fs.readdirSync(path.join(root, sub.name))) if (name.endsWith(".pack")) out.push(name.slice(0, -".pack".length));
    }
    return out.sort();
  }

  /** Reads one pack whole and returns its trailer; throws PoolFormatError for a torn or foreign file. */
  readPackEntries(name: string, bytes?: Buffer): PackEntry[] {
    const file = this.packPath(name);
    return readPackTrailer(bytes ?? fs.readFileSync(file), file);
  }

  /**
   * Rebuilds the index from the packs' own trailers (after a crash between a pack and its
   * index, or when index files are lost). Returns what it found.
   */
  rebuildIndex(): { packs: number; chunks: number; unreadable: string[] } {
    const packs = new Map<string, PackEntry[]>();
    const unreadable: string[] = [];
    let chunks = 0;
    for (const name of this.listPacks()) {
      try {
        const entries = this.readPackEntries(name);
        packs.set(name, entries);
        chunks += entries.length;
      } catch (err) {
        if (!(err instanceof PoolFormatError)) throw err;
        unreadable.push(name);
      }
    }
    this.replaceIndex(packs);
    return { packs: packs.size, chunks, unreadable };
  }

  /**
   * Replaces every index file by one that names exactly `packs` (garbage collection and
   * rebuilds; only under the exclusive pool lock). The new file is durable before the old
   * ones go, so a crash in between leaves both, which is harmless: they agree.
   */
  replaceIndex(packs: Map<string, PackEntry[]>): void {
    const body = JSON.stringify({ version: 1, packs: Object.fromEntries([...packs].map(([name, es]) => [name, es.map((e) => [e.id, e.offset, e.length, e.rawLength, e.codec])])) });
    const fresh = `${sha256Hex(Buffer.from(body))}.json`;
    const old = this.listIndexFiles();
    writeFileAtomic(path.join(this.dir, "index", fresh), body);
    for (const name of old) if (name !== fresh) fs.rmSync(path.join(this.dir, "index", name));
    this.loadIndex();
  }

  /** Deletes pack files no index names any more (garbage collection). */
  async deletePack(name: string): Promise<void> {
    if (!PACK_NAME.test(name)) throw new PoolFormatError(name, "not a pack name");
    const h = this.handles.get(name);
    this.handles.delete(name);
    await h?.then((f) => f.close()).catch(() => undefined);
    await fs.promises.rm(this.packPath(name), { force: true });
  }

  /** Size of a pack file on disk. */
  packSize(name: string): number {
    return fs.statSync(this.packPath(name)).size;
  }

  /** Reads a whole pack file (the checker re-hashes it against its name). */
  readPackFile(name: string): Buffer {
    return fs.readFileSync(this.packPath(name));
  }

  stats(): { chunks: number; storedBytes: number; rawBytes: number } {
    let storedBytes = 0;
    let rawBytes = 0;
    for (const loc of this.index.values()) {
      storedBytes += loc.length;
      rawBytes += loc.rawLength;
    }
    return { chunks: this.index.size, storedBytes, rawBytes };
  }

  private packPath(name: string): string {
    return path.join(this.dir, "packs", name.slice(0, 2), `${name}.pack`);
  }
}
