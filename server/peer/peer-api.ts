/**
 * The server's side of the peer protocol: /peer-api/v1/*, called by the servers it is linked
 * with. hello and enrol are the only unsigned routes (enrol is authenticated by its one-time
 * token); every other request must be signed by a known peer for this server (audience), fresh
 * and never seen before — else 401, a warning with the reason, and nothing changes.
 */
import type http from "node:http";
import { AuthError, NonceCache, ProtocolError, parseJson, readBody, verifyRequest } from "@/server/agent/protocol";
import { PEER_PROTOCOL_VERSION, PeerRefusal, validDescription, validTopologyView, type EnrolRequest, type HeartbeatAnswer, type PeerDescription } from "./peer-protocol";

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
  /** A signed heartbeat arrived from this peer. */
  heartbeatFrom(peerId: string, at: Date): void;
}

export interface PeerApiLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

const SMALL_BODY = 1024 * 1024;

export class PeerApi {
  private readonly nonces = new NonceCache();

  constructor(private readonly o: { directory: PeerDirectory; log: PeerApiLog }) {}

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
      const self = this.o.directory.self();
      const keyId = verifyRequest(req.headers, req.method ?? "", url.pathname + url.search, body, self.id, (k) => this.o.directory.byKeyId(k)?.publicKey ?? null, this.nonces);
      const peer = this.o.directory.byKeyId(keyId)!;
      if (route === "POST /peer-api/v1/heartbeat") {
        this.o.directory.heartbeatFrom(peer.id, new Date());
        const answer: HeartbeatAnswer = { id: self.id, name: self.name, time: new Date().toISOString(), protocol: PEER_PROTOCOL_VERSION };
        return json(res, 200, answer);
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
