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

/** Polls `probe` until it returns a value; `seen` says what it last saw, for the timeout's message. */
export async function pollUntil<T>(what: string, probe: (seen: { last?: unknown }) => Promise<T | undefined>, timeoutMs: number, everyMs = 200): Promise<T> {
  const until = Date.now() + timeoutMs;
  const seen: { last?: unknown } = {};
  for (;;) {
    const v = await probe(seen);
    if (v !== undefined) return v;
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}; last seen: ${JSON.stringify(seen.last)}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** A fresh server's first-start set-up and an admin's session on it. */
export async function adminSession(url: string): Promise<ApiClient> {
  const api = new ApiClient(url);
  const first = await api.call("auth.setup", { username: "admin", password: "correct horse battery", displayName: "Admin" });
  if (first.error && !/already/i.test(first.error.message)) throw new Error(first.error.message);
  const login = await api.call("auth.login", { username: "admin", password: "correct horse battery" });
  if (login.error) throw new Error(login.error.message);
  return api;
}

/** Waits until job `id` ends; returns it (with its result and log) whatever its state. */
export async function jobEnded(api: ApiClient, id: number, timeoutMs = 60_000) {
  type Ended = { id: number; type: string; state: string; error: string | null; result: Record<string, unknown> | null; log: { level: string; message: string }[] };
  return pollUntil<Ended>(
    `job ${id} to end`,
    async (seen) => {
      const j = (seen.last = (await api.call("monitoring.job", { id }, "query")).data as Ended | undefined);
      return j && /succeeded|failed|cancelled/.test(j.state) ? j : undefined;
    },
    timeoutMs,
  );
}
