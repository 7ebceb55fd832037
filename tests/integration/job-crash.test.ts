import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { defaultShortTermPolicy } from "@/server/domain/protection/short-term-policy";
import { ApiClient, PROJECT_DIR, runCli, startAgent, startServer, type RunningAgent, type RunningServer } from "./serve-process";

// SPEC §3: "A server restart never leaves a job 'running' forever: it is failed and retried
// by policy." A real server is killed with SIGKILL in the middle of a recovery point job
// that reads a few hundred MB through a real agent; restarted on the same data, it fails
// the interrupted job (ended by the system), runs its retry to success, and the pool
// verifies clean.

const FILES = 24;
const FILE_SIZE = 16 * 1024 * 1024; // incompressible, so the job runs for seconds, not milliseconds

const tmpDirs: string[] = [];
const tmpDir = () => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), "custodian-job-crash-"));
  tmpDirs.push(d);
  return d;
};

let server: RunningServer | undefined;
let agent: RunningAgent;
let dataDir: string;
let sourceDir: string;

interface Job {
  id: number;
  type: string;
  state: string;
  trigger: string;
  attempt: number;
  retryOf: number | null;
  endedBy: string | null;
  error: string | null;
  bytesDone: number;
  dataSourceId: number | null;
}

/** Polls `probe` until it returns a value; `seen` says what it last saw, for the timeout's message. */
async function waitFor<T>(what: string, probe: (seen: { last?: unknown }) => Promise<T | undefined>, timeoutMs: number, everyMs = 100): Promise<T> {
  const until = Date.now() + timeoutMs;
  const seen: { last?: unknown } = {};
  for (;;) {
    const v = await probe(seen);
    if (v !== undefined) return v;
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}; last seen: ${JSON.stringify(seen.last)}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

async function signIn(url: string): Promise<ApiClient> {
  const api = new ApiClient(url);
  const login = await api.call("auth.login", { username: "admin", password: "correct horse battery" });
  expect(login.error).toBeUndefined();
  return api;
}

beforeAll(async () => {
  if (!fs.existsSync(path.join(PROJECT_DIR, process.env.CUSTODIAN_DIST_DIR || ".next", "BUILD_ID"))) throw new Error("Build the UI first (npm run build); npm test does it for you.");
  sourceDir = tmpDir();
  for (let i = 0; i < FILES; i++) fs.writeFileSync(path.join(sourceDir, `disk-${String(i).padStart(2, "0")}.img`), randomBytes(FILE_SIZE));
  dataDir = tmpDir();
  [server, agent] = await Promise.all([startServer(["--data", dataDir, "--no-demo"]), startAgent(["--data", tmpDir(), "--name", "vm-host", "--folder", `images=${sourceDir}`])]);
}, 90_000);

afterAll(async () => {
  await Promise.all([server?.child.exitCode === null ? server.stop() : undefined, agent?.stop()]);
  tmpDirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true }));
});

