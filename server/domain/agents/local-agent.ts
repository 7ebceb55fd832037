/**
 * The built-in agent of `custodian serve`: the server protects its own computer through the
 * same agent and protocol as any other (so the embedded default needs no second process),
 * listening on loopback only, paired with its server automatically on first start.
 */
import path from "node:path";
import { eq } from "drizzle-orm";
import type { Logger } from "pino";
import { agents } from "@/db/schema";
import type { Services } from "@/server/services";
import { AgentState, ProtectionAgent, startAgentServer } from "@/server/agent/agent";
import { pairComputer, selfPeer } from "./agents";

export async function startLocalAgent(services: Services, dataDir: string, log: Logger): Promise<{ state: AgentState; close(): Promise<void> }> {
  const state = AgentState.open(path.join(dataDir, "local-agent"));
  const agent = new ProtectionAgent(state, log);
  const server = await startAgentServer({ agent, host: "127.0.0.1", port: 0 });
  const self = selfPeer(services);
  const row = services.db.select({ id: agents.id }).from(agents).where(eq(agents.id, state.id)).get();
  if (state.owner?.id !== self.id || !row) {
    // First start (or the catalog was replaced): pair as any agent would, with a fresh token.
    if (state.owner && state.owner.id !== self.id) state.resetOwnership();
    await pairComputer(services, { url: server.url, token: state.issuePairingToken(), builtIn: true });
    log.info({ agentId: state.id }, "built-in agent paired");
  } else {
    // Its port is chosen anew at each start, and the server's may change too.
    services.db.update(agents).set({ url: server.url }).where(eq(agents.id, state.id)).run();
    state.updateOwnerUrl(self.url);
  }
  return { state, close: () => server.close() };
}
