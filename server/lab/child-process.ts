/**
 * Starting `custodian …` as a real child process and waiting until it says where it listens
 * ("is running at URL"), as `serve` and `agent` both print once they are up. The lab starts its
 * servers and agent with it; the integration tests start theirs with it too.
 */
import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";

export const PROJECT_DIR = path.resolve(import.meta.dirname, "..", "..");
export const CLI = path.join(PROJECT_DIR, "bin", "custodian.js");

/** What is kept of a child's output in memory: its start (the banner, tokens, passwords) and a tail. */
const KEEP_CHARS = 1 << 20;

export interface RunningProcess {
  url: string;
  child: ChildProcess;
  /** Its output so far (stdout and stderr as they came); a long-running child's is cut in the middle. */
  output: () => string;
  /** Resolves with the exit code (null when a signal ended it) once the child has exited. */
  exited: Promise<number | null>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export interface StartOptions {
  /** What it is, for messages: "server", "lab-primary". */
  what: string;
  /** The arguments after `custodian`. */
  args: string[];
  env?: Record<string, string | undefined>;
  timeoutMs: number;
  /** Where its output also goes, as it comes (a log file). */
  logTo?: NodeJS.WritableStream;
  /** Its own process group: a terminal's Ctrl-C then reaches only the parent, which stops it in turn. */
  detached?: boolean;
}

/** Starts `custodian ARGS…` and waits until it prints "is running at URL"; a child that fails to start in time is killed. */
export function startUntilRunning(o: StartOptions): Promise<RunningProcess> {
  const child = spawn(process.execPath, [CLI, ...o.args], { cwd: PROJECT_DIR, env: { ...process.env, ...o.env }, stdio: ["ignore", "pipe", "pipe"], detached: o.detached ?? false });
  let out = "";
  const onOutput = (d: Buffer) => {
    out += d;
    if (out.length > 2 * KEEP_CHARS) out = out.slice(0, KEEP_CHARS / 2) + "\n[…]\n" + out.slice(-KEEP_CHARS);
    o.logTo?.write(d);
  };
  child.stdout!.on("data", onOutput);
  child.stderr!.on("data", onOutput);
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`${o.what} did not start in ${o.timeoutMs / 1000} s:\n${out}`));
    }, o.timeoutMs);
    const onData = () => {
      const m = /is running at (http:\/\/\S+)\s/.exec(out);
      if (!m) return;
      clearTimeout(timer);
      child.stdout!.off("data", onData);
      resolve({
        url: m[1]!,
        child,
        output: () => out,
        exited,
        stop: async (signal = "SIGTERM") => {
          if (child.exitCode === null && child.signalCode === null) child.kill(signal);
          return exited;
        },
      });
    };
    child.stdout!.on("data", onData);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`${o.what} exited with ${code ?? child.signalCode} before listening:\n${out}`));
    });
  });
}
