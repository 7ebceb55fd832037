/**
 * The agent's side of a backup or restore: the server's pool, seen through signed HTTP
 * requests. Implements the engine's BackupTarget and ChunkReader, so the agent runs the very
 * archiver and restorer a local backup uses; only chunks the server lacks are sent.
 *
 * A backup is a session on the server (which holds its pool's shared lock meanwhile, so
 * garbage collection cannot free a chunk the server said it has): begin, ask which chunks
 * are missing (batched), upload them (batched, ~4 MiB a request), commit the header.
 */
import { sha256Hex } from "@/server/engine/chunk-store";
import type { ChunkerParams } from "@/server/engine/chunker";
import { compressInline } from "@/server/engine/compressor";
import { BlobCorrupt } from "@/server/engine/errors";
import { validateHeader, type ManifestHeader } from "@/server/engine/manifest";
import type { BackupTarget, ChunkReader } from "@/server/engine/target";
import type { Codec } from "@/server/engine/pack";
import { decompress } from "zstd-napi";
import { MicroBatcher, decodeFrames, encodeFrames, signedFetch, type ChunkFrame, type Identity } from "./protocol";

export interface ServerPeer {
  id: string;
  name: string;
  url: string;
  publicKey: string;
}

const UPLOAD_BATCH_BYTES = 4 * 1024 * 1024;

export class ServerLink {
  constructor(
    private readonly server: ServerPeer,
    private readonly identity: Identity,
  ) {}

  private call(method: "GET" | "POST" | "DELETE", path: string, o: { json?: unknown; body?: Uint8Array; signal?: AbortSignal } = {}) {
    return signedFetch(this.server.url, method, path, { identity: this.identity, audience: this.server.id, ...o });
  }

  async recoveryPoints(source: string): Promise<ManifestHeader[]> {
    const res = await this.call("GET", `/agent-api/v1/recovery-points?source=${encodeURIComponent(source)}`);
    const list = (await res.json()) as unknown[];
    return list.map((h, i) => validateHeader(h, `server's recovery point ${i}`));
  }

  async recoveryPoint(id: string): Promise<ManifestHeader> {
    const res = await this.call("GET", `/agent-api/v1/recovery-points/${encodeURIComponent(id)}`);
    return validateHeader(await res.json(), `server's recovery point ${id}`, id);
  }

  /** Reads chunks from the server's pool, verified here against their ids. */
  reader(): ChunkReader {
    const batcher = new MicroBatcher<Uint8Array>(async (ids) => {
      const res = await this.call("POST", "/agent-api/v1/chunks/fetch", { json: { ids } });
      const frames = decodeFrames(Buffer.from(await res.arrayBuffer()));
      return new Map(frames.map((f) => [f.id, decodeFrame(f)]));
    }, 64);
    return { get: (id) => batcher.get(id) };
  }

  /** Opens a backup session for one source; the target it returns feeds the archiver. */
  async beginBackup(source: string, signal?: AbortSignal): Promise<BackupSession> {
    const res = await this.call("POST", "/agent-api/v1/sessions", { json: { source }, signal });
    const s = (await res.json()) as { sessionId: string; chunker: ChunkerParams; compressionLevel: number };
    return new BackupSession(this, s.sessionId, s.chunker, s.compressionLevel, source, (m, p, o) => this.call(m, p, o));
  }
}

function decodeFrame(f: ChunkFrame): Uint8Array {
  let raw: Uint8Array;
  try {
    raw = f.codec === "zstd" ? decompress(f.stored) : f.stored;
  } catch {
    throw new BlobCorrupt(f.id, "(from the server)", "cannot decompress");
  }
  if (raw.length !== f.rawLength || sha256Hex(raw) !== f.id) throw new BlobCorrupt(f.id, "(from the server)", "its bytes do not match its id");
  return raw;
}

type Call = (method: "GET" | "POST" | "DELETE", path: string, o?: { json?: unknown; body?: Uint8Array; signal?: AbortSignal }) => Promise<Response>;

export class BackupSession implements BackupTarget {
  /** Chunks the server is known to have, or that this session has sent. */
  private readonly present = new Set<string>();
  private readonly missing: MicroBatcher<boolean>;
  private batch: ChunkFrame[] = [];
  private batchBytes = 0;
  private readonly uploads = new Set<Promise<void>>();
  private uploadError: unknown = null;
  private readonly reader: ChunkReader;
  private readonly base: string;

  constructor(
    private readonly link: ServerLink,
    readonly sessionId: string,
    readonly chunker: ChunkerParams,
    readonly compressionLevel: number,
    private readonly source: string,
    private readonly call: Call,
  ) {
    this.base = `/agent-api/v1/sessions/${encodeURIComponent(sessionId)}`;
    this.missing = new MicroBatcher<boolean>(async (ids) => {
      const res = await this.call("POST", `${this.base}/missing`, { json: { ids } });
      const { missing } = (await res.json()) as { missing: string[] };
      const lacking = new Set(missing);
      return new Map(ids.map((id) => [id, !lacking.has(id)]));
    });
    this.reader = link.reader();
  }

  has(id: string): boolean | Promise<boolean> {
    if (this.present.has(id)) return true;
    return this.missing.get(id).then((has) => {
      if (has) this.present.add(id);
      return has;
    });
  }

  get(id: string): Promise<Uint8Array> {
    return this.reader.get(id);
  }

  async put(raw: Uint8Array): Promise<{ id: string; added: boolean; storedBytes: number }> {
    const id = sha256Hex(raw);
    if (await this.has(id)) return { id, added: false, storedBytes: 0 };
    const { stored, codec } = compressInline(raw, this.compressionLevel);
    await this.putStored(id, stored, raw.length, codec);
    return { id, added: true, storedBytes: stored.length };
  }

  async putStored(id: string, stored: Uint8Array, rawLength: number, codec: Codec): Promise<boolean> {
    if (this.uploadError) throw this.uploadError;
    if (this.present.has(id)) return false;
    this.present.add(id);
    this.batch.push({ id, codec, rawLength, stored });
    this.batchBytes += stored.length;
    if (this.batchBytes >= UPLOAD_BATCH_BYTES) await this.send();
    return true;
  }

  /** Sends the current batch; at most two uploads in the air (back-pressure on the archiver). */
  private async send(): Promise<void> {
    if (this.batch.length === 0) return;
    const body = encodeFrames(this.batch);
    this.batch = [];
    this.batchBytes = 0;
    while (this.uploads.size >= 2) await Promise.race(this.uploads);
    const up = this.call("POST", `${this.base}/chunks`, { body }).then(
      () => undefined,
      (err: unknown) => {
        this.uploadError ??= err;
      },
    );
    this.uploads.add(up);
    void up.finally(() => this.uploads.delete(up));
  }

  async parent(label: string, requested: string | null | undefined): Promise<ManifestHeader | null> {
    if (requested === null) return null;
    if (requested) return this.link.recoveryPoint(requested);
    return (await this.link.recoveryPoints(this.source)).at(-1) ?? null;
  }

  async commit(header: ManifestHeader): Promise<ManifestHeader> {
    await this.send();
    await Promise.all(this.uploads);
    if (this.uploadError) throw this.uploadError;
    const res = await this.call("POST", `${this.base}/commit`, { json: { header } });
    return validateHeader(await res.json(), "server's committed recovery point");
  }

  /** Ends the session without a recovery point (after a failure); errors are ignored. */
  async abort(): Promise<void> {
    await Promise.allSettled(this.uploads);
    await this.call("DELETE", this.base).catch(() => undefined);
  }
}
