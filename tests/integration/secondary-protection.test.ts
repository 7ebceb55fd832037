/**
 * Servers protecting servers (SPEC §4), with real processes on loopback: a primary (alpha)
 * protecting a folder through a real agent, and its secondary (bravo).
 *
 *   link → select the source → catalog copy and replication (missing chunks only) → ~1% churn
 *   replicates as about the change → SIGKILL of the primary → unreachable alert → switch
 *   protection (the agent takes bravo as owner, the switched replica is checked, bravo makes a
 *   recovery point) → restore from the secondary, compared byte for byte → the primary comes
 *   back fenced ("agent ownership required") → takes ownership → pulls bravo's recovery point
 *   → every recovery point of the sequence is on the primary, none lost.
 *
 * Then the primary is lost for good and rebuilt on an empty data folder from bravo with
 * `custodian rebuild`: same identity, every recovery point back, the agent answering it, and
 * bravo copying from it again.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { defaultShortTermPolicy } from "@/server/domain/protection/short-term-policy";
import { ApiClient, PROJECT_DIR, adminSession, jobEnded, pollUntil, runCli, startAgent, startServer, type RunningAgent, type RunningServer, treeHashes } from "./serve-process";

const tmpDirs: string[] = [];
const tmpDir = () => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), "custodian-secondary-"));
  tmpDirs.push(d);
  return d;
};

const FILES = 40;
const FILE_SIZE = 256 * 1024;

let alpha: RunningServer;
let bravo: RunningServer;
let agent: RunningAgent;
let alphaData: string;
let alphaId: string;
let bravoId: string;
let docsId: number;
let source: string;


beforeAll(async () => {
  if (!fs.existsSync(path.join(PROJECT_DIR, process.env.CUSTODIAN_DIST_DIR || ".next", "BUILD_ID"))) throw new Error("Build the UI first (npm run build); npm test does it for you.");
  source = tmpDir();
  for (let i = 0; i < FILES; i++) fs.writeFileSync(path.join(source, `doc-${String(i).padStart(2, "0")}.bin`), randomBytes(FILE_SIZE));
  alphaData = tmpDir();
  [alpha, bravo, agent] = await Promise.all([
    startServer(["--data", alphaData, "--no-demo", "--name", "alpha"]),
    startServer(["--data", tmpDir(), "--no-demo", "--name", "bravo"]),
    startAgent(["--data", tmpDir(), "--name", "file-host", "--folder", `docs=${source}`]),
  ]);
}, 90_000);

afterAll(async () => {
  await Promise.all([alpha, bravo, agent].map((p) => (p?.child.exitCode === null && p.child.signalCode === null ? p.stop() : undefined)));
  tmpDirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true }));
});

interface Rp {
  id: number;
  createdAt: string;
  files: number;
}
const points = async (api: ApiClient, dataSourceId: number) => ((await api.call("recovery.recoveryPoints", { dataSourceId }, "query")).data as Rp[]) ?? [];
const ok = <T,>(r: { data?: unknown; error?: { message: string } }) => {
  expect(r.error?.message).toBeUndefined();
  return r.data as T;
};

/** A fresh catalog copy of alpha as it is now, then alpha and its disk are gone; what a rebuild must bring back. */
async function loseAlpha() {
  const b = await adminSession(bravo.url);
  const copy = ok<{ catalogCopyJobId: number }>(await b.call("servers.replicateNow", { primaryId: alphaId }));
  expect((await jobEnded(b, copy.catalogCopyJobId)).state).toBe("succeeded");
  const alphaPort = new URL(alpha.url).port;
  const a = await adminSession(alpha.url);
  const before = (await points(a, docsId)).map((p) => p.createdAt).sort();
  const builtInComputer = (await builtInAgents(a))[0]!.computerId;
  await alpha.stop("SIGKILL");
  return { b, alphaPort, before, builtInComputer };
}

