/**
 * The server's side of the agent protocol: /agent-api/v1/*, called by paired agents while
 * they back up (send missing chunks, commit a recovery point) or restore (fetch chunks).
 *
 * Nothing an agent sends is trusted: every request must carry a valid signature of a paired
 * agent (else 401, and nothing is read or written); every uploaded chunk is decompressed
 * and hashed against its id before it is stored; a recovery point is committed only after
 * its whole tree has been read back from the pool, each entry validated, each path checked
 * to stay inside its source (no "..", no absolute names) and each chunk found, with the
 * header's stats recomputed here. An agent sees and names only its own sources.
 */
import type http from "node:http";
import { randomUUID } from "node:crypto";
import { decompress } from "zstd-napi";
import { sha256Hex, type ChunkStore } from "@/server/engine/chunk-store";
import { acquireLock, type PoolLockHandle } from "@/server/engine/lock";
import { listManifestIds, newManifestId, readEntries, readHeader, validateHeader, writeHeader, type ManifestHeader } from "@/server/engine/manifest";
import { unsafePathReason } from "@/server/engine/restorer";
import { AuthError, NonceCache, ProtocolError, decodeFrames, encodeFrames, parseJson, readBody, verifyRequest, type ChunkFrame } from "./protocol";

export interface PairedAgent {
  id: string;
  name: string;
  publicKey: string;
}

/** Where the server keeps the agents it has paired (the catalog). */
export interface AgentDirectory {
  byKeyId(keyId: string): PairedAgent | null;
  /** Records the last time the agent was heard from. */
  touch?(agentId: string, at: Date): void;
}

export interface AgentApiLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

interface Session {
  agentId: string;
  source: string;
  lock: PoolLockHandle;
  lastUsed: number;
  newChunks: number;
  newStoredBytes: number;
}

const SESSION_IDLE_MS = 15 * 60_000;
const MAX_IDS = 20_000;
const CHUNK_ID = /^[0-9a-f]{64}$/;

/** The label under which an agent's source is kept in the pool. */
export const agentSourceLabel = (agentId: string, source: string) => `agent:${agentId}:${source}`;

export class AgentApi {
  private readonly nonces = new NonceCache();
  private readonly sessions = new Map<string, Session>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(
    private readonly o: { store: ChunkStore; serverId: string; directory: AgentDirectory; log: AgentApiLog },
  ) {
    this.sweeper = setInterval(() => this.expireSessions(), 60_000);
    this.sweeper.unref();
  }

  close(): void {
    clearInterval(this.sweeper);
    for (const s of this.sessions.values()) s.lock.release();
    this.sessions.clear();
  }

  private expireSessions(now = Date.now()): void {
    for (const [id, s] of this.sessions) {
      if (now - s.lastUsed > SESSION_IDLE_MS) {
        s.lock.release();
        this.sessions.delete(id);
        this.o.log.warn({ agent: s.agentId, source: s.source }, "agent backup session expired");
      }
    }
  }

