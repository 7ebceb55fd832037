/**
 * Protected computers and their agents: pairing (the agent's one-time token), the directory
 * the agent API checks signatures against, and running a backup or a restore on an agent
 * now. (Scheduled jobs, progress rows and alerts build on these in the protection layer.)
 */
import { and, eq } from "drizzle-orm";
import type { Services } from "@/server/services";
import { agents, protectedComputers, servers } from "@/db/schema";
import { AgentClient, pairAgent, type AgentDescription, type SelfPeer } from "@/server/agent/agent-client";
import { agentSourceLabel, type AgentDirectory } from "@/server/agent/agent-api";
import { ProtocolError, keyIdOf } from "@/server/agent/protocol";
import { listManifestIds, readHeader, type ManifestHeader } from "@/server/engine/manifest";
import { DomainError } from "../errors";
import { recordDiscoveredSources } from "../protection/data-sources";

export function selfPeer(services: Services): SelfPeer {
  const self = services.db.select({ id: servers.id, name: servers.name }).from(servers).where(eq(servers.isSelf, true)).get();
  if (!self) throw new DomainError("PRECONDITION", "this server is not registered in its catalog yet");
  const identity = services.protection.identity();
  return { id: self.id, name: self.name, url: services.protection.publicUrl, publicKey: identity.publicKey, identity };
}

/** Protocol failures, as the domain reports them. */
function mapProtocol(err: unknown): never {
  if (err instanceof ProtocolError) {
    if (err.status === 401) throw new DomainError("FORBIDDEN", err.message);
    if (err.status === 409) throw new DomainError("CONFLICT", err.message);
    if (err.status === 404) throw new DomainError("NOT_FOUND", err.message);
    throw new DomainError("PRECONDITION", err.message);
  }
  throw err;
}

export interface PairedComputer {
  computerId: number;
  agentId: string;
  name: string;
  sources: AgentDescription["sources"];
}

/** Pairs with the agent at `url` using its one-time token, and records it as a protected computer. */
export async function pairComputer(
  services: Services,
  input: {
    url: string;
    token: string;
    builtIn?: boolean;
    /** A built-in agent this one replaces (the catalog came from another machine): it takes that agent's computer, with its data sources' history. */
    replacing?: string;
  },
): Promise<PairedComputer> {
  const self = selfPeer(services);
  if (!self.url) throw new DomainError("PRECONDITION", "this server's URL is not known yet");
  const desc = await pairAgent(input.url, input.token, self).catch((err: unknown) => {
    // Pairing refusals belong to a field of the form: a wrong token, or an address that does not answer.
    if (err instanceof ProtocolError && err.status === 401) {
      throw new DomainError("FORBIDDEN", err.message, input.url, { token: [`${err.message}. A token works once and for 24 hours; start the agent with --new-token for a fresh one.`] });
    }
    if (err instanceof ProtocolError && err.status === 502) throw new DomainError("PRECONDITION", err.message, input.url, { url: [`${err.message}. Is the agent running, and is this its address?`] });
    return mapProtocol(err);
  });
  const now = services.clock.now();
  return services.db.transaction((tx) => {
    const existing = tx.select({ computerId: agents.computerId }).from(agents).where(eq(agents.id, desc.id)).get();
    const replaced = !existing && input.replacing ? tx.select({ computerId: agents.computerId }).from(agents).where(and(eq(agents.id, input.replacing), eq(agents.builtIn, true))).get() : undefined;
    let computerId: number;
    if (replaced) {
      computerId = replaced.computerId;
      tx.delete(agents).where(eq(agents.id, input.replacing!)).run();
      tx.insert(agents).values({ id: desc.id, computerId, url: input.url, publicKey: desc.publicKey, keyId: keyIdOf(desc.publicKey), builtIn: true, pairedAt: now }).run();
    } else if (existing) {
      computerId = existing.computerId;
      tx.update(agents).set({ url: input.url, publicKey: desc.publicKey, keyId: keyIdOf(desc.publicKey), pairedAt: now }).where(eq(agents.id, desc.id)).run();
    } else {
      // Two computers may share a host name; the second gets its agent id's start appended.
      const taken = tx.select({ id: protectedComputers.id }).from(protectedComputers).where(eq(protectedComputers.name, desc.name)).get();
      const name = taken ? `${desc.name} (${desc.id.slice(0, 8)})` : desc.name;
      computerId = tx.insert(protectedComputers).values({ name, createdAt: now }).returning({ id: protectedComputers.id }).get().id;
      tx.insert(agents).values({ id: desc.id, computerId, url: input.url, publicKey: desc.publicKey, keyId: keyIdOf(desc.publicKey), builtIn: input.builtIn ?? false, pairedAt: now }).run();
    }
    const name = tx.select({ name: protectedComputers.name }).from(protectedComputers).where(eq(protectedComputers.id, computerId)).get()!.name;
    // The data sources it declared are known at once, ready to be protected.
    recordDiscoveredSources(tx, computerId, desc.sources, now);
    return { computerId, agentId: desc.id, name, sources: desc.sources };
  });
}

