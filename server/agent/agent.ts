/**
 * The protection agent (`custodian agent`): runs on a protected computer beside its data
 * sources, answers only the backup server that owns it, and does the heavy work of a backup
 * there (walk, chunk, hash, compress) so that only missing chunks cross the network.
 *
 *   DIR/agent.json      identity, sources, owner, standby servers, pending pairing token (hash)
 *   DIR/agent-key.pem   the agent's Ed25519 private key (0600)
 *   DIR/tmp/            scratch copies of SQLite databases while they are backed up
 *
 * Ownership: pairing with the one-time token makes a server the owner. The owner may hand
 * the agent to another server, or name standby servers (its secondaries) that may take
 * ownership themselves: the switch a failover needs when the owner is gone. The previous
 * owner becomes a standby, so it can take the agent back later, but until it does every
 * request it signs is refused (fencing: two servers never protect one computer at once).
 */
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { randomBytes, randomUUID, timingSafeEqual } from "node:crypto";
import type { AddressInfo } from "node:net";
import { writeFileAtomic } from "@/server/fs/write-file-atomic";
import { backupToTarget, type BackupProgress } from "@/server/engine/archiver";
import { restoreFrom, type ExistingPolicy } from "@/server/engine/restorer";
import { backupSqliteTo } from "@/server/engine/sqlite-source";
import {
  AuthError,
  keyIdOf,
  NonceCache,
  PROTOCOL_VERSION,
  ProtocolError,
  loadOrCreateIdentity,
  parseJson,
  parsePublicKey,
  readBody,
  sha256,
  verifyRequest,
  type Identity,
} from "./protocol";
import { ServerLink, type ServerPeer } from "./server-link";

export interface AgentSource {
  name: string;
  kind: "folder" | "sqlite";
  path: string;
}

interface AgentFile {
  version: 1;
  id: string;
  name: string;
  sources: AgentSource[];
  owner: ServerPeer | null;
  standby: ServerPeer[];
  pairing: { tokenHash: string; expiresAt: number; failures: number } | null;
}

const SOURCE_NAME = /^[A-Za-z0-9][A-Za-z0-9 ._-]{0,63}$/;
const PAIRING_TTL_MS = 24 * 3600_000;
const MAX_PAIRING_FAILURES = 5;

export class AgentConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "AgentConfigError";
  }
}

/** Parses `NAME=PATH` source options. */
export function parseSourceSpec(spec: string, kind: AgentSource["kind"]): AgentSource {
  const eq = spec.indexOf("=");
  if (eq <= 0) throw new AgentConfigError(`a source is NAME=PATH, not ${JSON.stringify(spec)}`);
  const name = spec.slice(0, eq);
  const p = spec.slice(eq + 1);
  if (!SOURCE_NAME.test(name)) throw new AgentConfigError(`source name ${JSON.stringify(name)}: letters, digits, space, '.', '_' and '-', at most 64`);
  if (!path.isAbsolute(p)) throw new AgentConfigError(`source ${name}: the path must be absolute, not ${JSON.stringify(p)}`);
  return { name, kind, path: path.normalize(p) };
}

export class AgentState {
  private constructor(
    readonly dir: string,
    private data: AgentFile,
    readonly identity: Identity,
  ) {}

  static open(dir: string, o: { name?: string } = {}): AgentState {
    fs.mkdirSync(dir, { recursive: true });
    const file = path.join(dir, "agent.json");
    const identity = loadOrCreateIdentity(path.join(dir, "agent-key.pem"));
    let data: AgentFile;
    if (fs.existsSync(file)) {
      try {
        data = JSON.parse(fs.readFileSync(file, "utf8")) as AgentFile;
      } catch {
        throw new AgentConfigError(`${file} is not valid JSON`);
      }
      if (data?.version !== 1 || typeof data.id !== "string" || !Array.isArray(data.sources)) throw new AgentConfigError(`${file} is not an agent state file this version understands`);
    } else {
      data = { version: 1, id: randomUUID(), name: o.name ?? os.hostname(), sources: [], owner: null, standby: [], pairing: null };
    }
    if (o.name) data.name = o.name;
    const state = new AgentState(dir, data, identity);
    state.save();
    return state;
  }

  get id(): string {
    return this.data.id;
  }
  get name(): string {
    return this.data.name;
  }
  get owner(): ServerPeer | null {
    return this.data.owner;
  }
  get standby(): readonly ServerPeer[] {
    return this.data.standby;
  }
  get sources(): readonly AgentSource[] {
    return this.data.sources;
  }

