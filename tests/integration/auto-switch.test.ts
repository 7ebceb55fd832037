/**
 * The opt-in automatic switch of protection (SPEC §4), with real processes on loopback and the
 * real minute scheduler: no clock is moved, so this file waits about four real minutes. It is
 * mostly idle meanwhile (one API call every few seconds), and vitest.config.ts runs it first,
 * beside the other files, so it does not add to the suite's wall time.
 *
 *   bravo protects two primaries: alpha with the automatic switch on and the minimum grace
 *   period (3 minutes), charlie with it off. alpha protects a folder through an external
 *   agent and one through its built-in agent (which no other server can take over); charlie
 *   one folder through its own agent. Both primaries are SIGKILLed at the same moment.
 *
 *   → within the grace period plus one heartbeat (and a few seconds for the minute tick),
 *     bravo switches alpha's external folder on its own: the agent owns bravo, the link says
 *     switched, the switched replica is checked and bravo makes a recovery point of it;
 *   → alpha's built-in folder and all of charlie's stay with their primaries;
 *   → alpha restarted on its data folder does not back the switched folder up: its agent
 *     refuses it, and bravo's next heartbeat tells it "agent ownership required".
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { defaultShortTermPolicy } from "@/server/domain/protection/short-term-policy";
import { HEARTBEAT_MS, heartbeatRoundAt } from "@/server/domain/servers/link-health";
import { PROJECT_DIR, adminSession, jobEnded, pollUntil, startAgent, startServer, type ApiClient, type RunningAgent, type RunningServer } from "./serve-process";

const GRACE_MINUTES = 3; // the least the link accepts: three heartbeats
const GRACE_MS = GRACE_MINUTES * 60_000;
/**
 * The scheduler ticks at the top of each minute, can wake a little late on a loaded machine,
 * and sends the round's heartbeats (a refused connection to a dead primary: immediate) before
 * the automatic switch runs: a few seconds on top of "grace period plus one heartbeat".
 */
const TICK_SLACK_MS = 10_000;
/** How often the test looks while it waits: every few seconds keeps the waiting nearly free. */
const POLL_MS = 5_000;

const tmpDirs: string[] = [];
const tmpDir = () => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), "custodian-auto-switch-"));
  tmpDirs.push(d);
  return d;
};
const seedFolder = (files: number, size: number) => {
  const dir = tmpDir();
  for (let i = 0; i < files; i++) fs.writeFileSync(path.join(dir, `file-${i}.bin`), randomBytes(size));
  return dir;
};

let alpha: RunningServer;
let bravo: RunningServer;
let charlie: RunningServer;
let alphaAgent: RunningAgent;
let charlieAgent: RunningAgent;
let alphaData: string;
let docs: string;

beforeAll(async () => {
  if (!fs.existsSync(path.join(PROJECT_DIR, process.env.CUSTODIAN_DIST_DIR || ".next", "BUILD_ID"))) throw new Error("Build the UI first (npm run build); npm test does it for you.");
  docs = seedFolder(16, 64 * 1024);
  alphaData = tmpDir();
  [alpha, bravo, charlie, alphaAgent, charlieAgent] = await Promise.all([
    startServer(["--data", alphaData, "--no-demo", "--name", "alpha"]),
    startServer(["--data", tmpDir(), "--no-demo", "--name", "bravo"]),
    startServer(["--data", tmpDir(), "--no-demo", "--name", "charlie"]),
    startAgent(["--data", tmpDir(), "--name", "file-host", "--folder", `docs=${docs}`]),
    startAgent(["--data", tmpDir(), "--name", "book-host", "--folder", `books=${seedFolder(4, 32 * 1024)}`]),
  ]);
}, 120_000);

afterAll(async () => {
  await Promise.all([alpha, bravo, charlie, alphaAgent, charlieAgent].map((p) => (p?.child.exitCode === null && p.child.signalCode === null ? p.stop() : undefined)));
  tmpDirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true }));
});

