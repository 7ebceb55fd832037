import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { ApiClient, adminSession as labAdminSession, jobEnded, pollUntil } from "@/server/lab/api-client";
import { CLI, PROJECT_DIR, startUntilRunning, type RunningProcess } from "@/server/lab/child-process";

export { ApiClient, CLI, PROJECT_DIR, jobEnded, pollUntil, type RunningProcess };

export type RunningServer = RunningProcess;

/** Starts a real `custodian serve` on a free port and waits until it says where it listens. */
export function startServer(args: string[], env: Record<string, string | undefined> = {}): Promise<RunningServer> {
  return startUntilRunning({ what: "server", args: ["serve", "--port", "0", "--log-level", "warn", ...args], env, timeoutMs: 60_000 });
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

export interface RunningAgent extends RunningProcess {
  token: string | null;
}

/** Starts a real `custodian agent` on a free port; resolves with its address and pairing token. */
export async function startAgent(args: string[]): Promise<RunningAgent> {
  const p = await startUntilRunning({ what: "agent", args: ["agent", "--port", "0", ...args], timeoutMs: 30_000 });
  return { ...p, token: /Pairing token[^:]*: (\S+)/.exec(p.output())?.[1] ?? null };
}

/** A fresh server's first-start set-up and an admin's session on it. */
export const adminSession = (url: string): Promise<ApiClient> => labAdminSession(url, { username: "admin", password: "correct horse battery" });

/** name → sha256 of every file under dir: what a restore is compared with, byte for byte. */
export function treeHashes(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of fs.readdirSync(dir, { recursive: true }) as string[]) {
    const p = path.join(dir, f);
    if (fs.statSync(p).isFile()) out[f] = createHash("sha256").update(fs.readFileSync(p)).digest("hex");
  }
  return out;
}