  private save(): void {
    writeFileAtomic(path.join(this.dir, "agent.json"), JSON.stringify(this.data, null, 2) + "\n", 0o600);
  }

  /** Replaces the configured sources (from the command line). */
  setSources(sources: AgentSource[]): void {
    const names = new Set<string>();
    for (const s of sources) {
      if (names.has(s.name)) throw new AgentConfigError(`two sources are named ${s.name}`);
      names.add(s.name);
    }
    this.data.sources = sources;
    this.save();
  }

  /** A new one-time pairing token (only its hash is kept); allowed while no server owns the agent, or on reset. */
  issuePairingToken(now = Date.now()): string {
    const token = randomBytes(18).toString("base64url");
    this.data.pairing = { tokenHash: sha256(token), expiresAt: now + PAIRING_TTL_MS, failures: 0 };
    this.save();
    return token;
  }

  /** Forgets the owner and standbys (local operator's reset; needs access to the agent's files). */
  /**
   * The owner moved to another address (its port is chosen at each start). Only for an agent in
   * the owner's own process: a remote agent learns a new address by pairing again.
   */
  updateOwnerUrl(url: string): void {
    if (!this.data.owner || this.data.owner.url === url) return;
    this.data.owner = { ...this.data.owner, url };
    this.save();
  }

  resetOwnership(): void {
    this.data.owner = null;
    this.data.standby = [];
    this.save();
  }

  /** Checks a pairing attempt; on success the server becomes the owner and the token is spent. */
  pair(token: string, server: ServerPeer, now = Date.now()): void {
    const p = this.data.pairing;
    if (!p || now > p.expiresAt) throw new AuthError("no pairing token is pending (start the agent with --new-token to issue one)");
    const given = Buffer.from(sha256(token), "hex");
    if (!timingSafeEqual(given, Buffer.from(p.tokenHash, "hex"))) {
      p.failures++;
      // A token guessed at is burnt: the operator issues a new one.
      if (p.failures >= MAX_PAIRING_FAILURES) this.data.pairing = null;
      this.save();
      throw new AuthError("wrong pairing token");
    }
    if (this.data.owner && this.data.owner.id !== server.id) throw new ProtocolError(`this computer is already protected by server ${this.data.owner.name}; a computer is protected by one server`, 409);
    this.data.owner = server;
    this.data.standby = this.data.standby.filter((s) => s.id !== server.id);
    this.data.pairing = null;
    this.save();
  }

  handOver(to: ServerPeer): void {
    const previous = this.data.owner;
    this.data.owner = to;
    this.data.standby = [...this.data.standby.filter((s) => s.id !== to.id && s.id !== previous?.id), ...(previous ? [previous] : [])];
    this.save();
  }

  addStandby(s: ServerPeer): void {
    if (s.id === this.data.owner?.id) throw new ProtocolError("the owner cannot also be a standby", 409);
    this.data.standby = [...this.data.standby.filter((x) => x.id !== s.id), s];
    this.save();
  }

  /** Drops a standby (its link with the owner was removed); idempotent. Returns whether it was one. */
  removeStandby(serverId: string): boolean {
    const was = this.data.standby.some((x) => x.id === serverId);
    if (was) {
      this.data.standby = this.data.standby.filter((x) => x.id !== serverId);
      this.save();
    }
    return was;
  }
}

function validPeer(v: unknown): ServerPeer {
  const o = v as Record<string, unknown> | null;
  if (!o || typeof o.id !== "string" || typeof o.name !== "string" || typeof o.url !== "string" || typeof o.publicKey !== "string") throw new ProtocolError("server must have id, name, url and publicKey");
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(o.id) || o.name.length > 200) throw new ProtocolError("server id or name malformed");
  try {
    const u = new URL(o.url);
    if (u.protocol !== "http:" && u.protocol !== "https:") throw new Error();
  } catch {
    throw new ProtocolError("server url is not an http(s) URL");
  }
  parsePublicKey(o.publicKey);
  return { id: o.id, name: o.name, url: o.url, publicKey: o.publicKey };
}

export interface AgentLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

/** Handles the agent's HTTP API; every route but pairing needs the owner's (or a standby's) signature. */
export class ProtectionAgent {
  private readonly nonces = new NonceCache();
  private readonly running = new Set<string>();

  constructor(
    readonly state: AgentState,
    private readonly log: AgentLog,
  ) {}

