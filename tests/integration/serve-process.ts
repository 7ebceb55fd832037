import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";

export const PROJECT_DIR = path.resolve(import.meta.dirname, "..", "..");
export const CLI = path.join(PROJECT_DIR, "bin", "custodian.js");

export type RunningServer = RunningProcess;

export interface RunningProcess {
  url: string;
  child: ChildProcess;
  output: () => string;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Starts `custodian ARGS…` and waits until it prints "is running at URL". */
function startUntilRunning(what: string, args: string[], env: Record<string, string | undefined>, timeoutMs: number): Promise<RunningProcess> {
  const child = spawn(process.execPath, [CLI, ...args], { cwd: PROJECT_DIR, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout!.on("data", (d) => (out += d));
  child.stderr!.on("data", (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what} did not start in ${timeoutMs / 1000} s:\n${out}`)), timeoutMs);
    const onData = () => {
      const m = /is running at (http:\/\/\S+)\s/.exec(out);
      if (!m) return;
      clearTimeout(timer);
      child.stdout!.off("data", onData);
      resolve({
        url: m[1]!,
        child,
        output: () => out,
        stop: async (signal = "SIGTERM") => {
          child.kill(signal);
          return exited;
        },
      });
    };
    child.stdout!.on("data", onData);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`${what} exited with ${code} before listening:\n${out}`));
    });
  });
}

/** Starts a real `custodian serve` on a free port and waits until it says where it listens. */
export function startServer(args: string[], env: Record<string, string | undefined> = {}): Promise<RunningServer> {
  return startUntilRunning("server", ["serve", "--port", "0", "--log-level", "warn", ...args], env, 60_000);
}

/** Runs the CLI to completion. */
export function runCli(args: string[], env: Record<string, string | undefined> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: PROJECT_DIR, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.once("exit", (code) => resolve({ code, stdout, stderr }));
  });
}

/** Minimal tRPC-over-HTTP client with a cookie, as a browser or a script would call the API. */
export class ApiClient {
  cookie = "";
  constructor(readonly baseUrl: string) {}

  async call(path: string, input?: unknown, kind: "query" | "mutation" = "mutation") {
    const url = `${this.baseUrl}/api/trpc/${path}` + (kind === "query" ? `?input=${encodeURIComponent(JSON.stringify({ json: input }))}` : "");
    const res = await fetch(url, {
      method: kind === "query" ? "GET" : "POST",
      headers: { "content-type": "application/json", ...(this.cookie && { cookie: this.cookie }) },
      body: kind === "mutation" ? JSON.stringify({ json: input }) : undefined,
    });
    const setCookie = res.headers.get("set-cookie");
    if (setCookie) this.cookie = setCookie.split(";")[0]!;
    const body = (await res.json()) as { result?: { data: { json: unknown } }; error?: { json: { message: string; data: Record<string, unknown> } } };
    return { status: res.status, data: body.result?.data.json, error: body.error?.json };
  }
}

export interface RunningAgent extends RunningProcess {
  token: string | null;
}

/** Starts a real `custodian agent` on a free port; resolves with its address and pairing token. */
export async function startAgent(args: string[]): Promise<RunningAgent> {
  const p = await startUntilRunning("agent", ["agent", "--port", "0", ...args], {}, 30_000);
  return { ...p, token: /Pairing token[^:]*: (\S+)/.exec(p.output())?.[1] ?? null };
}