const ok = <T,>(r: { data?: unknown; error?: { message: string } }) => {
  expect(r.error?.message).toBeUndefined();
  return r.data as T;
};
const selfId = async (api: ApiClient) => ok<{ id: string; isSelf: boolean }[]>(await api.call("servers.list", undefined, "query")).find((s) => s.isSelf)!.id;
const points = async (api: ApiClient, dataSourceId: number) => ok<{ id: number; createdAt: string }[]>(await api.call("recovery.recoveryPoints", { dataSourceId }, "query"));

/** A primary protecting its sources in one group (recovery points hours away: only when asked), each with its initial replica made. */
async function protect(api: ApiClient, agent: RunningAgent, o: { computer: string; local?: string }) {
  ok(await api.call("agents.pair", { url: agent.url, token: agent.token }));
  if (o.local) ok(await api.call("agents.addLocalSource", { name: "local", kind: "folder", path: o.local }));
  const computers = ok<{ name: string; sources: { id: number; name: string }[] }[]>(await api.call("protection.refreshSources"));
  const remote = computers.find((c) => c.name === o.computer)!.sources[0]!.id;
  const local = o.local ? computers.flatMap((c) => c.sources).find((s) => s.name === "local")!.id : undefined;
  const at = new Date(Date.now() + 6 * 3600_000);
  const time = `${String(at.getHours()).padStart(2, "0")}:${String(at.getMinutes()).padStart(2, "0")}`;
  const policy = { ...defaultShortTermPolicy({ hasDatabases: false }), synchronization: { justBeforeRecoveryPoint: true }, recoveryPoints: { days: ["mon", "tue", "wed", "thu", "fri", "sat", "sun"], times: [time] } };
  const members = local === undefined ? [remote] : [remote, local];
  ok(await api.call("protection.createGroup", { name: "Files", policy, members }));
  for (const id of members) await pollUntil(`the initial replica of source ${id}`, async () => ((await points(api, id)).length >= 1 ? true : undefined), 60_000, 500);
  return { remote, local };
}

type Mirror = { id: number; originSourceId: number; name: string; protectedHere: boolean; recoveryPoints: number; switch: { kind: string; how?: string; since?: string } };
type LinkDetail = { lastContactAt: string | null; config: { autoSwitch: boolean; graceMinutes: number } | null; health: { state: string; reasons: string[] }; sources: Mirror[] };

/** bravo becomes the primary's secondary for all its sources, and copies them once. */
async function linkAndReplicate(b: ApiClient, primary: ApiClient, sourceIds: number[], autoSwitch: boolean) {
  const primaryId = await selfId(primary);
  const token = ok<{ token: string }>(await primary.call("servers.createEnrolmentToken")).token;
  ok(await b.call("servers.linkPrimary", { url: primary.baseUrl, token }));
  // Daily copies: the scheduler queues none during the test; the one round below is asked for.
  ok(await b.call("servers.configureSecondaryProtection", { primaryId, sourceIds, catalogEveryMinutes: 1440, replicaEveryMinutes: 1440, catalogRetentionDays: 14, autoSwitch, graceMinutes: GRACE_MINUTES }));
  const jobs = ok<{ catalogCopyJobId: number; replicationJobId: number }>(await b.call("servers.replicateNow", { primaryId }));
  for (const id of [jobs.catalogCopyJobId, jobs.replicationJobId]) {
    const j = await jobEnded(b, id);
    expect([j.type, j.state, j.error], JSON.stringify(j.log)).toEqual([j.type, "succeeded", null]);
  }
  return primaryId;
}

