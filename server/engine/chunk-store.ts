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
 * Locking: one writer per store object; concurrent writers to one pool, pruning and garbage
 * collection are coordinated by the layer above (not built yet).
 */
import fs from "node:fs";
import path from "node:path";
import { createHash, randomUUID } from "node:crypto";
import { compress, decompress } from "zstd-napi";
import { writeFileAtomic } from "@/server/fs/write-file-atomic";
import { DEFAULT_CHUNKER_PARAMS, validateParams, type ChunkerParams } from "./chunker";
import { PackBuilder, readPackTrailer, type Codec, type PackEntry } from "./pack";
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

interface Location {
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
  private readonly index = new Map<string, Location>();
  private readonly pending = new Map<string, { stored: Uint8Array; rawLength: number; codec: Codec }>();
  private builder = new PackBuilder();
  private readonly packTarget: number;

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
    fs.mkdirSync(path.join(dir, "packs"), { recursive: true });
    fs.mkdirSync(path.join(dir, "index"), { recursive: true });
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
    validateParams(config.chunker);
    const store = new ChunkStore(dir, config, o);
    store.loadIndex();
    return store;
  }

  private loadIndex(): void {
    const dir = path.join(this.dir, "index");
    for (const name of fs.readdirSync(dir)) {
      if (!name.endsWith(".json")) continue; // *.tmp left by a crash
      const file = path.join(dir, name);
      let parsed: { version?: number; packs?: Record<string, unknown> };
      try {
        parsed = JSON.parse(fs.readFileSync(file, "utf8"));
      } catch {
        throw new PoolFormatError(file, "index file is not valid JSON (run `custodian pool verify --rebuild-index`)");
      }
      for (const [pack, entries] of Object.entries(parsed.packs ?? {})) {
        for (const e of entries as [string, number, number, number, Codec][]) {
          this.index.set(e[0], { pack, offset: e[1], length: e[2], rawLength: e[3], codec: e[4] });
        }
      }
    }
  }

  /** True when the chunk is stored (or waiting in the pack being filled). */
  has(id: string): boolean {
    return this.index.has(id) || this.pending.has(id);
  }

  /**
   * Stores a chunk unless it is already there. Returns its id and whether new bytes were
   * added. The chunk is durable only after the next `flush`.
   */
  async put(raw: Uint8Array): Promise<{ id: string; added: boolean; storedBytes: number }> {
    const id = sha256Hex(raw);
    if (this.has(id)) return { id, added: false, storedBytes: 0 };
    const compressed = compress(raw, { compressionLevel: this.config.compression.level });
    // Incompressible data (photos, archives) is kept raw: smaller, and faster to read back.
    // (A raw chunk is copied: it may be a view into a large read buffer the pack must not pin.)
    const [stored, codec]: [Uint8Array, Codec] = compressed.length < raw.length ? [compressed, "zstd"] : [Uint8Array.prototype.slice.call(raw), "raw"];
    this.builder.add(id, stored, raw.length, codec);
    this.pending.set(id, { stored, rawLength: raw.length, codec });
    if (this.builder.byteLength >= this.packTarget) this.flush();
    return { id, added: true, storedBytes: stored.length };
  }

  /** Makes every chunk put so far durable: writes the open pack, then an index naming it. */
  flush(): void {
    if (this.builder.entries.length === 0) return;
    const { name, bytes, entries } = this.builder.finish();
    writeFileAtomic(this.packPath(name), bytes);
    const indexBody = JSON.stringify({ version: 1, packs: { [name]: entries.map((e) => [e.id, e.offset, e.length, e.rawLength, e.codec]) } });
    writeFileAtomic(path.join(this.dir, "index", `${sha256Hex(Buffer.from(indexBody))}.json`), indexBody);
    for (const e of entries) this.index.set(e.id, { pack: name, offset: e.offset, length: e.length, rawLength: e.rawLength, codec: e.codec });
    this.pending.clear();
    this.builder = new PackBuilder();
  }

  /** Reads a chunk back, verified against its id. */
  async get(id: string): Promise<Uint8Array> {
    const waiting = this.pending.get(id);
    if (waiting) return this.decode(id, "(unwritten pack)", waiting.stored, waiting.codec, waiting.rawLength);
    const loc = this.index.get(id);
    if (!loc) throw new BlobNotFound(id);
    const fh = await fs.promises.open(this.packPath(loc.pack), "r").catch((err: NodeJS.ErrnoException) => {
      throw err.code === "ENOENT" ? new BlobCorrupt(id, loc.pack, "its pack file is missing") : err;
    });
    try {
      const buf = Buffer.alloc(loc.length);
      const { bytesRead } = await fh.read(buf, 0, loc.length, loc.offset);
      if (bytesRead !== loc.length) throw new BlobCorrupt(id, loc.pack, "the pack is shorter than its index says");
      return this.decode(id, loc.pack, buf, loc.codec, loc.rawLength);
    } finally {
      await fh.close();
    }
  }

  private decode(id: string, pack: string, stored: Uint8Array, codec: Codec, rawLength: number): Uint8Array {
    let raw: Uint8Array;
    try {
      raw = codec === "zstd" ? decompress(stored) : stored;
    } catch (err) {
      throw new BlobCorrupt(id, pack, `cannot decompress (${(err as Error).message})`);
    }
    if (raw.length !== rawLength || sha256Hex(raw) !== id) throw new BlobCorrupt(id, pack, "its bytes do not match its id");
    return raw;
  }

  /** Every chunk id the index knows, with the pack that holds it. */
  *entries(): Generator<[string, Location]> {
    yield* this.index.entries();
  }

  /** The names of the pack files on disk (complete ones: temp files are ignored). */
  listPacks(): string[] {
    const root = path.join(this.dir, "packs");
    const out: string[] = [];
    for (const sub of fs.readdirSync(root)) {
      for (const name of fs.readdirSync(path.join(root, sub))) if (name.endsWith(".pack")) out.push(name.slice(0, -".pack".length));
    }
    return out.sort();
  }

  /** Reads one pack whole and returns its trailer; throws PoolFormatError for a torn or foreign file. */
  readPackEntries(name: string): PackEntry[] {
    const file = this.packPath(name);
    return readPackTrailer(fs.readFileSync(file), file);
  }

  /**
   * Rebuilds the index from the packs' own trailers (after a crash between a pack and its
   * index, or when index files are lost). Returns what it found.
   */
  rebuildIndex(): { packs: number; chunks: number; unreadable: string[] } {
    const packs: Record<string, unknown[]> = {};
    const unreadable: string[] = [];
    let chunks = 0;
    for (const name of this.listPacks()) {
      try {
        const entries = this.readPackEntries(name);
        packs[name] = entries.map((e) => [e.id, e.offset, e.length, e.rawLength, e.codec]);
        chunks += entries.length;
      } catch (err) {
        if (!(err instanceof PoolFormatError)) throw err;
        unreadable.push(name);
      }
    }
    const body = JSON.stringify({ version: 1, packs });
    const indexDir = path.join(this.dir, "index");
    const fresh = `${sha256Hex(Buffer.from(body))}.json`;
    writeFileAtomic(path.join(indexDir, fresh), body);
    // The new index is durable; only now may the old ones go.
    for (const name of fs.readdirSync(indexDir)) if (name !== fresh && name.endsWith(".json")) fs.rmSync(path.join(indexDir, name));
    this.index.clear();
    this.loadIndex();
    return { packs: Object.keys(packs).length, chunks, unreadable };
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
