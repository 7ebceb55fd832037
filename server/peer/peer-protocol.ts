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
import { z } from "zod";

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

/*
 * Secondary protection (SPEC §4). The secondary asks its primary for its data sources, a
 * catalog snapshot, the recovery points of the sources it selected, their headers and the
 * chunks it lacks; the primary names the secondary a standby on those sources' agents. The
 * pull after switch back runs the same calls the other way round. Answers are checked with
 * zod on arrival: a peer's answer is input like any other.
 */

const isoDate = z.iso.datetime({ offset: true });
const manifestId = z.string().regex(/^\d{8}T\d{9}Z-[0-9a-f]{8}$/, "not a manifest id");

export const peerSourceSchema = z.object({
  id: z.number().int().positive(),
  name: z.string().min(1).max(200),
  kind: z.enum(["folder", "sqlite"]),
  path: z.string().max(4096),
  computer: z.string().min(1).max(200),
  groupId: z.number().int().positive().nullable(),
  group: z.string().max(200).nullable(),
  /** The group's short-term policy as stored (JSON text); the secondary checks it before using it. */
  policy: z.string().max(100_000).nullable(),
  agent: z.object({ id: z.uuid(), name: z.string().max(200), url: z.string().max(2000), publicKey: z.string().min(1).max(200) }).nullable(),
  recoveryPoints: z.number().int().nonnegative(),
  latestRecoveryPointAt: isoDate.nullable(),
  /** Protection of this source is switched to the secondary (the primary is fenced off it). */
  switched: z.boolean(),
});
export type PeerSource = z.infer<typeof peerSourceSchema>;
export const peerSourcesAnswer = z.object({ sources: z.array(peerSourceSchema).max(100_000) });

export const protectRequest = z.object({ sourceIds: z.array(z.number().int().positive()).max(10_000) });
export const protectAnswer = z.object({
  standby: z.array(z.number().int()),
  failed: z.array(z.object({ id: z.number().int(), error: z.string() })),
});
export type ProtectAnswer = z.infer<typeof protectAnswer>;

export const peerRecoveryPointSchema = z.object({
  manifestId,
  createdAt: isoDate,
  kind: z.enum(["incremental", "express-full", "tape"]),
  sizeBytes: z.number().int().nonnegative(),
  files: z.number().int().nonnegative(),
  /** Where the answering server got it: null when it made it, else the server it copied it from. */
  madeByServerId: z.string().max(64).nullable().optional(),
});
export type PeerRecoveryPoint = z.infer<typeof peerRecoveryPointSchema>;
export const peerRecoveryPointsAnswer = z.object({ recoveryPoints: z.array(peerRecoveryPointSchema).max(10_000) });

/** What the primary signs about one of its catalog snapshots (catalog-snapshots.ts makes the statement). */
export const catalogSnapshotSchema = z.object({
  serverId: z.uuid(),
  manifestId,
  takenAt: isoDate,
  sizeBytes: z.number().int().positive(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  signature: z.string().min(1).max(200),
  keyId: z.string().min(1).max(64),
});
export type CatalogSnapshotAnswer = z.infer<typeof catalogSnapshotSchema>;

export const chunksRequest = z.object({ ids: z.array(z.string().regex(/^[0-9a-f]{64}$/, "not a chunk id")).min(1).max(256) });

/** The secondary's view of the link, sent with each heartbeat so the primary shows it too. */
export const linkStatusSchema = z.object({
  catalogEveryMinutes: z.number().int().nullable(),
  replicaEveryMinutes: z.number().int().nullable(),
  catalogRetentionDays: z.number().int(),
  autoSwitch: z.boolean(),
  graceMinutes: z.number().int(),
  lastCatalogCopyAt: isoDate.nullable(),
  inSyncAt: isoDate.nullable(),
  lastReplicationAt: isoDate.nullable(),
  lastReplicationError: z.string().max(2000).nullable(),
  bytesReplicated: z.number().int().nonnegative(),
  /**
   * The primary's sources switched to the secondary, with the switch's ownership epoch: a
   * primary that took a source back holds a higher epoch and ignores a stale report of it.
   */
  switched: z.array(z.object({ id: z.number().int(), epoch: z.number().int().nonnegative(), how: z.enum(["manual", "automatic"]) })).max(100_000),
});
export type LinkStatus = z.infer<typeof linkStatusSchema>;
export const heartbeatRequest = z.object({ time: isoDate, link: linkStatusSchema.optional() });

/** The first zod issue of a peer's message, as a protocol error. */
export function parsePeerMessage<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const i = r.error.issues[0]!;
  throw new ProtocolError(`${what}: ${i.path.join(".") || "(message)"}: ${i.message}`);
}

