/**
 * The built-in agent of `custodian serve`: the server protects its own computer through the
 * same agent and protocol as any other (so the embedded default needs no second process),
 * listening on loopback only, paired with its server automatically on first start.
 */
import fs from "node:fs";
import path from "node:path";
import { and, eq, ne } from "drizzle-orm";
import type { Logger } from "pino";
import { agents } from "@/db/schema";
import type { Services } from "@/server/services";
import { AgentState, ProtectionAgent, parseSourceSpec, startAgentServer } from "@/server/agent/agent";
import { DomainError } from "../errors";
import { recordDiscoveredSources } from "../protection/data-sources";
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
    // A catalog from another machine (a rebuilt primary's) names that machine's built-in agent,
    // gone with it: this one takes its place, so the server's own computer stays one computer
    // whose data sources keep their history (and show missing until they are added here again).
    const previous = services.db.select({ id: agents.id }).from(agents).where(and(eq(agents.builtIn, true), ne(agents.id, state.id))).get();
    await pairComputer(services, { url: server.url, token: state.issuePairingToken(), builtIn: true, replacing: previous?.id });
    log.info({ agentId: state.id, replaced: previous?.id }, previous ? "built-in agent paired in place of the catalog's previous one" : "built-in agent paired");
  } else {
    // Its port is chosen anew at each start, and the server's may change too.
    services.db.update(agents).set({ url: server.url }).where(eq(agents.id, state.id)).run();
    state.updateOwnerUrl(self.url);
  }
  services.protection.localAgent = state;
  return { state, close: () => server.close() };
}

/**
 * Adds a folder or database of this server's own computer to the built-in agent (what
 * `custodian agent --folder NAME=PATH` does for a remote one), then records it as a data
 * source. The path must exist: a typo would otherwise become a "data source missing" alert.
 */
export async function addLocalSource(services: Services, input: { name: string; kind: "folder" | "sqlite"; path: string }) {
  const state = services.protection.localAgent;
  if (!state) throw new DomainError("PRECONDITION", "this server has no built-in agent running");
  let source;
  try {
    source = parseSourceSpec(`${input.name}=${input.path}`, input.kind);
  } catch (err) {
    const message = (err as Error).message;
    throw new DomainError("INVALID", message, input.name, /path/.test(message) ? { path: [message] } : { name: [message] });
  }
  if (state.sources.some((s) => s.name === source.name)) throw new DomainError("CONFLICT", `a data source named ${source.name} exists already`, source.name, { name: ["this name is taken on this computer"] });
  let st: fs.Stats;
  try {
    st = fs.statSync(source.path);
  } catch {
    throw new DomainError("INVALID", `${source.path} does not exist on this server`, source.path, { path: ["no such file or folder on this server"] });
  }
  if (source.kind === "folder" && !st.isDirectory()) throw new DomainError("INVALID", `${source.path} is not a folder`, source.path, { path: ["not a folder"] });
  if (source.kind === "sqlite" && !st.isFile()) throw new DomainError("INVALID", `${source.path} is not a file`, source.path, { path: ["not a database file"] });
  state.setSources([...state.sources, source]);
  const row = services.db.select({ computerId: agents.computerId }).from(agents).where(eq(agents.id, state.id)).get();
  if (row) recordDiscoveredSources(services.db, row.computerId, state.sources.map((s) => ({ ...s, present: fs.existsSync(s.path) })), services.clock.now());
  return source;
}
