/**
 * Peering between backup servers (SPEC §4, DPM-REFERENCE §5.2–§5.3): an admin of the primary
 * issues a one-time enrolment token; an admin of the secondary links it to the primary with
 * the token. Both sides check the protocol version and DPM's topology rules (topology-rules.ts)
 * on their own view of the catalog before recording anything, and both then know the other
 * by its public key only; every later request between them is signed (server/peer).
 */
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { and, desc, eq, isNull, or } from "drizzle-orm";
import type { CatalogDb } from "@/db/client";
import { peerEnrolmentTokens, serverLinks, servers } from "@/db/schema";
import type { Services } from "@/server/services";
import { ProtocolError, keyIdOf } from "@/server/agent/protocol";
import { PEER_PROTOCOL_VERSION, PeerRefusal, RELEASE_VERSION, protocolMismatch, type EnrolRequest, type PeerDescription, type PeerTopologyView } from "@/server/peer/peer-protocol";
import { enrolWithPrimary, peerHello } from "@/server/peer/peer-client";
import type { PeerDirectory } from "@/server/peer/peer-api";
import { DomainError } from "../errors";
import { checkLink, topologyGraph, type ProtectionLink, type Topology, type TopologyIssue } from "./topology-rules";
import { recordHeartbeatFrom } from "./heartbeats";
import { acceptUnlink } from "./remove-link";
import { linkHealthByEdge, peerProtectionService, recordLinkStatus } from "./secondary-protection";
import { checkRebuildToken, redeemRebuild } from "./rebuild";

export const ENROLMENT_TOKEN_TTL_MS = 24 * 3600_000;
export const MAX_ENROLMENT_FAILURES = 5;

export const hashToken = (token: string) => createHash("sha256").update(token).digest("hex");

export function selfServer(db: CatalogDb) {
  const self = db.select({ id: servers.id, name: servers.name }).from(servers).where(eq(servers.isSelf, true)).get();
  if (!self) throw new DomainError("PRECONDITION", "this server is not registered in its catalog yet");
  return self;
}

/** This server as its peers see it. */
export function selfDescription(services: Services): PeerDescription {
  const self = selfServer(services.db);
  return { id: self.id, name: self.name, url: services.protection.publicUrl, publicKey: services.protection.identity().publicKey, version: RELEASE_VERSION, protocol: PEER_PROTOCOL_VERSION };
}

/** The servers and links this catalog knows, as the topology rules read them. */
export function catalogTopology(db: CatalogDb): Topology {
  const rows = db.select({ id: servers.id, name: servers.name, isSelf: servers.isSelf, version: servers.version }).from(servers).all();
  const links = db.select({ primary: serverLinks.primaryId, secondary: serverLinks.secondaryId }).from(serverLinks).orderBy(serverLinks.createdAt).all();
  return {
    servers: rows.map((r) => ({ id: r.id, name: r.name, ...((r.isSelf ? RELEASE_VERSION : r.version) && { version: (r.isSelf ? RELEASE_VERSION : r.version)! }) })),
    links,
    protectedSources: [],
  };
}

/** A catalog's topology with what a peer adds to it (the peer's own view, for the chain beyond). */
function merged(t: Topology, extra: PeerTopologyView): Topology {
  const servers = [...t.servers];
  for (const s of extra.servers) if (!servers.some((k) => k.id === s.id)) servers.push(s);
  const links = [...t.links];
  for (const l of extra.links) if (!links.some((k) => k.primary === l.primary && k.secondary === l.secondary)) links.push(l);
  return { ...t, servers, links };
}

const describeIssues = (issues: TopologyIssue[]) => issues.map((i) => `${i.message} (rule: ${i.rule})`).join(" ");

/**
 * A one-time token (shown once; only its hash is kept, for 24 hours): an enrolment token, or with
 * `forServerId` a rebuild token for that server. A newer token of the same kind replaces the pending one.
 */
