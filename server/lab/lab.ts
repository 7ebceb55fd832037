/**
 * `custodian lab --data DIR`: a small Custodian installation on this machine, for trying servers
 * protecting servers by hand. Four real child processes, on loopback only, at BASE…BASE+3:
 *
 *   lab-primary      custodian serve --demo       DIR/primary      demo data, users and dashboard
 *   lab-secondary    custodian serve --no-demo    DIR/secondary    protects lab-primary
 *   lab-tertiary     custodian serve --no-demo    DIR/tertiary     protects lab-secondary (a chain)
 *   lab-workstation  custodian agent              DIR/workstation  sample folders and a SQLite
 *                                                                  database, protected by lab-primary
 *
 * configured through their APIs (lab-setup.ts), with a sample workload changing the
 * workstation's data every 20 s from this process. Their output goes to DIR/logs/NAME.log.
 *
 * The children run in their own process groups, so a terminal's Ctrl-C reaches the lab only; the
 * lab then stops each child by its PID with SIGTERM (SIGKILL after 30 s) and exits 0. When a child
 * dies on its own, the lab says which and stops the others (exit 1). A second signal kills the
 * children at once. DIR/lab.pids names the running children, so a second lab on the same folder
 * is refused with their PIDs; DIR/lab.json keeps the ports, because links and pairings remember
 * each other's addresses.
 */
import fs from "node:fs";
import path from "node:path";
import { ensureSampleData, SampleWorkload } from "@/server/demo/sample-workload";
import { PROJECT_DIR, startUntilRunning, type RunningProcess } from "./child-process";
import { busyPorts, freePortBlock, isLoopback } from "./ports";
import { LAB, setUpLab, type LabSetup } from "./lab-setup";

export const DEFAULT_LAB_PORT = 3100;
const START_TIMEOUT_MS = 180_000;
const STOP_GRACE_MS = 30_000;
/** As often as demo mode's workload changes the primary's own sample data. */
const WORKLOAD_EVERY_MS = 20_000;

export interface LabOptions {
  dataDir: string;
  /** The first of four ports; 0 picks four free consecutive ones; unset: the folder's ports, else 3100. */
  port?: number;
  host: string;
}

interface LabState {
  basePort: number;
  host: string;
}

type Stop = { kind: "signal"; signal: string } | { kind: "child-died"; name: string; code: number | null; signal: string | null; tail: string };

interface Child {
  name: string;
  process: RunningProcess;
}

const say = (line = "") => process.stdout.write(line + "\n");
const fail = (message: string, code: number) => {
  process.stderr.write(`custodian lab: ${message}\n`);
  return code;
};
const lastLines = (text: string, n = 15) =>
  text
    .trimEnd()
    .split("\n")
    .slice(-n)
    .map((l) => `    ${l}`)
    .join("\n");

function readJson<T>(file: string): T | null {
  try {
    return JSON.parse(fs.readFileSync(file, "utf8")) as T;
  } catch {
    return null;
  }
}

interface PidsFile {
  lab: number;
  children: { name: string; pid: number }[];
}

/** Whether `pid` runs a `custodian` process now. */
function isCustodian(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("custodian");
  } catch {
    return true; // no /proc here: a live PID is taken at its word
  }
}

/** Why a lab cannot start on this folder now: another lab runs on it, or one that was killed left its processes. */
function anotherLab(file: string): string | null {
  const recorded = readJson<PidsFile>(file);
  if (!recorded) return null;
  if (isCustodian(recorded.lab)) return `a lab already runs on this folder (PID ${recorded.lab}): stop it first (Ctrl-C in its terminal, or kill ${recorded.lab})`;
  const left = recorded.children.filter((c) => isCustodian(c.pid));
  if (left.length) return `the last lab on this folder ended without stopping ${left.map((c) => `${c.name} (PID ${c.pid})`).join(", ")}: stop them first (kill ${left.map((c) => c.pid).join(" ")})`;
  return null;
}

