import path from "node:path";
import { fileURLToPath } from "node:url";
import { Command, CommanderError, Option } from "commander";
import { ZodError } from "zod";
import { addPoolCommands, UsageError } from "./pool";
import { addCatalogCommands } from "./catalog-commands";
import type { AgentOptions } from "./agent";
import type { RebuildOptions } from "./rebuild";

const PROJECT_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");

function buildProgram(setExit: (code: number) => void): Command {
  const program = new Command("custodian")
    .description("Custodian: a data-protection manager. Backup servers protect workloads and each other.")
    .version("0.1.0")
    .showHelpAfterError("(run with --help for usage)")
    .exitOverride();

  program
    .command("serve")
    .description("Run a backup server: catalog, scheduler, API and web UI in one process.")
    .option("--data <dir>", "data directory: catalog, storage pool, virtual tape (env CUSTODIAN_DATA)", undefined)
    .option("--port <port>", "TCP port to listen on (env CUSTODIAN_PORT)", undefined)
    .option("--host <address>", "address to listen on (env CUSTODIAN_HOST)", undefined)
    .option("--name <name>", "this server's name (env CUSTODIAN_NAME; default: the host name)", undefined)
    .addOption(new Option("--demo", "create demo users with random passwords on an empty catalog (env CUSTODIAN_DEMO=1)"))
    .addOption(new Option("--no-demo", "do not create demo users"))
    .option("--dev", "run the UI in Next.js development mode (hot reload)")
    .option("--secure-cookies", "mark session cookies Secure (when served over HTTPS; env CUSTODIAN_SECURE_COOKIES)")
    .addOption(new Option("--log-level <level>", "log level (env CUSTODIAN_LOG_LEVEL)").choices(["fatal", "error", "warn", "info", "debug", "trace", "silent"]))
    .action(async (opts: Record<string, unknown>) => {
      const { resolveServeConfig } = await import("../config");
      const config = resolveServeConfig(
        { dataDir: opts.data, port: opts.port, host: opts.host, name: opts.name, demo: opts.demo, dev: opts.dev, logLevel: opts.logLevel, secureCookies: opts.secureCookies },
        process.env,
      );
      // Must be set before Next and the API modules load: production mode hides stack traces.
      (process.env as Record<string, string>).NODE_ENV = config.dev ? "development" : "production";
      const { serve } = await import("./serve");
      setExit(await serve(config, PROJECT_DIR));
    });

  const collect = (v: string, prev: string[] = []) => [...prev, v];
  program
    .command("agent")
    .description("Run a protection agent on this computer: it backs up the sources you give it for the one server that pairs with it.")
    .option("--data <dir>", "agent state folder: identity, sources, owner", "./agent-data")
    .option("--host <address>", "address to listen on", "127.0.0.1")
    .option("--port <port>", "TCP port to listen on", "3200")
    .option("--name <name>", "this computer's name as servers show it (default: the host name)")
    .option("--folder <NAME=PATH>", "a folder to protect (repeatable; replaces the saved sources)", collect)
    .option("--sqlite <NAME=PATH>", "a SQLite database file to protect (repeatable)", collect)
    .option("--new-token", "print a new one-time pairing token even when a server owns this agent")
    .option("--reset-ownership", "forget the owning server (for a computer moved to a new server by hand)")
    .action(async (opts: AgentOptions) => {
      const { runAgent } = await import("./agent");
      setExit(await runAgent(opts));
    });

  program
    .command("rebuild")
    .description("Rebuild a lost primary server from its secondary into an empty data folder: its catalog, then its recovery points (run before `serve`).")
    .requiredOption("--data <dir>", "the new server's data folder (empty)")
    .requiredOption("--secondary <url>", "the secondary server that protected the lost primary")
    .requiredOption("--token <token>", "the one-time rebuild token from the secondary (Servers → the link → Rebuild token)")
    .requiredOption("--url <url>", "the address the rebuilt server will serve at, e.g. http://backup1:3000 (agents are handed to it there)")
    .option("--json", "print the report as JSON")
    .action(async (opts: RebuildOptions) => {
      const { runRebuild } = await import("./rebuild");
      setExit(await runRebuild(opts));
    });

  program
    .command("lab")
    .description(
      "Run a lab on this machine: three servers protecting each other in a chain and a protection agent, as child processes on loopback, configured and replicating. Ctrl-C stops them all.",
    )
    .requiredOption("--data <dir>", "the lab's folder: each server's data, the workstation's sample data, logs and lab-credentials.txt (reused when it exists)")
    .option("--port <base>", "first of four consecutive ports: primary, secondary, tertiary, agent (default: the folder's, else 3100; 0 picks free ones)")
    .option("--host <address>", "loopback address to listen on", "127.0.0.1")
    .addHelpText(
      "after",
      `
Processes (BASE = --port):
  lab-primary      BASE     custodian serve --demo (sample data, demo users, dashboard)
  lab-secondary    BASE+1   protects lab-primary: its catalog and every protected source, every 15 minutes
  lab-tertiary     BASE+2   protects lab-secondary (a chain)
  lab-workstation  BASE+3   custodian agent with sample folders and a SQLite database, protected by lab-primary

Sign-in details go to DIR/lab-credentials.txt (mode 0600); each process logs to DIR/logs/NAME.log.
Running it again on the same folder reuses it. Exit codes: 0 stopped by Ctrl-C or SIGTERM; 1 a process
failed to start or died, or the set-up failed; 2 a usage problem (ports in use, a lab already running).`,
    )
    .action(async (opts: { data: string; port?: string; host: string }) => {
      const port = opts.port === undefined ? undefined : Number(opts.port);
      if (port !== undefined && (!/^\d+$/.test(opts.port!) || port > 65532)) throw new UsageError(`--port must be a port number (0 to 65532), not ${JSON.stringify(opts.port)}`);
      const { runLab } = await import("../lab/lab");
      setExit(await runLab({ dataDir: opts.data, port, host: opts.host }));
    });

  addPoolCommands(program, setExit);
  addCatalogCommands(program, setExit);
  return program;
}