export function issueOneTimeToken(services: Services, o: { by: string; forServerId?: string }): { token: string; expiresAt: Date } {
  const now = services.clock.now();
  const token = randomBytes(24).toString("base64url");
  const expiresAt = new Date(now.getTime() + ENROLMENT_TOKEN_TTL_MS);
  const sameKind = o.forServerId ? eq(peerEnrolmentTokens.forServerId, o.forServerId) : isNull(peerEnrolmentTokens.forServerId);
  services.db.transaction((tx) => {
    tx.update(peerEnrolmentTokens).set({ closedAt: now, closedReason: "replaced" }).where(and(isNull(peerEnrolmentTokens.closedAt), sameKind)).run();
    tx.insert(peerEnrolmentTokens).values({ tokenHash: hashToken(token), createdBy: o.by, createdAt: now, expiresAt, forServerId: o.forServerId ?? null }).run();
  });
  return { token, expiresAt };
}

/** Issues a one-time enrolment token for a secondary. */
export function createEnrolmentToken(services: Services, o: { by: string }): { token: string; expiresAt: Date } {
  const issued = issueOneTimeToken(services, o);
  services.log.info({ by: o.by, expiresAt: issued.expiresAt }, "peer enrolment token issued");
  return issued;
}

/** Inserts or refreshes a peer's row; a name another server already has gets the id's start appended. */
function recordPeer(tx: CatalogDb, d: PeerDescription, url: string, now: Date): void {
  const existing = tx.select({ id: servers.id }).from(servers).where(eq(servers.id, d.id)).get();
  const fields = { url, publicKey: d.publicKey, keyId: keyIdOf(d.publicKey), version: d.version, peerProtocol: d.protocol };
  if (existing) {
    tx.update(servers).set(fields).where(eq(servers.id, d.id)).run();
    return;
  }
  const taken = tx.select({ id: servers.id }).from(servers).where(eq(servers.name, d.name)).get();
  tx.insert(servers)
    .values({ id: d.id, name: taken ? `${d.name} (${d.id.slice(0, 8)})` : d.name, createdAt: now, ...fields })
    .run();
}

/** A peer that is known already must come back with the same key: a server's identity does not change. */
function keyConflict(db: CatalogDb, d: PeerDescription): string | null {
  const row = db.select({ name: servers.name, publicKey: servers.publicKey, isSelf: servers.isSelf }).from(servers).where(eq(servers.id, d.id)).get();
  if (!row || row.isSelf || !row.publicKey || row.publicKey === d.publicKey) return null;
  return `this server knows ${row.name} (${d.id}) with another key; a server keeps its identity, so this is another server using its id`;
}

/**
 * The primary's side of enrolment (POST /peer-api/v1/enrol): version, token, topology, then
 * the secondary is recorded and the token spent, in one transaction.
 */
export function acceptEnrolment(services: Services, request: EnrolRequest): PeerDescription {
  const self = selfDescription(services);
  if (request.protocol !== PEER_PROTOCOL_VERSION || request.server.protocol !== PEER_PROTOCOL_VERSION) {
    throw new PeerRefusal(protocolMismatch(PEER_PROTOCOL_VERSION, request.protocol), 409, ["same-version"]);
  }
  const now = services.clock.now();
  // Refusals are returned, not thrown, from the transaction: a wrong try must stay counted.
  const outcome = services.db.transaction((tx): PeerDescription | PeerRefusal => {
    const pending = tx.select().from(peerEnrolmentTokens).where(and(isNull(peerEnrolmentTokens.closedAt), isNull(peerEnrolmentTokens.forServerId))).orderBy(desc(peerEnrolmentTokens.id)).get();
    if (!pending || pending.expiresAt.getTime() < now.getTime()) {
      return new PeerRefusal("no enrolment token is pending on this server (a token works once and for 24 hours): ask its admin for a new one", 401);
    }
    if (!timingSafeEqual(Buffer.from(hashToken(request.token), "hex"), Buffer.from(pending.tokenHash, "hex"))) {
      const failures = pending.failures + 1;
      const burnt = failures >= MAX_ENROLMENT_FAILURES;
      tx.update(peerEnrolmentTokens)
        .set({ failures, ...(burnt && { closedAt: now, closedReason: "burnt" as const }) })
        .where(eq(peerEnrolmentTokens.id, pending.id))
        .run();
      services.log.warn({ from: request.server.name, failures, burnt }, "wrong peer enrolment token");
      return new PeerRefusal(burnt ? "wrong enrolment token; after too many wrong tries the pending token is burnt: ask for a new one" : "wrong enrolment token", 401);
    }
    const conflict = keyConflict(tx, request.server);
    if (conflict) return new PeerRefusal(conflict, 409);
    const link: ProtectionLink = { primary: self.id, secondary: request.server.id };
    const view = merged(catalogTopology(tx), {
      servers: [{ id: request.server.id, name: request.server.name, version: request.server.version }, ...request.topology.servers],
      links: request.topology.links,
    });
    const issues = checkLink(view, link);
    if (issues.length) return new PeerRefusal(`${self.name} refuses to be protected by ${request.server.name}: ${describeIssues(issues)}`, 409, issues.map((i) => i.rule));
    recordPeer(tx, request.server, request.server.url, now);
    tx.insert(serverLinks).values({ primaryId: link.primary, secondaryId: link.secondary, createdAt: now, lastContactAt: now }).run();
    tx.update(servers).set({ lastContactAt: now }).where(eq(servers.id, request.server.id)).run();
    tx.update(peerEnrolmentTokens).set({ closedAt: now, closedReason: "used", usedByServerId: request.server.id }).where(eq(peerEnrolmentTokens.id, pending.id)).run();
    return self;
  });
  if (outcome instanceof PeerRefusal) throw outcome;
  return outcome;
}