const builtInAgents = async (api: ApiClient) => ok<{ agentId: string; computerId: number; builtIn: boolean }[]>(await api.call("agents.list", undefined, "query")).filter((x) => x.builtIn);

describe("a secondary protecting a primary, through failure and back", () => {
  it("replicates, switches, restores from the secondary, and switches back without losing a recovery point", async () => {
    let a = await adminSession(alpha.url);
    const b = await adminSession(bravo.url);
    alphaId = (ok<{ id: string; isSelf: boolean }[]>(await a.call("servers.list", undefined, "query"))).find((s) => s.isSelf)!.id;
    bravoId = (ok<{ id: string; isSelf: boolean }[]>(await b.call("servers.list", undefined, "query"))).find((s) => s.isSelf)!.id;

    // The primary protects the agent's folder; recovery points only when asked (the schedule is hours away).
    ok(await a.call("agents.pair", { url: agent.url, token: agent.token }));
    const computers = ok<{ name: string; sources: { id: number; name: string }[] }[]>(await a.call("protection.refreshSources"));
    docsId = computers.find((c) => c.name === "file-host")!.sources.find((s) => s.name === "docs")!.id;
    const at = new Date(Date.now() + 6 * 3600_000);
    const time = `${String(at.getHours()).padStart(2, "0")}:${String(at.getMinutes()).padStart(2, "0")}`;
    const policy = { ...defaultShortTermPolicy({ hasDatabases: false }), synchronization: { justBeforeRecoveryPoint: true }, recoveryPoints: { days: ["mon", "tue", "wed", "thu", "fri", "sat", "sun"], times: [time] } };
    const groupId = ok<{ id: number }>(await a.call("protection.createGroup", { name: "Documents", policy, members: [docsId] })).id;
    const runRp = async (api: ApiClient, body: object) => ok<{ queued: number[] }>(await api.call("protection.runNow", { type: "recovery-point", ...body })).queued;
    await pollUntil("the initial replica", async () => ((await points(a, docsId)).length >= 1 ? true : undefined), 60_000);
    await runRp(a, { groupId });
    await pollUntil("a second recovery point on alpha", async () => ((await points(a, docsId)).length >= 2 ? true : undefined), 60_000);

    // Link bravo as alpha's secondary and select the folder.
    const token = ok<{ token: string }>(await a.call("servers.createEnrolmentToken")).token;
    ok(await b.call("servers.linkPrimary", { url: alpha.url, token }));
    const offered = ok<{ id: number; name: string; switchable: boolean; selected: boolean }[]>(await b.call("servers.primarySources", { primaryId: alphaId }, "query"));
    expect(offered.find((s) => s.id === docsId)).toMatchObject({ name: "docs", switchable: true, selected: false });
    const bad = await b.call("servers.configureSecondaryProtection", { primaryId: alphaId, sourceIds: [docsId], catalogEveryMinutes: 5, replicaEveryMinutes: 60, catalogRetentionDays: 14, autoSwitch: false, graceMinutes: 15 });
    expect(JSON.stringify(bad.error)).toMatch(/Catalog copy: at least 15 minutes/);
    ok(await b.call("servers.configureSecondaryProtection", { primaryId: alphaId, sourceIds: [docsId], catalogEveryMinutes: 1440, replicaEveryMinutes: 60, catalogRetentionDays: 14, autoSwitch: false, graceMinutes: 15 }));

    // Catalog copy and replication, now.
    const round = async () => {
      const jobs = ok<{ catalogCopyJobId: number; replicationJobId: number }>(await b.call("servers.replicateNow", { primaryId: alphaId }));
      const [cat, rep] = [await jobEnded(b, jobs.catalogCopyJobId), await jobEnded(b, jobs.replicationJobId)];
      expect([cat.state, cat.error], JSON.stringify(cat.log)).toEqual(["succeeded", null]);
      expect([rep.state, rep.error], JSON.stringify(rep.log)).toEqual(["succeeded", null]);
      return { cat, rep };
    };
    const first = await round();
    expect(first.rep.result).toMatchObject({ recoveryPoints: 2 });
    type LinkDetail = { health: { state: string }; catalogSnapshots: unknown[]; sources: { id: number; originSourceId: number; recoveryPoints: number; protectedHere: boolean; switch: { kind: string } }[] };
    let link = ok<LinkDetail>(await b.call("servers.link", { primaryId: alphaId, secondaryId: bravoId }, "query"));
    expect(link.catalogSnapshots).toHaveLength(1);
    expect(link.health.state).toBe("healthy");
    const mirror = link.sources.find((s) => s.originSourceId === docsId)!;
    expect(mirror).toMatchObject({ recoveryPoints: 2, protectedHere: false, switch: { kind: "primary" } });

    // ~1% churn: one file of forty rewritten. What travels is about that file's new chunks.
    fs.writeFileSync(path.join(source, "doc-07.bin"), randomBytes(FILE_SIZE));
    await runRp(a, { groupId });
    await pollUntil("a third recovery point on alpha", async () => ((await points(a, docsId)).length >= 3 ? true : undefined), 60_000);
    const second = await round();
    expect(second.rep.result).toMatchObject({ recoveryPoints: 1 });
    const copiedBytes = second.rep.result!.storedBytesCopied as number;
    expect(copiedBytes).toBeGreaterThan(FILE_SIZE * 0.9); // the new file, incompressible
    expect(copiedBytes).toBeLessThan(FILE_SIZE * 1.2 + 64 * 1024); // and little more: one tree chunk or so

    // The primary dies. bravo notices at its heartbeat.
    const alphaPort = new URL(alpha.url).port;
    await alpha.stop("SIGKILL");
    const beat = ok<{ ok: boolean }[]>(await b.call("servers.heartbeatNow"));
    expect(beat[0]!.ok).toBe(false);
    const alerts = ok<{ type: string; severity: string }[]>(await b.call("monitoring.alerts", { active: true, type: "primary-unreachable", limit: 10 }, "query"));
    expect(alerts[0]).toMatchObject({ severity: "critical" });

    // Before the switch, bravo only holds copies: it does not protect the source.
    expect((await b.call("protection.runNow", { type: "recovery-point", dataSourceId: mirror.id })).error?.message).toMatch(/its primary server protects it/);
    // Switch protection: the agent takes bravo as its owner; the switched replica is checked.
    const switched = ok<{ switched: { id: number; checkJobId: number }[]; refused: unknown[] }>(await b.call("servers.switchProtection", { primaryId: alphaId, dataSourceIds: [mirror.id] }));
    expect(switched.refused).toEqual([]);
    const check = await jobEnded(b, switched.switched[0]!.checkJobId);
    expect([check.state, check.error]).toEqual(["succeeded", null]);
    // bravo goes on making recovery points under alpha's policy.
    fs.writeFileSync(path.join(source, "written-while-alpha-was-down.txt"), "new work\n");
    expect(await runRp(b, { dataSourceId: mirror.id })).toHaveLength(1);
    await pollUntil("a recovery point made by bravo", async () => ((await points(b, mirror.id)).length >= 4 ? true : undefined), 60_000);
    link = ok<LinkDetail>(await b.call("servers.link", { primaryId: alphaId, secondaryId: bravoId }, "query"));
    expect(link.health.state).toBe("switched");

    // Restore from the secondary, straight to the protected computer, byte for byte.
    const newest = (await points(b, mirror.id)).sort((x, y) => y.createdAt.localeCompare(x.createdAt))[0]!;
    const target = tmpDir();
    const restore = ok<{ jobId: number }>(await b.call("recovery.restore", { dataSourceId: mirror.id, recoveryPointId: newest.id, target, existing: "overwrite" }));
    const restored = await jobEnded(b, restore.jobId);
    expect([restored.state, restored.error]).toEqual(["succeeded", null]);
    expect(treeHashes(target)).toEqual(treeHashes(source));

    // The primary comes back: its agent is fenced off, and bravo's heartbeat tells it why.
    alpha = await startServer(["--data", alphaData, "--no-demo", "--name", "alpha", "--port", alphaPort]);
    a = await adminSession(alpha.url);
    ok(await b.call("servers.heartbeatNow"));
    const required = ok<{ type: string; severity: string; dataSourceId: number }[]>(await a.call("monitoring.alerts", { active: true, type: "agent-ownership-required", limit: 10 }, "query"));
    expect(required[0]).toMatchObject({ severity: "critical", dataSourceId: docsId });
    const fenced = await a.call("protection.runNow", { type: "recovery-point", dataSourceId: docsId });
    expect(fenced.error?.message).toMatch(/switched to the secondary server: take ownership back first/);

    // Switch back: alpha takes ownership and pulls what bravo made meanwhile.
    const back = ok<{ taken: { id: number; checkJobId: number }[]; refused: unknown[]; pullJobId: number; secondaryTold: string }>(await a.call("servers.takeOwnership", { dataSourceIds: [docsId] }));
    expect(back.refused).toEqual([]);
    expect(back.secondaryTold).toBe("ok");
    expect((await jobEnded(a, back.pullJobId)).state).toBe("succeeded");
    expect((await jobEnded(a, back.taken[0]!.checkJobId)).state).toBe("succeeded");
    const onAlpha = await points(a, docsId);
    const onBravo = await points(b, mirror.id);
    expect(onAlpha).toHaveLength(4); // its own three and the one bravo made
    expect(onBravo).toHaveLength(4); // the three it copied and its own
    expect(new Set(onAlpha.map((p) => p.createdAt))).toEqual(new Set(onBravo.map((p) => p.createdAt)));
    link = ok<LinkDetail>(await b.call("servers.link", { primaryId: alphaId, secondaryId: bravoId }, "query"));
    expect(link.sources.find((s) => s.id === mirror.id)).toMatchObject({ protectedHere: false, switch: { kind: "primary" } });
    expect(ok<unknown[]>(await a.call("monitoring.alerts", { active: true, type: "agent-ownership-required", limit: 10 }, "query"))).toEqual([]);

    // The pulled recovery point restores from the primary, byte for byte.
    const pulled = onAlpha.sort((x, y) => y.createdAt.localeCompare(x.createdAt))[0]!;
    const target2 = tmpDir();
    const again = await jobEnded(a, ok<{ jobId: number }>(await a.call("recovery.restore", { dataSourceId: docsId, recoveryPointId: pulled.id, target: target2, existing: "overwrite" })).jobId);
    expect([again.state, again.error]).toEqual(["succeeded", null]);
    expect(treeHashes(target2)).toEqual(treeHashes(source));
  }, 300_000);

  it("rebuilds a lost primary on an empty data folder from its secondary, with its identity and every recovery point", async () => {
    const { b, alphaPort, before, builtInComputer } = await loseAlpha();

    const { token } = ok<{ token: string }>(await b.call("servers.createRebuildToken", { primaryId: alphaId }));
    const fresh = path.join(tmpDir(), "rebuilt");
    const url = `http://127.0.0.1:${alphaPort}`;
    const run = await runCli(["rebuild", "--data", fresh, "--secondary", bravo.url, "--token", token, "--url", url, "--json"]);
    expect(run.code, run.stderr).toBe(0);
    const report = JSON.parse(run.stdout) as { primary: { id: string }; recoveryPointsRestored: number; recoveryPointsAdded: number; recoveryPointsLost: number; sourcesToCheck: number; agents: { handedOver: number; failed: unknown[] } };
    expect(report).toMatchObject({ primary: { id: alphaId }, recoveryPointsLost: 0, sourcesToCheck: 1, agents: { handedOver: 1, failed: [] } });
    expect(report.recoveryPointsRestored + report.recoveryPointsAdded).toBe(before.length);

    // The token worked once; a second rebuild into a folder that holds a server is refused before anything is asked.
    const again = await runCli(["rebuild", "--data", path.join(tmpDir(), "other"), "--secondary", bravo.url, "--token", token, "--url", url]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/no such rebuild token is pending/);
    const badUrl = await runCli(["rebuild", "--data", path.join(tmpDir(), "other"), "--secondary", "bravo:3000", "--token", token, "--url", url]);
    expect([badUrl.code, badUrl.stderr]).toEqual([2, 'custodian rebuild: --secondary must be an http(s) address, e.g. http://backup2:3000 (got "bravo:3000")\n']);
    const notEmpty = await runCli(["rebuild", "--data", fresh, "--secondary", bravo.url, "--token", token, "--url", url]);
    expect(notEmpty.code).toBe(2);
    expect(notEmpty.stderr).toMatch(/already holds a catalog/);

    // The rebuilt server is alpha: its users, its identity, its recovery points; its replica is checked through the agent it was handed.
    alpha = await startServer(["--data", fresh, "--no-demo", "--name", "alpha", "--port", alphaPort]);
    const a = await adminSession(alpha.url);
    expect(ok<{ id: string; isSelf: boolean }[]>(await a.call("servers.list", undefined, "query")).find((s) => s.isSelf)!.id).toBe(alphaId);
    const after = await points(a, docsId);
    expect(after.map((p) => p.createdAt).sort()).toEqual(before);
    // The new machine's built-in agent took the lost one's place: one computer for the server itself.
    expect((await builtInAgents(a)).map((x) => x.computerId)).toEqual([builtInComputer]);
    const checks = ok<{ id: number; type: string }[]>(await a.call("monitoring.jobs", { type: "consistency-check", limit: 5 }, "query"));
    const check = await jobEnded(a, checks[0]!.id, 120_000);
    expect([check.state, check.error]).toEqual(["succeeded", null]);
    const target = tmpDir();
    const newest = after.sort((x, y) => y.createdAt.localeCompare(x.createdAt))[0]!;
    const restored = await jobEnded(a, ok<{ jobId: number }>(await a.call("recovery.restore", { dataSourceId: docsId, recoveryPointId: newest.id, target, existing: "overwrite" })).jobId);
    expect([restored.state, restored.error]).toEqual(["succeeded", null]);
    expect(treeHashes(target)).toEqual(treeHashes(source));
    // bravo trusts the new key: it copies alpha's catalog again.
    const next = ok<{ catalogCopyJobId: number }>(await b.call("servers.replicateNow", { primaryId: alphaId }));
    const cat = await jobEnded(b, next.catalogCopyJobId);
    expect([cat.state, cat.error]).toEqual(["succeeded", null]);
  }, 300_000);

  it("rebuilds it once more through the browser's wizard: pre-checks, progress, the restart on the rebuilt catalog", async () => {
    const { b, alphaPort, before, builtInComputer } = await loseAlpha();

    // A new server on an empty folder, under another name, nobody signed in yet.
    const freshDir = path.join(tmpDir(), "new-server");
    alpha = await startServer(["--data", freshDir, "--no-demo", "--name", "replacement", "--port", alphaPort]);
    const w = new ApiClient(alpha.url);
    expect(ok<{ problems: string[] }>(await w.call("rebuild.fresh", undefined, "query")).problems).toEqual([]);
    const { token } = ok<{ token: string }>(await b.call("servers.createRebuildToken", { primaryId: alphaId }));
    const input = { secondaryUrl: bravo.url, token, url: alpha.url };

    // Bad input is refused at its field, and nothing is redeemed by a check.
    const wrong = await w.call("rebuild.check", { ...input, token: "x".repeat(43) });
    expect(wrong.error?.data.fieldErrors).toMatchObject({ token: [expect.stringMatching(/no such rebuild token is pending/)] });
    const nowhere = await w.call("rebuild.check", { ...input, secondaryUrl: "http://127.0.0.1:1" });
    expect(nowhere.error?.data.fieldErrors).toMatchObject({ secondaryUrl: [expect.stringMatching(/cannot reach/)] });
    const notUrl = await w.call("rebuild.check", { ...input, url: "alpha:3000" });
    expect(notUrl.error?.data.fieldErrors).toMatchObject({ url: [expect.stringMatching(/http\(s\) address/)] });
    for (let i = 0; i < 2; i++) {
      const check = ok<{ primary: { id: string; name: string }; recoveryPoints: number; checks: { name: string; ok: boolean; detail: string }[] }>(await w.call("rebuild.check", input));
      expect(check.primary).toEqual({ id: alphaId, name: "alpha" });
      expect(check.recoveryPoints).toBe(before.length);
      expect(check.checks.filter((c) => !c.ok)).toEqual([]);
    }

    const { ticket } = ok<{ ticket: string }>(await w.call("rebuild.start", input));
    expect((await w.call("rebuild.start", input)).error?.message).toMatch(/already running|no such rebuild token|set up already/);
    expect((await w.call("rebuild.status", { ticket: "not-the-ticket-at-all" }, "query")).error?.data.code).toBe("NOT_FOUND");
    // Progress, then (the server restarts on the rebuilt catalog in the same process) the report.
    const seenStates = new Set<string>();
    const done = await pollUntil(
      "the wizard's rebuild to finish",
      async (seen) => {
        const r = await w.call("rebuild.status", { ticket }, "query").catch(() => null); // refused while the server restarts
        seen.last = r?.data ?? r?.error;
        const st = r?.data as { state: string; report?: { recoveryPointsRestored: number; recoveryPointsAdded: number; recoveryPointsLost: number } } | undefined;
        if (st) seenStates.add(st.state);
        if (st?.state === "failed") throw new Error(JSON.stringify(st));
        return st?.state === "done" ? st : undefined;
      },
      120_000,
      100,
    );
    expect(seenStates.has("running") || seenStates.has("restarting")).toBe(true);
    expect(done.report!.recoveryPointsRestored + done.report!.recoveryPointsAdded).toBe(before.length);
    expect(done.report!.recoveryPointsLost).toBe(0);

    // The server now is alpha: alpha's admin signs in; same id, same name, every recovery point.
    const a = await adminSession(alpha.url);
    const self = ok<{ id: string; name: string; isSelf: boolean }[]>(await a.call("servers.list", undefined, "query")).find((s) => s.isSelf)!;
    expect([self.id, self.name]).toEqual([alphaId, "alpha"]);
    expect((await points(a, docsId)).map((p) => p.createdAt).sort()).toEqual(before);
    expect((await builtInAgents(a)).map((x) => x.computerId)).toEqual([builtInComputer]);
    // The new server's own files were kept aside, not deleted; nothing of the staging is left.
    const entries = fs.readdirSync(freshDir);
    expect(entries.filter((e) => e.startsWith("replaced-by-rebuild-"))).toHaveLength(1);
    expect(entries).not.toContain("rebuild-staging");
    expect(entries).not.toContain("rebuild-swap.json");
    // The wizard is closed now: the server has users.
    expect(ok<{ problems: string[] }>(await w.call("rebuild.fresh", undefined, "query")).problems[0]).toMatch(/set up already/);
    expect((await w.call("rebuild.check", input)).error?.data.code).toBe("PRECONDITION_FAILED");
    // bravo copies from the rebuilt alpha with its new key.
    const next = ok<{ catalogCopyJobId: number }>(await b.call("servers.replicateNow", { primaryId: alphaId }));
    const cat = await jobEnded(b, next.catalogCopyJobId);
    expect([cat.state, cat.error]).toEqual(["succeeded", null]);
  }, 300_000);
});