/** Runs the CLI; resolves with the exit code. */
export async function main(argv: string[]): Promise<number> {
  let code = 0;
  const program = buildProgram((c) => (code = c));
  try {
    await program.parseAsync(argv);
    return code;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
    if (err instanceof UsageError) {
      process.stderr.write(`custodian: ${err.message}\n`);
      return 2;
    }
    if (err instanceof Error && err.name === "PoolLocked") {
      process.stderr.write(`custodian: ${err.message}\n`);
      return 3;
    }
    if (err instanceof Error && ["SqliteSourceError", "RetentionPolicyError"].includes(err.name)) {
      process.stderr.write(`custodian: ${err.message}\n`);
      return 2;
    }
    if (err instanceof Error && ["PoolFormatError", "BlobCorrupt", "BlobNotFound"].includes(err.name)) {
      process.stderr.write(`custodian: ${err.message}\n`);
      return 1;
    }
    if ((err as NodeJS.ErrnoException).code === "ENOENT" || (err as NodeJS.ErrnoException).code === "ENOTDIR") {
      process.stderr.write(`custodian: ${(err as Error).message}\n`);
      return 2;
    }
    if (err instanceof Error && typeof (err as NodeJS.ErrnoException).syscall === "string") {
      // The system refused an operation (a full disk, a file size limit, permissions, an I/O
      // error): an operational failure its message names, not a bug, so no stack trace.
      process.stderr.write(`custodian: ${err.message}\n`);
      return 1;
    }
    if (err instanceof ZodError) {
      for (const issue of err.issues) process.stderr.write(`custodian: ${issue.path.join(".") || "option"}: ${issue.message}\n`);
      return 2;
    }
    process.stderr.write(`custodian: ${(err as Error).stack ?? String(err)}\n`);
    return 1;
  }
}

