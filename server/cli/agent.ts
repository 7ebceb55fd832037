/**
 * `custodian agent`: the protection agent on a protected computer. Loads the engine and the
 * agent protocol only (no Next, no catalog). Prints a one-time pairing token while no server
 * owns it; an admin gives that token and the agent's address to the server.
 */
import type { ServerPeer } from "@/server/agent/server-link";
import { UsageError } from "./pool";

export interface AgentOptions {
  data: string;
  host: string;
  port: string;
  name?: string;
  folder?: string[];
  sqlite?: string[];
  newToken?: boolean;
  resetOwnership?: boolean;
}

export async function runAgent(o: AgentOptions): Promise<number> {
  const { AgentState, ProtectionAgent, startAgentServer, parseSourceSpec, AgentConfigError } = await import("@/server/agent/agent");
  const port = Number(o.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port must be a port number, not ${JSON.stringify(o.port)}`);
  let state;
  try {
    state = AgentState.open(o.data, { name: o.name });
    if (o.folder || o.sqlite) state.setSources([...(o.folder ?? []).map((s) => parseSourceSpec(s, "folder")), ...(o.sqlite ?? []).map((s) => parseSourceSpec(s, "sqlite"))]);
  } catch (err) {
    if (err instanceof AgentConfigError) throw new UsageError(err.message);
    throw err;
  }
  if (o.resetOwnership) state.resetOwnership();
  const log = {
    info: (obj: object, msg: string) => process.stderr.write(JSON.stringify({ level: "info", time: new Date().toISOString(), msg, ...obj }) + "\n"),
    warn: (obj: object, msg: string) => process.stderr.write(JSON.stringify({ level: "warn", time: new Date().toISOString(), msg, ...obj }) + "\n"),
  };
  const agent = new ProtectionAgent(state, log);
  let server;
  try {
    server = await startAgentServer({ agent, host: o.host, port });
  } catch (err) {
    process.stderr.write(`custodian: cannot listen on ${o.host}:${port}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}\n`);
    return 2;
  }
  const owner: ServerPeer | null = state.owner;
  const lines = [
    `Sources: ${state.sources.length ? state.sources.map((s) => `${s.name} (${s.kind} ${s.path})`).join(", ") : "none (add --folder NAME=PATH or --sqlite NAME=PATH)"}`,
    owner && !o.newToken ? `Protected by server ${owner.name} (${owner.url}).` : `Pairing token (one use, valid 24 h): ${state.issuePairingToken()}`,
    `Custodian agent "${state.name}" (${state.id}) is running at ${server.url}`,
  ];
  process.stdout.write(`\n${lines.join("\n")}\n\n`);
  const signal = await new Promise<string>((resolve) => {
    process.once("SIGTERM", () => resolve("SIGTERM"));
    process.once("SIGINT", () => resolve("SIGINT"));
  });
  log.info({ signal }, "agent stopping");
  await server.close();
  return 0;
}