describe("the automatic switch of protection", () => {
  it("switches a dead primary's sources within the grace period plus one heartbeat, only where enabled, and fences the primary when it returns", async () => {
    let a = await adminSession(alpha.url);
    const b = await adminSession(bravo.url);
    const c = await adminSession(charlie.url);
    const bravoId = await selfId(b);

    const [alphaSources, charlieSources] = await Promise.all([protect(a, alphaAgent, { computer: "file-host", local: seedFolder(2, 16 * 1024) }), protect(c, charlieAgent, { computer: "book-host" })]);
    const docsId = alphaSources.remote;
    const alphaId = await linkAndReplicate(b, a, [docsId, alphaSources.local!], true);
    const charlieId = await linkAndReplicate(b, c, [charlieSources.remote], false);
    const link = async (primaryId: string) => ok<LinkDetail>(await b.call("servers.link", { primaryId, secondaryId: bravoId }, "query"));
    const before = await link(alphaId);
    expect(before.config).toMatchObject({ autoSwitch: true, graceMinutes: GRACE_MINUTES });
    expect((await link(charlieId)).config).toMatchObject({ autoSwitch: false, graceMinutes: GRACE_MINUTES });
    const docsMirror = before.sources.find((s) => s.originSourceId === docsId)!;
    const localMirror = before.sources.find((s) => s.originSourceId === alphaSources.local)!;
    expect(docsMirror).toMatchObject({ protectedHere: false, recoveryPoints: 1, switch: { kind: "primary" } });
    expect(localMirror).toMatchObject({ protectedHere: false, recoveryPoints: 1, switch: { kind: "primary" } });
    const alphaPointsBefore = (await points(a, docsId)).length;

    // A heartbeat round answered by both, then both primaries die at once: their silences start together.
    expect(ok<{ name: string; ok: boolean }[]>(await b.call("servers.heartbeatNow")).map((h) => [h.name, h.ok]).sort()).toEqual([
      ["alpha", true],
      ["charlie", true],
    ]);
    const alphaPort = new URL(alpha.url).port;
    const killedAt = Date.now();
    await Promise.all([alpha.stop("SIGKILL"), charlie.stop("SIGKILL")]);

    // Nothing to do but wait for bravo's minute ticks; a look every few seconds.
    const deadline = killedAt + GRACE_MS + HEARTBEAT_MS + TICK_SLACK_MS;
    const switched = await pollUntil(
      "bravo to switch alpha's docs on its own",
      async (seen) => {
        const m = (seen.last = (await link(alphaId)).sources.find((s) => s.id === docsMirror.id)!);
        return m.protectedHere ? m : undefined;
      },
      deadline - Date.now() + POLL_MS,
      POLL_MS,
    );
    const switchedAt = new Date(switched.switch.since!).getTime();
    const after = await link(alphaId);
    const lastContact = new Date(after.lastContactAt!).getTime();
    console.log(
      `automatic switch: ${((switchedAt - killedAt) / 1000).toFixed(1)} s after the primary's death (target ≤ ${(GRACE_MS + HEARTBEAT_MS) / 1000} s + ${TICK_SLACK_MS / 1000} s tick slack), ` +
        `${((switchedAt - lastContact) / 1000).toFixed(1)} s after its last answered heartbeat, ${((switchedAt % HEARTBEAT_MS) / 1000).toFixed(1)} s into the minute tick`,
    );
    // Never within the grace period of the last contact (the rule), and at most one heartbeat after it ends.
    expect(lastContact).toBeLessThanOrEqual(killedAt);
    expect(switchedAt - lastContact).toBeGreaterThan(GRACE_MS);
    expect(switchedAt - killedAt).toBeLessThanOrEqual(GRACE_MS + HEARTBEAT_MS + TICK_SLACK_MS);
    expect(switched.switch).toMatchObject({ kind: "switched", how: "automatic" });

    // The link and the alerts say so; the built-in agent's folder stays alpha's (no agent to take over).
    expect(after.health.state).toBe("switched");
    expect(after.sources.find((s) => s.id === localMirror.id)).toMatchObject({ protectedHere: false, switch: { kind: "primary" } });
    const unreachable = ok<{ target: string; severity: string }[]>(await b.call("monitoring.alerts", { active: true, type: "primary-unreachable", limit: 10 }, "query"));
    expect(unreachable.map((x) => [x.target, x.severity]).sort()).toEqual([
      ["alpha", "critical"],
      ["charlie", "critical"],
    ]);
    const audit = ok<{ events: { username: string; target: string; detail: string }[] }>(await b.call("audit.list", { action: "protection.switched", limit: 10 }, "query")).events;
    expect(audit.map((e) => [e.username, e.target])).toEqual([["system", "file-host:docs"]]);
    expect(audit[0]!.detail).toMatch(/^automatic switch from alpha/);
    const agentId = ok<{ agentId: string; name: string }[]>(await b.call("agents.list", undefined, "query")).find((x) => x.name === "file-host")!.agentId;
    expect(ok<{ owner: { name: string } }>(await b.call("agents.describe", { agentId }, "query")).owner.name).toBe("bravo");

    // The switched replica is checked (queued once, by the switch), then bravo protects it: a recovery point of its own.
    const checks = ok<{ id: number; requestedBy: string }[]>(await b.call("monitoring.jobs", { type: "consistency-check", dataSourceId: docsMirror.id }, "query"));
    expect(checks.map((j) => j.requestedBy)).toEqual(["system"]);
    const check = await jobEnded(b, checks[0]!.id);
    expect([check.state, check.error], JSON.stringify(check.log)).toEqual(["succeeded", null]);
    fs.writeFileSync(path.join(docs, "written-after-the-switch.txt"), "new work\n");
    const rp = ok<{ queued: number[] }>(await b.call("protection.runNow", { type: "recovery-point", dataSourceId: docsMirror.id })).queued[0]!;
    expect((await jobEnded(b, rp)).state).toBe("succeeded");
    expect(await points(b, docsMirror.id)).toHaveLength(docsMirror.recoveryPoints + 1);

    // alpha comes back on its data folder. It does not back the switched folder up: the agent
    // refuses it (or, if bravo's heartbeat came first, alpha's own catalog does).
    alpha = await startServer(["--data", alphaData, "--no-demo", "--name", "alpha", "--port", alphaPort]);
    a = await adminSession(alpha.url);
    const attempt = await a.call("protection.runNow", { type: "recovery-point", dataSourceId: docsId });
    let fence = attempt.error?.message;
    if (attempt.error) {
      expect(attempt.error.message).toMatch(/take ownership back first/);
    } else {
      const job = await jobEnded(a, (attempt.data as { queued: number[] }).queued[0]!);
      expect([job.state, job.error]).toEqual(["failed", expect.stringMatching(/does not own this agent|take ownership back first/)]);
      fence = job.error!;
    }
    console.log(`the returning primary's recovery point of the switched folder: ${fence}`);
    ok(await b.call("servers.heartbeatNow"));
    const required = ok<{ dataSourceId: number; severity: string }[]>(await a.call("monitoring.alerts", { active: true, type: "agent-ownership-required", limit: 10 }, "query"));
    expect(required.map((x) => [x.dataSourceId, x.severity])).toEqual([[docsId, "critical"]]);
    expect((await a.call("protection.runNow", { type: "recovery-point", dataSourceId: docsId })).error?.message).toMatch(/take ownership back first/);
    expect(await points(a, docsId)).toHaveLength(alphaPointsBefore);
    // One server protects the folder: still bravo.
    expect((await link(alphaId)).sources.find((s) => s.id === docsMirror.id)).toMatchObject({ protectedHere: true, switch: { kind: "switched", how: "automatic" } });
    expect(ok<{ owner: { name: string } }>(await b.call("agents.describe", { agentId }, "query")).owner.name).toBe("bravo");

    // charlie's link has the automatic switch off: silent as long as alpha when alpha's sources switched, nothing of its switched.
    const charlieLink = await link(charlieId);
    expect(heartbeatRoundAt(new Date(switchedAt)).getTime() - new Date(charlieLink.lastContactAt!).getTime()).toBeGreaterThan(GRACE_MS);
    expect(charlieLink.health.state).toBe("broken");
    expect(charlieLink.sources.map((s) => [s.name, s.protectedHere, s.switch.kind])).toEqual([["books", false, "primary"]]);
    expect(ok<unknown[]>(await b.call("monitoring.jobs", { type: "consistency-check", dataSourceId: charlieLink.sources[0]!.id }, "query"))).toEqual([]);
  }, 480_000);
});
