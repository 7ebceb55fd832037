/**
 * The server's side of the peer protocol: /peer-api/v1/*, called by the servers it is linked
 * with. hello and enrol are the only unsigned routes (enrol is authenticated by its one-time
 * token); every other request must be signed by a known peer for this server (audience), fresh
 * and never seen before — else 401, a warning with the reason, and nothing changes. Each answer
 * to a signed request is signed in turn, over that request's nonce (signAnswer).
 */
import type http from "node:http";
import { AuthError, NonceCache, ProtocolError, encodeFrames, parseJson, readBody, signAnswer, verifyRequest, type ChunkFrame, type Identity } from "@/server/agent/protocol";
import type { ManifestHeader } from "@/server/engine/manifest";
import {
  PEER_PROTOCOL_VERSION,
  PeerRefusal,
  chunksRequest,
  heartbeatRequest,
  parsePeerMessage,
  protectRequest,
  rebuildCheckRequest,
  rebuildRequest,
  unlinkRequest,
  validDescription,
  validTopologyView,
  type CatalogSnapshotAnswer,
  type EnrolRequest,
  type HeartbeatAnswer,
  type LinkStatus,
  type PeerDescription,
  type PeerRecoveryPoint,
  type PeerSource,
  type ProtectAnswer,
  type RebuildAnswer,
  type RebuildCheckAnswer,
  type RebuildCheckRequest,
  type RebuildRequest,
  type UnlinkAnswer,
  type UnlinkRequest,
} from "./peer-protocol";

export interface KnownPeer {
  id: string;
  name: string;
  publicKey: string;
}

/** What the peer API needs of the catalog. */
export interface PeerDirectory {
  /** This server as peers see it. */
  self(): PeerDescription;
  /** A linked peer by the key id it signs with. */
  byKeyId(keyId: string): KnownPeer | null;
  /** Checks and records an enrolment; throws PeerRefusal (401 token, 409 version or topology). */
  enrol(request: EnrolRequest): PeerDescription;
  /** Redeems a rebuild token (unsigned, like enrolment; throws PeerRefusal). */
  rebuild(request: RebuildRequest): Promise<RebuildAnswer>;
  /** What a rebuild token would restore, without redeeming it (throws PeerRefusal). */
  rebuildCheck(request: RebuildCheckRequest): RebuildCheckAnswer;
  /** A signed heartbeat arrived from this peer (a secondary sends its view of the link). */
  heartbeatFrom(peerId: string, at: Date, link: LinkStatus | undefined): void;
  /** What a linked peer may read and ask for; each method refuses (PeerRefusal) what this peer may not. */
  protection: PeerProtectionService;
  /** The peer removed its link with this server: this end drops its half, or refuses (PeerRefusal) with the rule's reason. */
  unlink(peerId: string, request: UnlinkRequest): Promise<UnlinkAnswer>;
}

/** Secondary protection as served to a linked peer (server/domain/servers/peer-serving.ts). */
export interface PeerProtectionService {
  sources(peerId: string): PeerSource[];
  protect(peerId: string, sourceIds: number[]): Promise<ProtectAnswer>;
  catalogSnapshot(peerId: string): Promise<CatalogSnapshotAnswer>;
  /** `whose` from the asking peer's side: "yours" this server's own source, "mine" the peer's source this server holds copies of. */
  recoveryPoints(peerId: string, sourceId: number, whose: "yours" | "mine", after: Date | null, all: boolean): PeerRecoveryPoint[];
  header(peerId: string, manifestId: string): ManifestHeader;
  chunks(peerId: string, ids: string[]): Promise<ChunkFrame[]>;
  /** The peer (this server's primary) took these of its sources back. */
  ownershipTaken(peerId: string, sourceIds: number[]): number;
}

export interface PeerApiLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

const SMALL_BODY = 1024 * 1024;

export class PeerApi {
  private readonly nonces = new NonceCache();

  /** `identity` signs every answer to a signed request (signAnswer), so that a peer can tell them from forgeries. */
  constructor(private readonly o: { directory: PeerDirectory; log: PeerApiLog; identity: Identity }) {}

