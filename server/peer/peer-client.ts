/**
 * The calls a server makes to a peer: hello and enrolment (before any key is known), then
 * signed calls (heartbeat) verified by the peer against the key it recorded.
 */
import { ProtocolError, decodeFrames, signedFetch, type Identity } from "@/server/agent/protocol";
import { validateHeader, type ManifestHeader } from "@/server/engine/manifest";
import type { ReplicationSource, StoredChunk } from "@/server/engine/replicate";
import {
  PeerRefusal,
  catalogSnapshotSchema,
  parsePeerMessage,
  peerRecoveryPointsAnswer,
  peerSourcesAnswer,
  protectAnswer,
  rebuildAnswer,
  unlinkAnswer,
  rebuildCheckAnswer,
  validDescription,
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

const TIMEOUT_MS = 10_000;

async function unsignedJson(baseUrl: string, method: "GET" | "POST", path: string, json?: unknown): Promise<unknown> {
  const res = await fetch(new URL(path, baseUrl), {
    method,
    headers: json === undefined ? {} : { "content-type": "application/json" },
    body: json === undefined ? undefined : JSON.stringify(json),
    signal: AbortSignal.timeout(TIMEOUT_MS),
  }).catch((err: unknown) => {
    throw new ProtocolError(`cannot reach the server at ${baseUrl}: ${(err as Error).message}`, 502);
  });
  const body = (await res.json().catch(() => null)) as { error?: string; rules?: string[] } | null;
  if (!res.ok) throw new PeerRefusal(body?.error ?? `${method} ${path} failed: ${res.status}`, res.status, body?.rules ?? []);
  if (body === null) throw new ProtocolError(`${baseUrl} is not a Custodian server (no JSON answer)`, 502);
  return body;
}

/** Who answers at `baseUrl` (unsigned; used to check version and topology before enrolling). */
export async function peerHello(baseUrl: string): Promise<PeerDescription> {
  return validDescription(await unsignedJson(baseUrl, "GET", "/peer-api/v1/hello"), `the server at ${baseUrl}`);
}

/** Enrols this server as the secondary of the server at `baseUrl`; returns the primary's description. */
export async function enrolWithPrimary(baseUrl: string, request: EnrolRequest): Promise<PeerDescription> {
  return validDescription(await unsignedJson(baseUrl, "POST", "/peer-api/v1/enrol", request), `the server at ${baseUrl}`);
}

/** Redeems a rebuild token at the secondary `baseUrl` (unsigned: the token is the credential). */
export async function redeemRebuildToken(baseUrl: string, request: RebuildRequest): Promise<RebuildAnswer> {
  return parsePeerMessage(rebuildAnswer, await unsignedJson(baseUrl, "POST", "/peer-api/v1/rebuild", request), `the rebuild answer of ${baseUrl}`);
}

/** Asks the secondary `baseUrl` what a rebuild token would restore, without redeeming it. */
export async function checkRebuildToken(baseUrl: string, request: RebuildCheckRequest): Promise<RebuildCheckAnswer> {
  return parsePeerMessage(rebuildCheckAnswer, await unsignedJson(baseUrl, "POST", "/peer-api/v1/rebuild/check", request), `the rebuild check of ${baseUrl}`);
}

/** A signed heartbeat to a peer whose id (the audience) and URL are recorded; a secondary sends its view of the link along. */
export async function sendHeartbeat(peer: { id: string; name: string; url: string; publicKey: string }, identity: Identity, now = new Date(), link?: LinkStatus): Promise<HeartbeatAnswer> {
  const answerKey = { publicKey: peer.publicKey, who: peer.name };
  const res = await signedFetch(peer.url, "POST", "/peer-api/v1/heartbeat", { identity, audience: peer.id, json: { time: now.toISOString(), ...(link && { link }) }, answerKey, signal: AbortSignal.timeout(TIMEOUT_MS) }).catch((err: unknown) => {
    if (err instanceof ProtocolError) throw err;
    throw new ProtocolError(`cannot reach the server at ${peer.url}: ${(err as Error).message}`, 502);
  });
  const answer = (await res.json()) as HeartbeatAnswer;
  if (answer.id !== peer.id) throw new ProtocolError(`the server at ${peer.url} is ${answer.name} (${answer.id}), not the recorded peer`, 409);
  return answer;
}

/** A primary that is told of a removed link asks each of its agents to drop the secondary (each call bounded by its own timeout). */
const UNLINK_TIMEOUT_MS = 60_000;

/** Chunk batches are larger than control calls: a batch of 256 chunks may be tens of MiB. */
const TRANSFER_TIMEOUT_MS = 5 * 60_000;

/**
 * Signed calls to a linked peer (secondary protection, and the pull after switch back). Every
 * answer must be signed by the peer's recorded key over this request (signAnswer).
 */
export class PeerClient {
  constructor(
    private readonly peer: { id: string; name: string; url: string; publicKey: string },
    private readonly identity: Identity,
  ) {}

  private async call(method: "GET" | "POST", path: string, json?: unknown, o: { signal?: AbortSignal; timeoutMs?: number } = {}): Promise<Response> {
    const timeout = AbortSignal.timeout(o.timeoutMs ?? TIMEOUT_MS);
    const answerKey = { publicKey: this.peer.publicKey, who: this.peer.name };
    return signedFetch(this.peer.url, method, path, { identity: this.identity, audience: this.peer.id, json, answerKey, signal: o.signal ? AbortSignal.any([o.signal, timeout]) : timeout }).catch((err: unknown) => {
      if (err instanceof ProtocolError) throw err;
      throw new ProtocolError(`cannot reach ${this.peer.name} at ${this.peer.url}: ${(err as Error).message}`, 502);
    });
  }

  private async json(method: "GET" | "POST", path: string, body?: unknown, signal?: AbortSignal): Promise<unknown> {
    const res = await this.call(method, path, body, { signal });
    return res.json().catch(() => {
      throw new ProtocolError(`${this.peer.name} answered ${path} with something that is not JSON`, 502);
    });
  }

  /** The primary's data sources, with their groups' policies and agents. */
  async sources(signal?: AbortSignal): Promise<PeerSource[]> {
    return parsePeerMessage(peerSourcesAnswer, await this.json("GET", "/peer-api/v1/sources", undefined, signal), `${this.peer.name}'s data sources`).sources;
  }

  /** Asks the primary to name this server a standby on the agents of these sources. */
  async protect(sourceIds: number[], signal?: AbortSignal): Promise<ProtectAnswer> {
    return parsePeerMessage(protectAnswer, await this.json("POST", "/peer-api/v1/protect", { sourceIds }, signal), `${this.peer.name}'s answer to protect`);
  }

  /** Tells the secondary that this server (its primary) took these sources back. */
  async ownershipTaken(sourceIds: number[], signal?: AbortSignal): Promise<void> {
    await this.call("POST", "/peer-api/v1/ownership-taken", { sourceIds }, { signal });
  }

  /** Tells the peer this server removed the link between them, so it drops its half (a primary asks its agents, so it may take a while). */
  async unlink(request: UnlinkRequest, signal?: AbortSignal): Promise<UnlinkAnswer> {
    const res = await this.call("POST", "/peer-api/v1/unlink", request, { signal, timeoutMs: UNLINK_TIMEOUT_MS });
    return parsePeerMessage(unlinkAnswer, await res.json(), `${this.peer.name}'s answer to unlink`);
  }

  /** A fresh, signed snapshot of the peer's catalog (in its pool, ready to be copied). */
  async catalogSnapshot(signal?: AbortSignal): Promise<CatalogSnapshotAnswer> {
    const res = await this.call("POST", "/peer-api/v1/catalog-snapshot", {}, { signal, timeoutMs: TRANSFER_TIMEOUT_MS });
    return parsePeerMessage(catalogSnapshotSchema, await res.json(), `${this.peer.name}'s catalog snapshot`);
  }

  /**
   * Recovery points of a data source: `whose: "yours"` a source of the peer's own (this server is
   * its secondary), `"mine"` one of this server's sources the peer holds copies of (this server is
   * its primary). Said explicitly: in a mutual pair both are true, and source ids overlap.
   */
  async recoveryPoints(sourceId: number, after: Date | null, signal: AbortSignal | undefined, o: { whose: "yours" | "mine"; all?: boolean }): Promise<PeerRecoveryPoint[]> {
    const q = new URLSearchParams({ source: String(sourceId), whose: o.whose, ...(after && { after: after.toISOString() }), ...(o.all && { all: "1" }) });
    return parsePeerMessage(peerRecoveryPointsAnswer, await this.json("GET", `/peer-api/v1/recovery-points?${q}`, undefined, signal), `${this.peer.name}'s recovery points`).recoveryPoints;
  }

  /** Replication from this peer's pool (engine/replicate.ts copies only what the local pool lacks). */
  replicationSource(signal?: AbortSignal): ReplicationSource & { storedBytesReceived: number } {
    const json = (path: string) => this.json("GET", path, undefined, signal);
    const post = (ids: string[]) => this.call("POST", "/peer-api/v1/chunks", { ids }, { signal, timeoutMs: TRANSFER_TIMEOUT_MS });
    const peer = this.peer.name;
    return {
      storedBytesReceived: 0,
      async header(id: string): Promise<ManifestHeader> {
        return validateHeader(await json(`/peer-api/v1/manifests/${encodeURIComponent(id)}`), `recovery point ${id} from ${peer}`, id);
      },
      async getStored(ids: string[]): Promise<Map<string, StoredChunk>> {
        const res = await post(ids);
        const body = Buffer.from(await res.arrayBuffer());
        this.storedBytesReceived += body.length;
        const out = new Map<string, StoredChunk>();
        for (const f of decodeFrames(body)) out.set(f.id, { stored: f.stored, rawLength: f.rawLength, codec: f.codec });
        return out;
      },
    };
  }
}