  async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://server");
    const route = `${req.method} ${url.pathname}`;
    try {
      const body = await readBody(req);
      const keyId = verifyRequest(req.headers, req.method ?? "", url.pathname + url.search, body, this.o.serverId, (k) => this.o.directory.byKeyId(k)?.publicKey ?? null, this.nonces);
      const agent = this.o.directory.byKeyId(keyId)!;
      this.o.directory.touch?.(agent.id, new Date());
      const parts = url.pathname.split("/").filter(Boolean); // agent-api v1 …
      if (parts[0] !== "agent-api" || parts[1] !== "v1") throw new ProtocolError(`no such route: ${route}`, 404);
      const rest = parts.slice(2);

      if (req.method === "GET" && rest[0] === "recovery-points" && rest.length === 1) {
        const source = url.searchParams.get("source") ?? "";
        return json(res, 200, this.recoveryPointsOf(agent.id, source));
      }
      if (req.method === "GET" && rest[0] === "recovery-points" && rest.length === 2) {
        return json(res, 200, this.recoveryPointOf(agent.id, rest[1]!));
      }
      if (route === "POST /agent-api/v1/chunks/fetch") return await this.fetchChunks(res, parseJson(body));
      if (route === "POST /agent-api/v1/sessions") {
        const source = (parseJson(body) as { source?: unknown }).source;
        if (typeof source !== "string" || source.length === 0 || source.length > 64) throw new ProtocolError("source missing");
        const lock = acquireLock(this.o.store.dir, "shared", `backup of ${agent.name}:${source}`);
        // Under the lock: what another process's garbage collection freed is not "present".
        this.o.store.refreshIndex();
        const sessionId = randomUUID();
        this.sessions.set(sessionId, { agentId: agent.id, source, lock, lastUsed: Date.now(), newChunks: 0, newStoredBytes: 0 });
        const cfg = this.o.store.config;
        return json(res, 200, { sessionId, chunker: cfg.chunker, compressionLevel: cfg.compression.level });
      }
      if (rest[0] === "sessions" && rest.length >= 2) {
        const session = this.sessions.get(rest[1]!);
        if (!session || session.agentId !== agent.id) throw new ProtocolError("no such backup session (expired?)", 404);
        session.lastUsed = Date.now();
        const action = `${req.method} ${rest[2] ?? ""}`;
        if (action === "POST missing") return json(res, 200, { missing: this.missing(parseJson(body)) });
        if (action === "POST chunks") return json(res, 200, await this.storeChunks(session, body));
        if (action === "POST commit") {
          const header = await this.commit(session, agent, parseJson(body));
          this.end(rest[1]!);
          return json(res, 200, header);
        }
        if (action === "DELETE ") {
          this.end(rest[1]!);
          return json(res, 200, { ended: true });
        }
      }
      throw new ProtocolError(`no such route: ${route}`, 404);
    } catch (err) {
      if (err instanceof AuthError) {
        this.o.log.warn({ route, reason: err.reason, from: req.socket.remoteAddress }, "refused agent request");
        return json(res, 401, { error: err.message });
      }
      if (err instanceof ProtocolError) {
        this.o.log.warn({ route, err: err.message }, "bad agent request");
        return json(res, err.status, { error: err.message });
      }
      this.o.log.warn({ route, err: (err as Error).message }, "agent request failed");
      return json(res, 500, { error: (err as Error).message });
    }
  }

  private end(sessionId: string): void {
    const s = this.sessions.get(sessionId);
    if (!s) return;
    s.lock.release();
    this.sessions.delete(sessionId);
  }

  private headersOf(agentId: string, source: string | null): ManifestHeader[] {
    const prefix = source === null ? `agent:${agentId}:` : agentSourceLabel(agentId, source);
    const out: ManifestHeader[] = [];
    for (const id of listManifestIds(this.o.store.dir)) {
      try {
        const h = readHeader(this.o.store.dir, id);
        if (source === null ? h.source.startsWith(prefix) : h.source === prefix) out.push(h);
      } catch {
        // damaged headers are verify's business
      }
    }
    return out;
  }

  /** An agent's view of its recovery points: the source label is its own source's name. */
  private recoveryPointsOf(agentId: string, source: string): ManifestHeader[] {
    return this.headersOf(agentId, source).map((h) => ({ ...h, source }));
  }

  private recoveryPointOf(agentId: string, id: string): ManifestHeader {
    let h: ManifestHeader;
    try {
      h = readHeader(this.o.store.dir, id);
    } catch {
      throw new ProtocolError("no such recovery point", 404);
    }
    const prefix = `agent:${agentId}:`;
    if (!h.source.startsWith(prefix)) throw new ProtocolError("no such recovery point", 404); // another agent's: not even its existence is told
    return { ...h, source: h.source.slice(prefix.length) };
  }

  private ids(o: unknown): string[] {
    const ids = (o as { ids?: unknown } | null)?.ids;
    if (!Array.isArray(ids) || ids.length > MAX_IDS || !ids.every((x) => typeof x === "string" && CHUNK_ID.test(x))) throw new ProtocolError(`ids must be a list of at most ${MAX_IDS} chunk ids`);
    return ids as string[];
  }

  private missing(o: unknown): string[] {
    return this.ids(o).filter((id) => !this.o.store.has(id));
  }

  private async fetchChunks(res: http.ServerResponse, o: unknown): Promise<void> {
    const ids = this.ids(o);
    if (ids.length > 256) throw new ProtocolError("at most 256 chunks per fetch");
    const lock = acquireLock(this.o.store.dir, "shared", "agent restore");
    try {
      this.o.store.refreshIndex();
      const frames: ChunkFrame[] = [];
      for (const id of ids) {
        const loc = this.o.store.locate(id);
        if (!loc) throw new ProtocolError(`chunk ${id} is not in the pool`, 404);
        // Verified here too: the server never sends damage on as if it were data.
        await this.o.store.get(id);
        frames.push({ id, codec: loc.codec, rawLength: loc.rawLength, stored: await this.o.store.readStored(id, loc) });
      }
      res.writeHead(200, { "content-type": "application/octet-stream" });
      res.end(encodeFrames(frames));
    } finally {
      lock.release();
    }
  }

  /** Verifies every chunk of an upload before storing any of them. */
  private async storeChunks(session: Session, body: Buffer): Promise<{ stored: number }> {
    const frames = decodeFrames(body);
    for (const f of frames) {
      let raw: Uint8Array;
      try {
        raw = f.codec === "zstd" ? decompress(f.stored) : f.stored;
      } catch {
        throw new ProtocolError(`chunk ${f.id} cannot be decompressed`);
      }
      if (raw.length !== f.rawLength || sha256Hex(raw) !== f.id) throw new ProtocolError(`chunk ${f.id}: its bytes do not match its id; upload refused`);
    }
    let stored = 0;
    for (const f of frames) {
      if (this.o.store.has(f.id)) continue;
      // Copied: the request body must not stay pinned by the pack writer's queue.
      await this.o.store.putStored(f.id, Uint8Array.prototype.slice.call(f.stored), f.rawLength, f.codec);
      stored++;
      session.newChunks++;
      session.newStoredBytes += f.stored.length;
    }
    return { stored };
  }

  private async commit(session: Session, agent: PairedAgent, o: unknown): Promise<ManifestHeader> {
    const proposed = validateHeader((o as { header?: unknown } | null)?.header, `recovery point from agent ${agent.name}`);
    if (proposed.source !== session.source) throw new ProtocolError("the header's source is not the session's");
    if (proposed.parent !== null) this.recoveryPointOf(agent.id, proposed.parent); // must be this agent's own
    await this.o.store.flush();
    for (const c of proposed.tree) if (!this.o.store.has(c)) throw new ProtocolError(`tree chunk ${c} was never uploaded`);
    const stats = { files: 0, dirs: 0, symlinks: 0, bytes: 0, newChunks: session.newChunks, newStoredBytes: session.newStoredBytes };
    try {
      for await (const e of readEntries(this.o.store, proposed)) {
        const unsafe = unsafePathReason(e.path);
        if (unsafe) throw new ProtocolError(`entry ${JSON.stringify(e.path.toString("utf8").slice(0, 200))}: ${unsafe}; recovery point refused`);
        if (e.type === "file") {
          for (const c of e.chunks!) if (!this.o.store.has(c)) throw new ProtocolError(`file ${JSON.stringify(e.path.toString("utf8").slice(0, 200))} names chunk ${c}, which the pool does not have`);
          stats.files++;
          stats.bytes += e.size;
        } else if (e.type === "dir") stats.dirs++;
        else stats.symlinks++;
      }
    } catch (err) {
      if (err instanceof ProtocolError) throw err;
      throw new ProtocolError(`the recovery point's file list is unreadable: ${(err as Error).message}`);
    }
    const now = new Date();
    const header: ManifestHeader = { ...proposed, id: newManifestId(now), time: now.toISOString(), source: agentSourceLabel(agent.id, session.source), stats };
    writeHeader(this.o.store.dir, header);
    this.o.log.info({ agent: agent.name, source: session.source, id: header.id, files: stats.files }, "recovery point committed by agent");
    return { ...header, source: session.source };
  }
}

function json(res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
}