/** Protocol failures during linking, as the domain reports them (on the form's fields). */
function linkFailure(err: unknown, url: string): never {
  if (err instanceof ProtocolError) {
    if (err.status === 401) throw new DomainError("FORBIDDEN", err.message, url, { token: [err.message] });
    if (err.status === 409) throw new DomainError("CONFLICT", err.message, url, { url: [err.message] });
    if (err.status === 502) throw new DomainError("PRECONDITION", err.message, url, { url: [`${err.message}. Is the primary running, and is this its address?`] });
    throw new DomainError("PRECONDITION", err.message, url, { url: [err.message] });
  }
  throw err;
}

/**
 * The secondary's side: links this server to the primary at `url` with the primary's one-time
 * token. Version and topology are checked here first (nothing is sent if this side refuses),
 * then by the primary, which records this server; then this server records the primary.
 */
export async function linkPrimary(services: Services, input: { url: string; token: string }) {
  const self = selfDescription(services);
  if (!self.url) throw new DomainError("PRECONDITION", "this server's URL is not known yet");
  const url = input.url.replace(/\/+$/, "");
  const hello = await peerHello(url).catch((err: unknown) => linkFailure(err, url));
  if (hello.protocol !== PEER_PROTOCOL_VERSION) {
    const message = protocolMismatch(PEER_PROTOCOL_VERSION, hello.protocol);
    throw new DomainError("CONFLICT", message, url, { url: [message] });
  }
  const conflict = keyConflict(services.db, hello);
  if (conflict) throw new DomainError("CONFLICT", conflict, url, { url: [conflict] });
  const link: ProtectionLink = { primary: hello.id, secondary: self.id };
  const mine = catalogTopology(services.db);
  const issues = checkLink(merged(mine, { servers: [{ id: hello.id, name: hello.name, version: hello.version }], links: [] }), link);
  if (issues.length) {
    const message = `${self.name} cannot protect ${hello.name}: ${describeIssues(issues)}`;
    throw new DomainError("CONFLICT", message, url, { url: [message] });
  }
  const view: PeerTopologyView = { servers: mine.servers.map(({ id, name, version }) => ({ id, name, version })), links: mine.links };
  const primary = await enrolWithPrimary(url, { protocol: PEER_PROTOCOL_VERSION, token: input.token.trim(), server: self, topology: view }).catch((err: unknown) => linkFailure(err, url));
  if (primary.id !== hello.id || primary.publicKey !== hello.publicKey) {
    throw new DomainError("CONFLICT", `the server at ${url} changed its identity during enrolment; nothing was recorded here`, url, { url: ["the server answered with another identity"] });
  }
  const now = services.clock.now();
  services.db.transaction((tx) => {
    recordPeer(tx, primary, url, now);
    const exists = tx.select({ p: serverLinks.primaryId }).from(serverLinks).where(and(eq(serverLinks.primaryId, primary.id), eq(serverLinks.secondaryId, self.id))).get();
    if (!exists) tx.insert(serverLinks).values({ primaryId: primary.id, secondaryId: self.id, createdAt: now, lastContactAt: now }).run();
    tx.update(servers).set({ lastContactAt: now }).where(eq(servers.id, primary.id)).run();
  });
  services.log.info({ primary: primary.name, id: primary.id, url }, "linked to a primary server");
  return { primary: { id: primary.id, name: primary.name, url } };
}