/** Runs the lab until a signal or a child's death; resolves with the exit code. */
export async function runLab(o: LabOptions): Promise<number> {
  // Signals first, as `serve` does: one that comes during start-up stops the lab once its children are known.
  const stop = new AbortController();
  let stopReason: Stop | null = null;
  const stopped = new Promise<Stop>((resolve) => stop.signal.addEventListener("abort", () => resolve(stopReason!)));
  const requestStop = (reason: Stop) => {
    if (stop.signal.aborted) return;
    stopReason = reason;
    stop.abort(new Error(reason.kind === "signal" ? `stopped by ${reason.signal}` : `${reason.name} died`));
  };
  const children: Child[] = [];
  const onSignal = (signal: string) => {
    if (stop.signal.aborted) {
      say(`${signal} again: killing the lab's processes now`);
      for (const c of children) c.process.child.kill("SIGKILL");
      process.exit(1);
    }
    requestStop({ kind: "signal", signal });
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  try {
    return await runUntilStopped(o, { stop, stopped, requestStop, children });
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}

interface Control {
  stop: AbortController;
  stopped: Promise<Stop>;
  requestStop: (reason: Stop) => void;
  children: Child[];
}

async function runUntilStopped(o: LabOptions, ctl: Control): Promise<number> {
  if (!isLoopback(o.host)) return fail(`--host ${o.host}: the lab listens on loopback only (127.0.0.1, ::1 or localhost)`, 2);
  // Said once here rather than by each of the three servers as it exits.
  if (!fs.existsSync(path.join(PROJECT_DIR, process.env.CUSTODIAN_DIST_DIR || ".next", "BUILD_ID"))) return fail("the web UI is not built. Run `npm run build` first (or `npm start` once, which builds when needed).", 2);
  const dir = path.resolve(o.dataDir);
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const stateFile = path.join(dir, "lab.json");
  const pidsFile = path.join(dir, "lab.pids");

  const other = anotherLab(pidsFile);
  if (other) return fail(`${dir}: ${other}`, 2);

  const state = readJson<LabState>(stateFile);
  if (state && o.port !== undefined && o.port !== 0 && o.port !== state.basePort) {
    return fail(`${dir} was set up on ports ${state.basePort}–${state.basePort + 3}, and its servers and agent remember each other's addresses: run it without --port (or with --port ${state.basePort}), or use a new --data folder`, 2);
  }
  const base = state?.basePort ?? (o.port === 0 ? await freePortBlock(o.host, 4) : (o.port ?? DEFAULT_LAB_PORT));
  if (base < 1 || base + 3 > 65535) return fail(`--port ${base}: the lab needs four ports from it, up to 65535`, 2);
  const ports = { primary: base, secondary: base + 1, tertiary: base + 2, workstation: base + 3 };
  const busy = await busyPorts(o.host, Object.values(ports));
  if (busy.length) return fail(`port${busy.length > 1 ? "s" : ""} ${busy.join(", ")} on ${o.host} ${busy.length > 1 ? "are" : "is"} in use; the lab needs ${base}–${base + 3} free${state ? "" : " (choose others with --port BASE)"}`, 2);

  const workstationDir = path.join(dir, "workstation");
  if (!fs.existsSync(path.join(workstationDir, "sample"))) say(`Generating the workstation's sample data in ${path.join(workstationDir, "sample")} (about 40 MB)…`);
  const sample = ensureSampleData(workstationDir);
  const workload = new SampleWorkload(sample);
  workload.close(); // a lab stopped while the scans share was "offline" left it aside: back online before the agent reads it
  const workloadTimer = setInterval(() => {
    try {
      workload.run();
    } catch (err) {
      say(`(sample workload step failed: ${(err as Error).message})`);
    }
  }, WORKLOAD_EVERY_MS);

  const logsDir = path.join(dir, "logs");
  fs.mkdirSync(logsDir, { recursive: true });
  const serverArgs = (name: string, sub: string, port: number, demo: boolean) => ["serve", "--data", path.join(dir, sub), "--port", String(port), "--host", o.host, "--name", name, demo ? "--demo" : "--no-demo"];
  const specs = [
    { name: LAB.primary, args: serverArgs(LAB.primary, "primary", ports.primary, true) },
    { name: LAB.secondary, args: serverArgs(LAB.secondary, "secondary", ports.secondary, false) },
    { name: LAB.tertiary, args: serverArgs(LAB.tertiary, "tertiary", ports.tertiary, false) },
    {
      name: LAB.workstation,
      args: ["agent", "--data", path.join(workstationDir, "agent"), "--port", String(ports.workstation), "--host", o.host, "--name", LAB.workstation, "--folder", `finance-share=${sample.finance}`, "--folder", `projects=${sample.projects}`, "--folder", `scans=${sample.scans}`, "--sqlite", `crm=${sample.crm}`],
    },
  ];

  say(`Starting the lab in ${dir} (logs in ${logsDir})…`);
  const logs = specs.map((s) => fs.createWriteStream(path.join(logsDir, `${s.name}.log`), { flags: "a" }));
  const starts = specs.map((s, i) =>
    startUntilRunning({ what: s.name, args: s.args, timeoutMs: START_TIMEOUT_MS, logTo: logs[i], detached: true }).then((p) => {
      ctl.children.push({ name: s.name, process: p });
      return p;
    }),
  );
  // A start that fails leaves the others to be stopped; every child that did start is in ctl.children by then.
  const started = await Promise.allSettled(starts);
  let code = 0;
  const failed = started.flatMap((r, i) => (r.status === "rejected" ? [`${specs[i]!.name}: ${(r.reason as Error).message.split("\n")[0]}\n${lastLines((r.reason as Error).message.split("\n").slice(1).join("\n"))}`] : []));
  if (failed.length) {
    process.stderr.write(`custodian lab: could not start ${failed.join("\n")}\n`);
    code = 1;
  } else {
    // The ports are the folder's from the first start on: links and pairings made from now on record them.
    if (!state) fs.writeFileSync(stateFile, JSON.stringify({ basePort: base, host: o.host } satisfies LabState, null, 2) + "\n");
    fs.writeFileSync(pidsFile, JSON.stringify({ lab: process.pid, children: ctl.children.map((c) => ({ name: c.name, pid: c.process.child.pid! })) } satisfies PidsFile, null, 2) + "\n");
    const byName = new Map(ctl.children.map((c) => [c.name, c]));
    for (const s of specs) {
      const c = byName.get(s.name)!;
      say(`  ${s.name.padEnd(16)} up at ${c.process.url.padEnd(24)} (pid ${c.process.child.pid})`);
    }
    for (const c of ctl.children) {
      void c.process.exited.then((exitCode) => ctl.requestStop({ kind: "child-died", name: c.name, code: exitCode, signal: c.process.child.signalCode, tail: lastLines(c.process.output()) }));
    }
    if (!ctl.stop.signal.aborted) code = await configureAndWait(dir, byName, ctl);
    else say("Stopping the lab…");
  }

  clearInterval(workloadTimer);
  workload.close();
  await stopChildren(ctl.children);
  await Promise.all(logs.map((l) => new Promise((resolve) => l.end(resolve))));
  fs.rmSync(pidsFile, { force: true });
  say(code === 0 ? "The lab stopped cleanly." : "The lab stopped.");
  return code;
}

/** Sets the lab up, says it is ready, and waits for the stop; the exit code. */
async function configureAndWait(dir: string, byName: Map<string, Child>, ctl: Control): Promise<number> {
  const url = (name: string) => byName.get(name)!.process.url;
  const workstation = byName.get(LAB.workstation)!.process;
  const urls = { primary: url(LAB.primary), secondary: url(LAB.secondary), tertiary: url(LAB.tertiary), workstation: workstation.url };
  say("Configuring protection…");
  // A set-up cut short by a stop goes quiet: its last steps would only fail against stopping servers.
  const sayUnlessStopped = (line: string) => ctl.stop.signal.aborted || say(line);
  const setup = setUpLab({ dataDir: dir, urls, pairingToken: /Pairing token[^:]*: (\S+)/.exec(workstation.output())?.[1] ?? null, say: sayUnlessStopped, signal: ctl.stop.signal });
  setup.catch(() => undefined); // and rejects unheard
  const first = await Promise.race([setup.then((s) => ({ kind: "ready" as const, setup: s }), (err: unknown) => ({ kind: "setup-failed" as const, err: err as Error })), ctl.stopped]);
  if (first.kind === "setup-failed" && !ctl.stop.signal.aborted) {
    process.stderr.write(`custodian lab: setting the lab up failed: ${first.err.message}\n`);
    return 1;
  }
  if (first.kind === "ready") printReady(dir, urls, first.setup);
  const reason = await ctl.stopped;
  if (reason.kind === "signal") {
    say(`\n${reason.signal}: stopping the lab…`);
    return 0;
  }
  process.stderr.write(`custodian lab: ${reason.name} stopped unexpectedly (${reason.code !== null ? `exit code ${reason.code}` : `signal ${reason.signal}`}); stopping the others. Its last output:\n${reason.tail}\n`);
  return 1;
}

function printReady(dir: string, urls: Record<"primary" | "secondary" | "tertiary" | "workstation", string>, setup: LabSetup) {
  const problems = setup.rounds.flatMap((r) => [r.catalogCopy, r.replication].filter((j) => j.state !== "succeeded").map((j) => `${r.secondary}: ${j.type} ${j.state}${j.error ? `: ${j.error}` : ""}`));
  say("");
  say("Custodian lab is ready:");
  say(`  ${LAB.primary.padEnd(16)} ${urls.primary.padEnd(24)} demo data, users and dashboard; protects ${LAB.workstation}`);
  say(`  ${LAB.secondary.padEnd(16)} ${urls.secondary.padEnd(24)} protects ${LAB.primary}: catalog and every protected source, every 15 minutes`);
  say(`  ${LAB.tertiary.padEnd(16)} ${urls.tertiary.padEnd(24)} protects ${LAB.secondary} (a chain: ${LAB.primary} → ${LAB.secondary} → ${LAB.tertiary})`);
  say(`  ${LAB.workstation.padEnd(16)} ${urls.workstation.padEnd(24)} protection agent for ${path.join(dir, "workstation", "sample")} (changed every 20 s)`);
  say(`Sign in with the users in ${setup.credentialsFile} (admin on each server; the primary's demo users too).`);
  say(`${LAB.secondary} knows the whole chain and each link's health (its Servers page; servers.topology in the API). Logs: ${path.join(dir, "logs")}.`);
  if (problems.length) say(`Not everything replicated at once (see the jobs on the secondaries): ${problems.join("; ")}`);
  say("Press Ctrl-C to stop the lab.");
}

/** SIGTERM to each child still running, by its PID; SIGKILL to those still there after the grace period. */
async function stopChildren(children: Child[]): Promise<void> {
  await Promise.all(
    children.map(async (c) => {
      const { child, exited } = c.process;
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill("SIGTERM");
      const timer = setTimeout(() => {
        say(`  ${c.name} (pid ${child.pid}) did not stop within ${STOP_GRACE_MS / 1000} s: killing it`);
        child.kill("SIGKILL");
      }, STOP_GRACE_MS);
      const exitCode = await exited;
      clearTimeout(timer);
      say(`  ${c.name} (pid ${child.pid}) stopped${exitCode === 0 ? "" : ` (${exitCode !== null ? `exit code ${exitCode}` : `signal ${child.signalCode}`})`}`);
    }),
  );
}