  async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://agent");
    const route = `${req.method} ${url.pathname}`;
    try {
      const body = await readBody(req);
      if (route === "GET /v1/hello") return json(res, 200, { protocol: PROTOCOL_VERSION, id: this.state.id, name: this.state.name, paired: this.state.owner !== null });
      if (route === "POST /v1/pair") {
        const o = parseJson(body) as { token?: unknown; server?: unknown; protocol?: unknown };
        if (o.protocol !== PROTOCOL_VERSION) throw new ProtocolError(`protocol version ${String(o.protocol)} is not this agent's (${PROTOCOL_VERSION}); upgrade the older side`, 409);
        if (typeof o.token !== "string" || o.token.length > 200) throw new ProtocolError("token missing");
        const server = validPeer(o.server);
        this.state.pair(o.token, server);
        this.log.info({ server: server.name }, "paired with server");
        return json(res, 200, this.describe());
      }
      // Everything else is signed. The owner may do anything; a standby (its owner's secondary)
      // may take ownership, and restore from its own copies while the owner is down (SPEC §4).
      const caller = this.authenticate(req, url, body);
      const isOwner = caller.id === this.state.owner?.id;
      if (route === "POST /v1/take-ownership") {
        if (isOwner) return json(res, 200, this.describe());
        this.state.handOver(caller);
        this.log.warn({ server: caller.name }, "ownership taken by standby server");
        return json(res, 200, this.describe());
      }
      if (route === "POST /v1/restore") return await this.restore(req, res, parseJson(body), caller);
      if (!isOwner) throw new AuthError(`server ${caller.name} does not own this agent (owner: ${this.state.owner?.name ?? "none"})`);
      if (route === "GET /v1/sources") return json(res, 200, this.describe());
      if (route === "POST /v1/hand-over") {
        const to = validPeer((parseJson(body) as { server?: unknown }).server);
        this.state.handOver(to);
        this.log.info({ server: to.name }, "ownership handed over");
        return json(res, 200, this.describe());
      }
      if (route === "POST /v1/standby") {
        const s = validPeer((parseJson(body) as { server?: unknown }).server);
        this.state.addStandby(s);
        return json(res, 200, this.describe());
      }
      if (route === "POST /v1/standby/remove") {
        const id = (parseJson(body) as { serverId?: unknown }).serverId;
        if (typeof id !== "string" || !/^[A-Za-z0-9_-]{1,64}$/.test(id)) throw new ProtocolError("serverId missing or malformed");
        if (this.state.removeStandby(id)) this.log.info({ server: id }, "standby server removed by the owner");
        return json(res, 200, this.describe());
      }
      if (route === "POST /v1/backup") return await this.backup(req, res, parseJson(body), caller);
      throw new ProtocolError(`no such route: ${route}`, 404);
    } catch (err) {
      if (err instanceof AuthError) {
        this.log.warn({ route, reason: err.reason, from: req.socket.remoteAddress }, "refused agent request");
        return json(res, 401, { error: err.message });
      }
      if (err instanceof ProtocolError || err instanceof AgentConfigError) return json(res, err instanceof ProtocolError ? err.status : 400, { error: err.message });
      this.log.warn({ route, err: (err as Error).message }, "agent request failed");
      if (!res.headersSent) return json(res, 500, { error: (err as Error).message });
      res.end();
    }
  }

  private describe() {
    return {
      protocol: PROTOCOL_VERSION,
      id: this.state.id,
      name: this.state.name,
      publicKey: this.state.identity.publicKey,
      owner: this.state.owner ? { id: this.state.owner.id, name: this.state.owner.name } : null,
      standby: this.state.standby.map((s) => ({ id: s.id, name: s.name })),
      sources: this.state.sources.map((s) => ({ ...s, present: fs.existsSync(s.path) })),
    };
  }

  private authenticate(req: http.IncomingMessage, url: URL, body: Buffer): ServerPeer {
    const known = [...(this.state.owner ? [this.state.owner] : []), ...this.state.standby];
    const byKey = new Map(known.map((s) => [keyIdOf(s.publicKey), s]));
    const keyId = verifyRequest(req.headers, req.method ?? "", url.pathname + url.search, body, this.state.id, (k) => byKey.get(k)?.publicKey ?? null, this.nonces);
    return byKey.get(keyId)!;
  }

  private source(name: unknown) {
    const s = this.state.sources.find((x) => x.name === name);
    if (!s) throw new ProtocolError(`no source named ${JSON.stringify(name)} on this agent`, 404);
    return s;
  }

  /** Runs a backup, streaming progress as NDJSON lines; the last line is the result. */
  private async backup(req: http.IncomingMessage, res: http.ServerResponse, o: unknown, owner: ServerPeer): Promise<void> {
    const { source: name, parent } = (o ?? {}) as { source?: unknown; parent?: unknown };
    const source = this.source(name);
    if (parent !== undefined && parent !== null && typeof parent !== "string") throw new ProtocolError("parent must be a recovery point id or null");
    if (this.running.has(source.name)) throw new ProtocolError(`a backup of ${source.name} is already running`, 409);
    if (!fs.existsSync(source.path)) throw new ProtocolError(`${source.path} does not exist on ${this.state.name}`, 422);
    this.running.add(source.name);
    const abort = new AbortController();
    res.on("close", () => {
      if (!res.writableFinished) abort.abort(new Error("the server closed the connection"));
    });
    res.writeHead(200, { "content-type": "application/x-ndjson" });
    const line = (x: object) => res.write(JSON.stringify(x) + "\n");
    const link = new ServerLink(owner, this.state.identity);
    let session: Awaited<ReturnType<ServerLink["beginBackup"]>> | null = null;
    try {
      session = await link.beginBackup(source.name, abort.signal);
      const o = { sourceLabel: source.name, parent: parent as string | null | undefined, onProgress: (p: BackupProgress) => line({ progress: p }), signal: abort.signal };
      const header =
        source.kind === "sqlite" ? await backupSqliteTo(session, source.path, path.join(this.state.dir, "tmp"), o) : await backupToTarget(session, source.path, o);
      line({ done: header });
      this.log.info({ source: source.name, id: header.id, files: header.stats.files, newChunks: header.stats.newChunks }, "backup done");
    } catch (err) {
      await session?.abort();
      line({ error: (err as Error).message });
      this.log.warn({ source: source.name, err: (err as Error).message }, "backup failed");
    } finally {
      this.running.delete(source.name);
      res.end();
    }
  }

  /** Restores a recovery point of one of this agent's sources, streaming outcomes. */
  private async restore(req: http.IncomingMessage, res: http.ServerResponse, o: unknown, from: ServerPeer): Promise<void> {
    const r = (o ?? {}) as { source?: unknown; recoveryPoint?: unknown; target?: unknown; paths?: unknown; existing?: unknown };
    const source = this.source(r.source);
    if (typeof r.recoveryPoint !== "string") throw new ProtocolError("recoveryPoint missing");
    const existing = (r.existing ?? "overwrite") as ExistingPolicy;
    if (!["overwrite", "skip", "copy"].includes(existing)) throw new ProtocolError("existing must be overwrite, skip or copy");
    let target: string;
    if (r.target === undefined || r.target === null) {
      // The original location. A database is never restored over the live file: it needs an alternate path.
      if (source.kind === "sqlite") throw new ProtocolError("a database is restored to an alternate folder (give target)");
      target = source.path;
    } else {
      if (typeof r.target !== "string" || !path.isAbsolute(r.target)) throw new ProtocolError("target must be an absolute path");
      target = path.normalize(r.target);
    }
    let paths: Buffer[] | undefined;
    if (r.paths !== undefined) {
      if (!Array.isArray(r.paths) || !r.paths.every((p) => typeof p === "string")) throw new ProtocolError("paths must be a list of base64 strings");
      paths = (r.paths as string[]).map((p) => Buffer.from(p, "base64"));
    }
    const link = new ServerLink(from, this.state.identity);
    const header = await link.recoveryPoint(r.recoveryPoint);
    res.writeHead(200, { "content-type": "application/x-ndjson" });
    const line = (x: object) => res.write(JSON.stringify(x) + "\n");
    try {
      const result = await restoreFrom(link.reader(), header, target, {
        existing,
        paths,
        onProgress: (p) => line({ progress: p }),
      });
      line({ done: { ...result, target, problems: result.problems.map((x) => ({ path: x.path.toString("base64"), outcome: x.outcome, detail: x.detail })) } });
    } catch (err) {
      line({ error: (err as Error).message });
    } finally {
      res.end();
    }
  }
}

function json(res: http.ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
}

export async function startAgentServer(o: { agent: ProtectionAgent; host: string; port: number }): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer((req, res) => void o.agent.handle(req, res));
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(o.port, o.host, () => resolve());
  });
  const addr = server.address() as AddressInfo;
  const host = addr.family === "IPv6" ? `[${addr.address}]` : addr.address;
  return {
    url: `http://${host}:${addr.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
