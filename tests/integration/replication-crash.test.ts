/**
 * SIGKILL on the primary while its secondary replicates, and while it backs up (SPEC §9: a
 * killed process leaves a consistent store and catalog). Real processes on loopback. After
 * each kill the secondary's round fails cleanly (the link says why, an alert is raised, no
 * half-copied recovery point is recorded); once the primary is back, the next round completes
 * reusing the chunks that had arrived, both servers hold the same recovery points, and the
 * secondary's pool verifies clean.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { defaultShortTermPolicy } from "@/server/domain/protection/short-term-policy";
import { PROJECT_DIR, adminSession, jobEnded, pollUntil, runCli, startAgent, startServer, type ApiClient, type RunningAgent, type RunningServer } from "./serve-process";

const FILES = 24;
const FILE_SIZE = 8 * 1024 * 1024; // incompressible: a round takes long enough to be killed in the middle
const tmpDirs: string[] = [];
const tmpDir = () => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), "custodian-repl-crash-"));
  tmpDirs.push(d);
  return d;
};

let alpha: RunningServer;
let bravo: RunningServer;
let agent: RunningAgent;
let alphaData: string;
let bravoData: string;
let source: string;

beforeAll(async () => {
  if (!fs.existsSync(path.join(PROJECT_DIR, process.env.CUSTODIAN_DIST_DIR || ".next", "BUILD_ID"))) throw new Error("Build the UI first (npm run build); npm test does it for you.");
  source = tmpDir();
  for (let i = 0; i < FILES; i++) fs.writeFileSync(path.join(source, `image-${String(i).padStart(2, "0")}.bin`), randomBytes(FILE_SIZE));
  alphaData = tmpDir();
  bravoData = tmpDir();
  [alpha, bravo, agent] = await Promise.all([
    startServer(["--data", alphaData, "--no-demo", "--name", "alpha"]),
    startServer(["--data", bravoData, "--no-demo", "--name", "bravo"]),
    startAgent(["--data", tmpDir(), "--name", "image-host", "--folder", `images=${source}`]),
  ]);
}, 120_000);

afterAll(async () => {
  await Promise.all([alpha, bravo, agent].map((p) => (p?.child.exitCode === null && p.child.signalCode === null ? p.stop() : undefined)));
  tmpDirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true }));
});

const ok = <T,>(r: { data?: unknown; error?: { message: string } }) => {
  expect(r.error?.message).toBeUndefined();
  return r.data as T;
};
const points = async (api: ApiClient, dataSourceId: number) => ((await api.call("recovery.recoveryPoints", { dataSourceId }, "query")).data as { createdAt: string }[]) ?? [];
type Job = { id: number; state: string; bytesDone: number; error: string | null; result: Record<string, unknown> | null };

/** Waits until job `id` runs with data moving (so a kill lands in its middle). */
const movingJob = (api: ApiClient, id: number) =>
  pollUntil(
    `job ${id} to move data`,
    async (seen) => {
      const j = (seen.last = (await api.call("monitoring.job", { id }, "query")).data as Job);
      expect(j.state).not.toMatch(/succeeded|failed|cancelled/);
      return j.state === "running" && j.bytesDone > 0 ? j : undefined;
    },
    60_000,
    25,
  );