describe("a server killed while a job runs", () => {
  it("fails the interrupted job by the system at restart, retries it to success, and leaves no job running and a clean pool", async () => {
    const first = server!;
    const setup = new ApiClient(first.url);
    expect((await setup.call("auth.setup", { username: "admin", password: "correct horse battery", displayName: "Admin" })).error).toBeUndefined();
    let admin = await signIn(first.url);
    expect((await admin.call("agents.pair", { url: agent.url, token: agent.token })).error).toBeUndefined();
    const computers = (await admin.call("protection.refreshSources")).data as { name: string; sources: { id: number; name: string }[] }[];
    const sourceId = computers.find((c) => c.name === "vm-host")!.sources.find((s) => s.name === "images")!.id;

    // A schedule hours away: the only jobs are the initial replica and its retry.
    const at = new Date(Date.now() + 6 * 3600_000);
    const time = `${String(at.getHours()).padStart(2, "0")}:${String(at.getMinutes()).padStart(2, "0")}`;
    const policy = { ...defaultShortTermPolicy({ hasDatabases: false }), synchronization: { justBeforeRecoveryPoint: true }, recoveryPoints: { days: ["mon", "tue", "wed", "thu", "fri", "sat", "sun"], times: [time] } };
    const created = await admin.call("protection.createGroup", { name: "VM images", policy, members: [sourceId] });
    expect(created.error).toBeUndefined();
    const groupId = (created.data as { id: number }).id;
    const initial = ((await admin.call("monitoring.jobs", { groupId, limit: 5 }, "query")).data as Job[])[0]!;
    expect(initial).toMatchObject({ type: "recovery-point", dataSourceId: sourceId, attempt: 1 });

    // Running, with data moving: now the server dies without a chance to clean up.
    const running = await waitFor(
      "the job to run with progress",
      async (seen) => {
        const j = (seen.last = (await admin.call("monitoring.job", { id: initial.id }, "query")).data as Job);
        expect(j.state).not.toMatch(/succeeded|failed|cancelled/); // the job must still be running when it is killed
        return j.state === "running" && j.bytesDone > 0 ? j : undefined;
      },
      60_000,
      50,
    );
    expect(running.bytesDone).toBeLessThan(FILES * FILE_SIZE);
    const port = new URL(first.url).port;
    expect(process.kill(first.child.pid!, "SIGKILL")).toBe(true);
    expect(await first.stop("SIGKILL")).toBeNull(); // resolves when it has exited: killed, no exit code

    // The catalog the dead server left still says "running" (read-only, by the CLI).
    const left = await runCli(["jobs", "list", "--data", dataDir, "--state", "running", "--json"]);
    expect(left.code).toBe(0);
    expect((JSON.parse(left.stdout) as Job[]).map((j) => j.id)).toEqual([initial.id]);

    // Restarted on the same data and port (the agent calls back the address it was paired with).
    server = await startServer(["--data", dataDir, "--no-demo", "--port", port]);
    expect(server.url).toBe(first.url);
    admin = await signIn(server.url);

    const failed = ((await admin.call("monitoring.job", { id: initial.id }, "query")).data as Job & { log: { level: string; message: string }[]; canRetry: boolean });
    // Failed by the system and already retried by policy at the restart: no second retry by hand.
    expect(failed).toMatchObject({ state: "failed", endedBy: "system", canRetry: false });
    expect(failed.error).toMatch(/the server stopped while the job was running/);
    expect(failed.log.map((l) => l.message)).toContainEqual(expect.stringMatching(/retried as job \d+/));

    const retry = ((await admin.call("monitoring.jobs", { groupId, limit: 10 }, "query")).data as Job[]).find((j) => j.retryOf === initial.id);
    expect(retry).toMatchObject({ type: "recovery-point", trigger: "retry", attempt: 2, dataSourceId: sourceId });
    expect(["queued", "running", "succeeded"]).toContain(retry!.state);
    const ended = await waitFor(
      "the retry to end",
      async (seen) => {
        const j = (seen.last = (await admin.call("monitoring.job", { id: retry!.id }, "query")).data as Job);
        return ["succeeded", "failed", "cancelled"].includes(j.state) ? j : undefined;
      },
      60_000,
      250,
    );
    expect(ended, JSON.stringify(ended)).toMatchObject({ state: "succeeded", error: null });

    // Nothing is left running; the group has exactly the one recovery point of the retry.
    expect((await admin.call("monitoring.jobs", { state: "running", limit: 10 }, "query")).data).toEqual([]);
    const all = (await admin.call("monitoring.jobs", { limit: 10 }, "query")).data as Job[];
    expect(all.map((j) => [j.id, j.state, j.attempt])).toEqual([
      [retry!.id, "succeeded", 2],
      [initial.id, "failed", 1],
    ]);
    const points = (await admin.call("recovery.recoveryPoints", { dataSourceId: sourceId }, "query")).data as { id: number; files: number; sizeBytes: number }[];
    expect(points).toEqual([expect.objectContaining({ files: FILES, sizeBytes: FILES * FILE_SIZE })]);
    const group = (await admin.call("protection.group", { id: groupId }, "query")).data as { members: { replicaState: string }[] };
    expect(group.members[0]!.replicaState).toBe("ok");
    const stillRunning = await runCli(["jobs", "list", "--data", dataDir, "--state", "running", "--json"]);
    expect(JSON.parse(stillRunning.stdout)).toEqual([]);

    // Stopped cleanly, the pool re-reads without damage: every chunk matches its id.
    expect(await server.stop()).toBe(0);
    const verify = await runCli(["pool", "verify", path.join(dataDir, "pool"), "--json"]);
    expect(verify.stderr).toBe("");
    expect(verify.code).toBe(0);
    const report = JSON.parse(verify.stdout) as { ok: boolean; chunkProblems: unknown[]; packProblems: unknown[]; recoveryPointProblems: unknown[]; recoveryPoints: number; bytesRead: number };
    expect(report).toMatchObject({ ok: true, chunkProblems: [], packProblems: [], recoveryPointProblems: [] });
    expect(report.recoveryPoints).toBeGreaterThanOrEqual(1);
    expect(report.bytesRead).toBeGreaterThanOrEqual(FILES * FILE_SIZE);
  }, 180_000);
});
