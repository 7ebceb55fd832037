/**
 * The wire protocol between backup servers (primary ⇄ secondary), /peer-api/v1/*.
 *
 * Enrolment: the secondary presents a one-time token the primary's admin issued, with its id,
 * name, URL, public key, release and protocol version (POST /peer-api/v1/enrol, the only
 * unsigned call besides GET /peer-api/v1/hello). The primary answers with its own id, name and
 * public key. Afterwards every request is signed exactly like the agent protocol's
 * (server/agent/protocol.ts: Ed25519, time window, nonce, audience = the recipient's server id)
 * and verified against the public key recorded at enrolment. Neither side stores a secret of
 * the other.
 */
import { ProtocolError } from "@/server/agent/protocol";

/** Bumped whenever a peer request or answer changes shape. */
export const PEER_PROTOCOL_VERSION = 1;
/** This release (package.json's version): a chain or cycle runs one release. */
export const RELEASE_VERSION = "0.1.0";

/** A server as peers describe themselves. */
export interface PeerDescription {
  id: string;
  name: string;
  url: string;
  publicKey: string;
  version: string;
  protocol: number;
}

/** The links and servers a secondary knows, sent along so the primary checks the whole chain. */
export interface PeerTopologyView {
  servers: { id: string; name: string; version?: string }[];
  links: { primary: string; secondary: string }[];
}

export interface EnrolRequest {
  protocol: number;
  token: string;
  server: PeerDescription;
  topology: PeerTopologyView;
}

export interface HeartbeatAnswer {
  id: string;
  name: string;
  time: string;
  protocol: number;
}

/** The refusal text for two protocol versions that cannot talk. */
export const protocolMismatch = (mine: number, theirs: unknown) =>
  `this server speaks peer protocol ${mine}, the other ${typeof theirs === "number" ? theirs : JSON.stringify(theirs ?? null)}; upgrade the older server so both run the same release`;

/** A refusal a peer sends back: its message, and the topology rules it names when there are any. */
export class PeerRefusal extends ProtocolError {
  constructor(
    message: string,
    status: number,
    readonly rules: string[] = [],
  ) {
    super(message, status);
    this.name = "PeerRefusal";
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const str = (v: unknown, max: number): v is string => typeof v === "string" && v.length > 0 && v.length <= max;

export function validDescription(o: unknown, what: string): PeerDescription {
  const d = (o ?? {}) as Record<string, unknown>;
  if (!str(d.id, 64) || !UUID.test(d.id)) throw new ProtocolError(`${what}: id missing or not a server id`);
  if (!str(d.name, 200)) throw new ProtocolError(`${what}: name missing`);
  if (typeof d.url !== "string" || d.url.length > 2000 || (d.url !== "" && !/^https?:\/\//.test(d.url))) throw new ProtocolError(`${what}: url is not an http(s) address`);
  if (!str(d.publicKey, 200)) throw new ProtocolError(`${what}: public key missing`);
  if (!str(d.version, 50)) throw new ProtocolError(`${what}: version missing`);
  if (typeof d.protocol !== "number") throw new ProtocolError(`${what}: protocol missing`);
  return { id: d.id, name: d.name, url: d.url, publicKey: d.publicKey, version: d.version, protocol: d.protocol };
}

export function validTopologyView(o: unknown): PeerTopologyView {
  const t = (o ?? {}) as { servers?: unknown; links?: unknown };
  const servers = Array.isArray(t.servers) ? t.servers.slice(0, 1000) : [];
  const links = Array.isArray(t.links) ? t.links.slice(0, 1000) : [];
  return {
    servers: servers
      .filter((s): s is { id: string; name: string; version?: unknown } => !!s && str((s as { id?: unknown }).id, 64) && str((s as { name?: unknown }).name, 200))
      .map((s) => ({ id: s.id, name: s.name, ...(str(s.version, 50) && { version: s.version }) })),
    links: links
      .filter((l): l is { primary: string; secondary: string } => !!l && str((l as { primary?: unknown }).primary, 64) && str((l as { secondary?: unknown }).secondary, 64))
      .map((l) => ({ primary: l.primary, secondary: l.secondary })),
  };
}
