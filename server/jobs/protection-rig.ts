/**
 * Test rig: a server's services on an in-memory catalog with a real pool, its agent API on
 * loopback, and a real protection agent (in this process) paired with it, so tests drive
 * protection through the tRPC procedures and the real engine.
 */
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import type { AddressInfo } from "node:net";
import pino from "pino";
import { createTestServices, signedInAs } from "@/server/testing/test-services";
import { ensureSelfServer } from "@/server/domain/servers/ensure-self-server";
import { AgentApi } from "@/server/agent/agent-api";
import { AgentState, ProtectionAgent, startAgentServer } from "@/server/agent/agent";
import { agentDirectory, pairComputer } from "@/server/domain/agents/agents";
import { ProtectionRuntime } from "@/server/protection-runtime";
import { rediscoverSources } from "./protection-loop";

export async function protectionRig(o: { sources: { name: string; kind: "folder" | "sqlite"; path: string }[] }) {
  const cleanup: (() => Promise<void> | void)[] = [];
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "custodian-rig-"));
  cleanup.push(() => fs.rmSync(dir, { recursive: true, force: true }));
  const { services, clock } = createTestServices({ now: new Date().toISOString() });
  // The agent signs with real time; the catalog's clock follows it unless a test moves it.
  services.protection = new ProtectionRuntime(path.join(dir, "server"));
  const self = ensureSelfServer(services.db, { name: "rig-server", now: clock.now() });
  const log = pino({ level: "silent" });
  const api = new AgentApi({ store: services.protection.pool(), serverId: self.id, directory: agentDirectory(services), log });
  const httpServer = http.createServer((req, res) => void api.handle(req, res));
  await new Promise<void>((r) => httpServer.listen(0, "127.0.0.1", r));
  services.protection.publicUrl = `http://127.0.0.1:${(httpServer.address() as AddressInfo).port}`;
  cleanup.push(
    () =>
      new Promise<void>((r) => {
        api.close();
        httpServer.closeAllConnections();
        httpServer.close(() => r());
      }),
  );
  const state = AgentState.open(path.join(dir, "agent"), { name: "pc-1" });
  state.setSources(o.sources);
  const agent = new ProtectionAgent(state, log);
  const agentServer = await startAgentServer({ agent, host: "127.0.0.1", port: 0 });
  cleanup.push(() => agentServer.close());
  await pairComputer(services, { url: agentServer.url, token: state.issuePairingToken() });
  // In this process, like the built-in agent of `serve`: agents.addLocalSource works on it.
  services.protection.localAgent = state;
  await rediscoverSources(services);
  const admin = (await signedInAs(services, "admin", "ada")).caller;
  const helpdesk = (await signedInAs(services, "helpdesk", "hal")).caller;
  const manager = (await signedInAs(services, "manager", "max")).caller;
  return {
    services,
    clock,
    dir,
    state,
    admin,
    helpdesk,
    manager,
    /** Runs queued jobs until none is left. */
    async drain() {
      for (let i = 0; i < 50; i++) {
        services.jobs.pump();
        await services.jobs.idle();
        const queued = services.db.$client.prepare("SELECT count(*) AS n FROM jobs WHERE state = 'queued'").get() as { n: number };
        if (queued.n === 0 && services.jobs.runningIds.length === 0) return;
      }
      throw new Error("jobs did not drain");
    },
    async close() {
      await services.jobs.stop();
      for (const f of cleanup.reverse()) await f();
      services.db.$client.close();
    },
  };
}