describe("the primary killed mid-replication and mid-backup", () => {
  it("fails the secondary's round cleanly each time, then completes it with nothing lost or doubled", async () => {
    let a = await adminSession(alpha.url);
    const b = await adminSession(bravo.url);
    const alphaPort = new URL(alpha.url).port;
    const alphaId = ok<{ id: string; isSelf: boolean }[]>(await a.call("servers.list", undefined, "query")).find((s) => s.isSelf)!.id;
    ok(await a.call("agents.pair", { url: agent.url, token: agent.token }));
    const sourceId = ok<{ name: string; sources: { id: number; name: string }[] }[]>(await a.call("protection.refreshSources"))
      .find((c) => c.name === "image-host")!
      .sources.find((s) => s.name === "images")!.id;
    const at = new Date(Date.now() + 6 * 3600_000);
    const policy = { ...defaultShortTermPolicy({ hasDatabases: false }), synchronization: { justBeforeRecoveryPoint: true }, recoveryPoints: { days: ["mon", "tue", "wed", "thu", "fri", "sat", "sun"], times: [`${String(at.getHours()).padStart(2, "0")}:00`] } };
    ok(await a.call("protection.createGroup", { name: "Images", policy, members: [sourceId] }));
    await pollUntil("alpha's initial replica", async () => ((await points(a, sourceId)).length === 1 ? true : undefined), 120_000);

    ok(await b.call("servers.linkPrimary", { url: alpha.url, token: ok<{ token: string }>(await a.call("servers.createEnrolmentToken")).token }));
    ok(await b.call("servers.configureSecondaryProtection", { primaryId: alphaId, sourceIds: [sourceId], catalogEveryMinutes: 1440, replicaEveryMinutes: 60, catalogRetentionDays: 14, autoSwitch: false, graceMinutes: 15 }));
    type Link = { lastReplicationError: string | null; health: { state: string }; sources: { id: number; recoveryPoints: number }[] };
    const link = async () => ok<Link>(await b.call("servers.link", { primaryId: alphaId, secondaryId: ok<{ id: string; isSelf: boolean }[]>(await b.call("servers.list", undefined, "query")).find((s) => s.isSelf)!.id }, "query"));

    // 1. Killed while bravo copies its recovery point.
    const round1 = ok<{ replicationJobId: number }>(await b.call("servers.replicateNow", { primaryId: alphaId }));
    const moving = await movingJob(b, round1.replicationJobId);
    expect(moving.bytesDone).toBeLessThan(FILES * FILE_SIZE);
    await alpha.stop("SIGKILL");
    const failed = await jobEnded(b, round1.replicationJobId);
    expect(failed.state).toBe("failed");
    expect(failed.error).toMatch(/cannot reach alpha|fetch failed|ECONNREFUSED|socket/i);
    let l = await link();
    expect(l.lastReplicationError).not.toBeNull();
    expect(l.health.state).toBe("broken");
    expect(l.sources[0]!.recoveryPoints).toBe(0); // nothing half-copied is recorded
    const alerts = ok<{ type: string }[]>(await b.call("monitoring.alerts", { active: true, type: "link-replication-failed", limit: 5 }, "query"));
    expect(alerts).toHaveLength(1);

    alpha = await startServer(["--data", alphaData, "--no-demo", "--name", "alpha", "--port", alphaPort]);
    a = await adminSession(alpha.url);
    const round2 = ok<{ replicationJobId: number }>(await b.call("servers.replicateNow", { primaryId: alphaId }));
    const done = await jobEnded(b, round2.replicationJobId, 120_000);
    expect([done.state, done.error]).toEqual(["succeeded", null]);
    // The chunks that arrived before the kill were not sent again.
    expect(done.result!.storedBytesCopied as number).toBeLessThan(FILES * FILE_SIZE - moving.bytesDone + FILE_SIZE);
    l = await link();
    expect([l.lastReplicationError, l.sources[0]!.recoveryPoints]).toEqual([null, 1]);
    expect(ok<unknown[]>(await b.call("monitoring.alerts", { active: true, type: "link-replication-failed", limit: 5 }, "query"))).toEqual([]);

    // 2. Killed while alpha backs up: its partial recovery point never exists, on either side.
    for (let i = 0; i < 8; i++) fs.writeFileSync(path.join(source, `image-${String(i).padStart(2, "0")}.bin`), randomBytes(FILE_SIZE));
    const backup = ok<{ queued: number[] }>(await a.call("protection.runNow", { type: "recovery-point", dataSourceId: sourceId })).queued[0]!;
    await movingJob(a, backup);
    await alpha.stop("SIGKILL");
    alpha = await startServer(["--data", alphaData, "--no-demo", "--name", "alpha", "--port", alphaPort]);
    a = await adminSession(alpha.url);
    // The interrupted job is failed by the system and retried by policy to success.
    await pollUntil("alpha's retried recovery point", async () => ((await points(a, sourceId)).length === 2 ? true : undefined), 120_000);
    const round3 = ok<{ replicationJobId: number }>(await b.call("servers.replicateNow", { primaryId: alphaId }));
    expect((await jobEnded(b, round3.replicationJobId, 120_000)).state).toBe("succeeded");
    const onAlpha = (await points(a, sourceId)).map((p) => p.createdAt).sort();
    const onBravo = (await points(b, l.sources[0]!.id)).map((p) => p.createdAt).sort();
    expect(onBravo).toEqual(onAlpha);

    // Everything bravo stored verifies, chunk by chunk.
    await bravo.stop();
    const verify = await runCli(["pool", "verify", path.join(bravoData, "pool"), "--json"]);
    expect(verify.code, verify.stderr + verify.stdout).toBe(0);
  }, 400_000);
});
