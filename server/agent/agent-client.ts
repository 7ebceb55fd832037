/**
 * The server's calls to a protection agent: pair with its one-time token, list its sources,
 * run a backup or a restore there (progress streams back as NDJSON), hand it to another
 * server, name a standby or drop one, take ownership as a standby.
 */
import type { BackupProgress } from "@/server/engine/archiver";
import { validateHeader, type ManifestHeader } from "@/server/engine/manifest";
import { PROTOCOL_VERSION, ProtocolError, ndjsonLines, signedFetch, type Identity } from "./protocol";
import type { ServerPeer } from "./server-link";

export interface AgentDescription {
  protocol: number;
  id: string;
  name: string;
  publicKey: string;
  owner: { id: string; name: string } | null;
  standby: { id: string; name: string }[];
  sources: { name: string; kind: "folder" | "sqlite"; path: string; present: boolean }[];
}

export interface RestoreReport {
  counts: Record<string, number>;
  bytes: number;
  target: string;
  problems: { path: string; outcome: string; detail?: string }[];
}

/** This server, as agents must know it. */
export interface SelfPeer extends ServerPeer {
  identity: Identity;
}

export async function pairAgent(agentUrl: string, token: string, self: SelfPeer): Promise<AgentDescription> {
  const res = await fetch(new URL("/v1/pair", agentUrl), {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ protocol: PROTOCOL_VERSION, token, server: { id: self.id, name: self.name, url: self.url, publicKey: self.publicKey } }),
  }).catch((err: unknown) => {
    throw new ProtocolError(`cannot reach the agent at ${agentUrl}: ${(err as Error).message}`, 502);
  });
  const body = (await res.json().catch(() => ({}))) as AgentDescription & { error?: string };
  if (!res.ok) throw new ProtocolError(body.error ?? `pairing failed: ${res.status}`, res.status);
  return body;
}

export class AgentClient {
  constructor(
    private readonly agent: { id: string; url: string },
    private readonly self: SelfPeer,
  ) {}

  private call(method: "GET" | "POST", path: string, json?: unknown, signal?: AbortSignal) {
    return signedFetch(this.agent.url, method, path, { identity: this.self.identity, audience: this.agent.id, json, signal }).catch((err: unknown) => {
      if (err instanceof ProtocolError) throw err;
      throw new ProtocolError(`cannot reach the agent at ${this.agent.url}: ${(err as Error).message}`, 502);
    });
  }

  async describe(): Promise<AgentDescription> {
    return (await (await this.call("GET", "/v1/sources")).json()) as AgentDescription;
  }

  async backup(source: string, o: { parent?: string | null; onProgress?: (p: BackupProgress) => void; signal?: AbortSignal } = {}): Promise<ManifestHeader> {
    const res = await this.call("POST", "/v1/backup", { source, parent: o.parent }, o.signal);
    for await (const line of ndjsonLines(res)) {
      const l = line as { progress?: BackupProgress; done?: unknown; error?: string };
      if (l.progress) o.onProgress?.(l.progress);
      if (l.error) throw new ProtocolError(`backup of ${source} failed on the agent: ${l.error}`, 502);
      if (l.done) return validateHeader(l.done, `recovery point from agent ${this.agent.id}`);
    }
    throw new ProtocolError(`the agent ended the backup of ${source} without a result`, 502);
  }

  async restore(
    source: string,
    recoveryPoint: string,
    o: { target?: string; paths?: Buffer[]; existing?: "overwrite" | "skip" | "copy"; onProgress?: (p: { files: number; bytes: number }) => void; signal?: AbortSignal } = {},
  ): Promise<RestoreReport> {
    const res = await this.call("POST", "/v1/restore", { source, recoveryPoint, target: o.target, existing: o.existing, paths: o.paths?.map((p) => p.toString("base64")) }, o.signal);
    for await (const line of ndjsonLines(res)) {
      const l = line as { progress?: { files: number; bytes: number }; done?: RestoreReport; error?: string };
      if (l.progress) o.onProgress?.(l.progress);
      if (l.error) throw new ProtocolError(`restore failed on the agent: ${l.error}`, 502);
      if (l.done) return l.done;
    }
    throw new ProtocolError("the agent ended the restore without a result", 502);
  }

  async handOver(to: ServerPeer): Promise<AgentDescription> {
    return (await (await this.call("POST", "/v1/hand-over", { server: to })).json()) as AgentDescription;
  }

  async addStandby(s: ServerPeer): Promise<AgentDescription> {
    return (await (await this.call("POST", "/v1/standby", { server: s })).json()) as AgentDescription;
  }

  /** As the owner: the standby `serverId` no longer protects this agent's sources (its link was removed). Idempotent. */
  async removeStandby(serverId: string, signal?: AbortSignal): Promise<AgentDescription> {
    return (await (await this.call("POST", "/v1/standby/remove", { serverId }, signal)).json()) as AgentDescription;
  }

  /** As a standby server: become the agent's owner (failover). */
  async takeOwnership(): Promise<AgentDescription> {
    return (await (await this.call("POST", "/v1/take-ownership", {})).json()) as AgentDescription;
  }
}