/** The peer API's view of the catalog: who may sign requests, and enrolment. */
export function peerDirectory(services: Services): PeerDirectory {
  return {
    self: () => selfDescription(services),
    byKeyId(keyId) {
      const row = services.db
        .select({ id: servers.id, name: servers.name, publicKey: servers.publicKey })
        .from(servers)
        .where(and(eq(servers.keyId, keyId), eq(servers.isSelf, false)))
        .get();
      if (!row || !row.publicKey) return null;
      // Only a server linked with this one (either way) may call it.
      const linked = services.db
        .select({ p: serverLinks.primaryId })
        .from(serverLinks)
        .where(or(eq(serverLinks.primaryId, row.id), eq(serverLinks.secondaryId, row.id)))
        .get();
      return linked ? row : null;
    },
    enrol: (request) => acceptEnrolment(services, request),
    heartbeatFrom: (peerId, at, link) => {
      recordHeartbeatFrom(services, peerId, at);
      if (link) recordLinkStatus(services, peerId, link, at);
    },
    protection: peerProtectionService(services),
    unlink: (peerId, request) => acceptUnlink(services, peerId, request),
    rebuild: (request) => redeemRebuild(services, request),
    rebuildCheck: (request) => checkRebuildToken(services, request),
  };
}

/** The servers this one knows, with their role towards it (the Servers page's list). */
export function listServersWithPeers(db: CatalogDb) {
  const rows = db
    .select({ id: servers.id, name: servers.name, isSelf: servers.isSelf, url: servers.url, createdAt: servers.createdAt, lastContactAt: servers.lastContactAt, version: servers.version, keyId: servers.keyId })
    .from(servers)
    .all();
  const self = rows.find((r) => r.isSelf);
  const links = db.select().from(serverLinks).all();
  return rows
    .map((r) => ({
      ...r,
      version: r.isSelf ? RELEASE_VERSION : r.version,
      /** This server protects it (it is one of this server's primaries). */
      isPrimary: !!self && links.some((l) => l.primaryId === r.id && l.secondaryId === self.id),
      /** It protects this server (it is this server's secondary). */
      isSecondary: !!self && links.some((l) => l.secondaryId === r.id && l.primaryId === self.id),
    }))
    .sort((a, b) => Number(b.isSelf) - Number(a.isSelf) || a.name.localeCompare(b.name));
}

/**
 * The topology page's graph: this server, its primaries, its secondary and the chain it knows,
 * with each link's last contact and, for the links this server is an end of, its health, lag
 * and last catalog copy (a link further down the chain is another server's to judge: "unknown").
 */
export function serverTopology(services: Services) {
  const db = services.db;
  const self = selfServer(db);
  const graph = topologyGraph(catalogTopology(db), self.id);
  const links = db.select().from(serverLinks).all();
  const lastContact = new Map(db.select({ id: servers.id, at: servers.lastContactAt }).from(servers).all().map((r) => [r.id, r.at]));
  const health = linkHealthByEdge(services);
  return {
    selfId: self.id,
    nodes: graph.nodes.map((n) => ({ ...n, lastContactAt: n.id === self.id ? null : (lastContact.get(n.id) ?? null) })),
    edges: graph.edges.map((e) => {
      const h = e.primary === self.id || e.secondary === self.id ? health.get(`${e.primary}>${e.secondary}`) : undefined;
      return {
        ...e,
        lastContactAt: links.find((l) => l.primaryId === e.primary && l.secondaryId === e.secondary)?.lastContactAt ?? null,
        state: h?.state ?? ("unknown" as const),
        lagSeconds: h?.lagSeconds ?? null,
        reasons: h?.reasons ?? [],
        lastCatalogCopyAt: h?.lastCatalogCopyAt ?? null,
        lastReplicationAt: h?.lastReplicationAt ?? null,
        switchedSources: h?.switchedSources ?? 0,
        protectedSources: h?.protectedSources ?? 0,
      };
    }),
  };
}