/**
 * Rebuild primary (SPEC §4): a new, empty server redeems a one-time rebuild token the
 * secondary's admin issued for the lost primary. The secondary records the new server's key
 * as that primary's (the old key was lost with the server), hands it the primary's agents, and
 * answers with the primary's identity, the key its snapshots were signed with, and the newest
 * catalog snapshot it holds. Every later call is signed with the new key.
 */
export const rebuildRequest = z.object({
  protocol: z.number().int(),
  token: z.string().min(16).max(200),
  publicKey: z.string().min(1).max(200),
  /** Where the rebuilt server will be reachable (agents and the secondary call it there). */
  url: z.string().regex(/^https?:\/\/\S+$/, "an http(s) address").max(2000),
});
export type RebuildRequest = z.infer<typeof rebuildRequest>;

export const rebuildAnswer = z.object({
  primary: z.object({ id: z.uuid(), name: z.string().min(1).max(200) }),
  /** The lost primary's key: its catalog snapshots must verify against it. */
  previousPublicKey: z.string().min(1).max(200),
  secondary: z.object({ id: z.uuid(), name: z.string().min(1).max(200) }),
  snapshot: catalogSnapshotSchema.nullable(),
  agents: z.object({ handedOver: z.number().int(), standby: z.number().int(), failed: z.array(z.object({ agent: z.string(), error: z.string() })) }),
});
export type RebuildAnswer = z.infer<typeof rebuildAnswer>;

/**
 * The rebuild wizard's pre-check: what a rebuild token would restore, without redeeming it
 * (the token stays pending; it works once, at the rebuild itself).
 */
export const rebuildCheckRequest = z.object({ protocol: z.number().int(), token: z.string().min(16).max(200) });
export type RebuildCheckRequest = z.infer<typeof rebuildCheckRequest>;

export const rebuildCheckAnswer = z.object({
  primary: z.object({ id: z.uuid(), name: z.string().min(1).max(200) }),
  secondary: z.object({ id: z.uuid(), name: z.string().min(1).max(200) }),
  tokenExpiresAt: isoDate,
  catalog: z.object({ takenAt: isoDate, sizeBytes: z.number().int().nonnegative() }).nullable(),
  /** The primary's data sources this secondary holds copies of, and their recovery points. */
  sources: z.number().int().nonnegative(),
  recoveryPoints: z.number().int().nonnegative(),
  /** About what the rebuild copies: the stored (compressed, deduplicated) bytes of those recovery points and the catalog. */
  storedBytes: z.number().int().nonnegative(),
});
export type RebuildCheckAnswer = z.infer<typeof rebuildCheckAnswer>;

/**
 * Removing a link (DPM's "stop protection" of a primary on its secondary): the end whose admin
 * removed it tells the other, signed, which link it was; the other end drops its half too (a
 * primary drops the secondary from its agents' standby lists) or refuses with the rule's
 * reason (409: protection of a source is switched). The secondary keeps the copies it holds
 * when the primary removed the link: they are its admin's to delete.
 */
export const unlinkRequest = z.object({ primaryId: z.uuid(), secondaryId: z.uuid() });
export type UnlinkRequest = z.infer<typeof unlinkRequest>;

export const unlinkAnswer = z.object({
  removed: z.literal(true),
  /** From a primary: the agents that dropped the secondary as a standby, and those that could not be asked. */
  standby: z.object({ removed: z.number().int().nonnegative(), failed: z.array(z.object({ agent: z.string().max(200), error: z.string().max(2000) })).max(10_000) }).nullable(),
});
export type UnlinkAnswer = z.infer<typeof unlinkAnswer>;