export function listAgents(services: Services) {
  return services.db
    .select({ agentId: agents.id, computerId: agents.computerId, name: protectedComputers.name, url: agents.url, builtIn: agents.builtIn, pairedAt: agents.pairedAt, lastContactAt: agents.lastContactAt })
    .from(agents)
    .innerJoin(protectedComputers, eq(protectedComputers.id, agents.computerId))
    .orderBy(protectedComputers.name)
    .all();
}

/** The agent API's view of the catalog: who may sign requests. */
export function agentDirectory(services: Services): AgentDirectory {
  return {
    byKeyId(keyId) {
      const row = services.db
        .select({ id: agents.id, name: protectedComputers.name, publicKey: agents.publicKey })
        .from(agents)
        .innerJoin(protectedComputers, eq(protectedComputers.id, agents.computerId))
        .where(eq(agents.keyId, keyId))
        .get();
      return row ?? null;
    },
    touch(agentId, at) {
      services.db.update(agents).set({ lastContactAt: at }).where(eq(agents.id, agentId)).run();
    },
  };
}

/** A client for calls to a paired agent, signed as this server. */
export function clientFor(services: Services, agentId: string): AgentClient {
  const row = services.db.select({ id: agents.id, url: agents.url }).from(agents).where(eq(agents.id, agentId)).get();
  if (!row) throw new DomainError("NOT_FOUND", "no such agent", agentId);
  return new AgentClient(row, selfPeer(services));
}

export async function describeAgent(services: Services, agentId: string): Promise<AgentDescription> {
  return clientFor(services, agentId).describe().catch(mapProtocol);
}

export async function backupNow(services: Services, input: { agentId: string; source: string }): Promise<ManifestHeader> {
  const header = await clientFor(services, input.agentId).backup(input.source).catch(mapProtocol);
  services.log.info({ agent: input.agentId, source: input.source, recoveryPoint: header.id }, "recovery point made");
  return header;
}

/** Recovery points of one source of an agent, newest first. */
export function agentRecoveryPoints(services: Services, input: { agentId: string; source: string }) {
  const pool = services.protection.pool();
  const label = agentSourceLabel(input.agentId, input.source);
  const out: { id: string; time: string; files: number; bytes: number }[] = [];
  for (const id of listManifestIds(pool.dir).reverse()) {
    const h = readHeader(pool.dir, id);
    if (h.source === label) out.push({ id, time: h.time, files: h.stats.files, bytes: h.stats.bytes });
  }
  return out;
}

export async function restoreNow(
  services: Services,
  input: { agentId: string; source: string; recoveryPoint: string; target?: string; existing?: "overwrite" | "skip" | "copy" },
) {
  return clientFor(services, input.agentId)
    .restore(input.source, input.recoveryPoint, { target: input.target, existing: input.existing })
    .catch(mapProtocol);
}