  async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://server");
    const route = `${req.method} ${url.pathname}`;
    try {
      const body = await readBody(req, SMALL_BODY);
      if (route === "GET /peer-api/v1/hello") return json(res, 200, this.o.directory.self());
      if (route === "POST /peer-api/v1/enrol") {
        const o = parseJson(body) as Partial<EnrolRequest>;
        if (typeof o.token !== "string" || o.token.length === 0 || o.token.length > 200) throw new ProtocolError("token missing");
        const request: EnrolRequest = {
          protocol: typeof o.protocol === "number" ? o.protocol : -1,
          token: o.token,
          server: validDescription(o.server, "the enrolling server"),
          topology: validTopologyView(o.topology),
        };
        const answer = this.o.directory.enrol(request);
        this.o.log.info({ secondary: request.server.name, id: request.server.id, from: req.socket.remoteAddress }, "secondary server enrolled");
        return json(res, 200, answer);
      }
      if (route === "POST /peer-api/v1/rebuild") {
        const request = parsePeerMessage(rebuildRequest, parseJson(body), "rebuild");
        const answer = await this.o.directory.rebuild(request);
        this.o.log.info({ primary: answer.primary.name, url: request.url, from: req.socket.remoteAddress }, "rebuild token redeemed: the primary has a new key");
        return json(res, 200, answer);
      }
      if (route === "POST /peer-api/v1/rebuild/check") {
        const answer = this.o.directory.rebuildCheck(parsePeerMessage(rebuildCheckRequest, parseJson(body), "rebuild check"));
        this.o.log.info({ primary: answer.primary.name, from: req.socket.remoteAddress }, "rebuild token checked (not redeemed)");
        return json(res, 200, answer);
      }
      const self = this.o.directory.self();
      const keyId = verifyRequest(req.headers, req.method ?? "", url.pathname + url.search, body, self.id, (k) => this.o.directory.byKeyId(k)?.publicKey ?? null, this.nonces);
      const peer = this.o.directory.byKeyId(keyId)!;
      const nonce = String(req.headers["x-custodian-nonce"]);
      // From here on every answer is signed over this request's nonce.
      const reply = (r: http.ServerResponse, status: number, value: unknown) => signed(r, status, Buffer.from(JSON.stringify(value)), "application/json");
      const signed = (r: http.ServerResponse, status: number, body: Buffer, type: string) => {
        r.writeHead(status, { "content-type": type, ...signAnswer(this.o.identity, nonce, status, body) });
        r.end(body);
      };
      if (route === "POST /peer-api/v1/heartbeat") {
        const beat = parsePeerMessage(heartbeatRequest, parseJson(body), "heartbeat");
        this.o.directory.heartbeatFrom(peer.id, new Date(), beat.link);
        const answer: HeartbeatAnswer = { id: self.id, name: self.name, time: new Date().toISOString(), protocol: PEER_PROTOCOL_VERSION };
        return reply(res, 200, answer);
      }
      if (route === "POST /peer-api/v1/unlink") {
        const request = parsePeerMessage(unlinkRequest, parseJson(body), "unlink");
        const answer = await this.o.directory.unlink(peer.id, request);
        this.o.log.info({ peer: peer.name, primary: request.primaryId, secondary: request.secondaryId }, "the peer removed its link with this server: this end removed it too");
        return reply(res, 200, answer);
      }
      const p = this.o.directory.protection;
      if (route === "GET /peer-api/v1/sources") return reply(res, 200, { sources: p.sources(peer.id) });
      if (route === "POST /peer-api/v1/protect") return reply(res, 200, await p.protect(peer.id, parsePeerMessage(protectRequest, parseJson(body), "protect").sourceIds));
      if (route === "POST /peer-api/v1/ownership-taken") {
        const n = p.ownershipTaken(peer.id, parsePeerMessage(protectRequest, parseJson(body), "ownership-taken").sourceIds);
        this.o.log.info({ primary: peer.name, sources: n }, "the primary took ownership back");
        return reply(res, 200, { sources: n });
      }
      if (route === "POST /peer-api/v1/catalog-snapshot") {
        const snapshot = await p.catalogSnapshot(peer.id);
        this.o.log.info({ secondary: peer.name, manifest: snapshot.manifestId }, "catalog snapshot taken for a secondary");
        return reply(res, 200, snapshot);
      }
      if (route === "GET /peer-api/v1/recovery-points") {
        const source = Number(url.searchParams.get("source"));
        if (!Number.isInteger(source) || source < 1) throw new ProtocolError("source must be a data source id");
        const afterRaw = url.searchParams.get("after");
        const after = afterRaw === null ? null : new Date(afterRaw);
        if (after && Number.isNaN(after.getTime())) throw new ProtocolError("after must be an ISO date");
        const whose = url.searchParams.get("whose");
        if (whose !== "yours" && whose !== "mine") throw new ProtocolError('whose must be "yours" (a source of this server) or "mine" (a source of the asking server)');
        return reply(res, 200, { recoveryPoints: p.recoveryPoints(peer.id, source, whose, after, url.searchParams.get("all") === "1") });
      }
      if (req.method === "GET" && url.pathname.startsWith("/peer-api/v1/manifests/")) {
        return reply(res, 200, p.header(peer.id, decodeURIComponent(url.pathname.slice("/peer-api/v1/manifests/".length))));
      }
      if (route === "POST /peer-api/v1/chunks") {
        const frames = await p.chunks(peer.id, parsePeerMessage(chunksRequest, parseJson(body), "chunks").ids);
        return signed(res, 200, Buffer.from(encodeFrames(frames)), "application/octet-stream");
      }
      throw new ProtocolError(`no such route: ${route}`, 404);
    } catch (err) {
      if (err instanceof AuthError) {
        this.o.log.warn({ route, reason: err.reason, from: req.socket.remoteAddress }, "refused peer request");
        return json(res, 401, { error: err.message });
      }
      if (err instanceof PeerRefusal) {
        this.o.log.warn({ route, err: err.message, rules: err.rules, from: req.socket.remoteAddress }, "peer request refused");
        return json(res, err.status, { error: err.message, rules: err.rules });
      }
      if (err instanceof ProtocolError) {
        this.o.log.warn({ route, err: err.message }, "bad peer request");
        return json(res, err.status, { error: err.message });
      }
      this.o.log.warn({ route, err: (err as Error).message }, "peer request failed");
      return json(res, 500, { error: (err as Error).message });
    }
  }
}

function json(res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
}
