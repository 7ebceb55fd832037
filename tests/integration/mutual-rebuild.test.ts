/**
 * Rebuilding one server of a mutual pair (SPEC §4: "servers protect each other in pairs"), with
 * real processes: alpha protects a folder through an agent, bravo protects a folder of its own
 * computer; each is the other's secondary. alpha is lost and rebuilt from bravo. Its catalog
 * lists the copies of bravo's recovery points it held, which went with its pool: the rebuild
 * drops them and queues a replication, so alpha holds bravo's recovery points again, restorable
 * byte for byte (to a folder on alpha: bravo's own computer has no agent alpha may call),
 * instead of listing copies it does not have.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { randomBytes } from "node:crypto";
import { afterAll, describe, expect, it } from "vitest";
import { adminSession, jobEnded, pollUntil, runCli, startAgent, startServer, treeHashes, type ApiClient, type RunningAgent, type RunningServer } from "./serve-process";

const dirs: string[] = [];
const tmp = () => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), "custodian-mutual-"));
  dirs.push(d);
  return d;
};
let alpha: RunningServer | undefined;
let bravo: RunningServer | undefined;
let agent: RunningAgent | undefined;

afterAll(async () => {
  await Promise.all([alpha, bravo, agent].map((p) => (p && p.child.exitCode === null && p.child.signalCode === null ? p.stop() : undefined)));
  dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true }));
});

const selfId = async (api: ApiClient) => (await api.query<{ id: string; isSelf: boolean }[]>("servers.list")).find((s) => s.isSelf)!.id;
const pointsOf = async (api: ApiClient, dataSourceId: number) => api.query<{ id: number; createdAt: string }[]>("recovery.recoveryPoints", { dataSourceId });

/** A protection group of one source with two recovery points. */
async function protect(api: ApiClient, name: string, sourceId: number) {
  const { policy } = await api.query<{ policy: Record<string, unknown> }>("protection.defaults", { hasDatabases: false });
  await api.mutate("protection.createGroup", { name, policy: { ...policy, synchronization: { justBeforeRecoveryPoint: true } }, members: [sourceId] });
  await pollUntil(`${name}'s initial replica`, async () => ((await pointsOf(api, sourceId)).length >= 1 ? true : undefined), 60_000);
  await api.mutate("protection.runNow", { type: "recovery-point", dataSourceId: sourceId });
  await pollUntil(`${name}'s second recovery point`, async () => ((await pointsOf(api, sourceId)).length >= 2 ? true : undefined), 60_000);
}

/** `secondary` becomes `primary`'s secondary for `sourceId`, and copies it now. */
async function link(primary: { api: ApiClient; url: string; id: string }, secondary: ApiClient, sourceId: number) {
  const { token } = await primary.api.mutate<{ token: string }>("servers.createEnrolmentToken");
  await secondary.mutate("servers.linkPrimary", { url: primary.url, token });
  await secondary.mutate("servers.configureSecondaryProtection", { primaryId: primary.id, sourceIds: [sourceId], catalogEveryMinutes: 1440, replicaEveryMinutes: 1440, catalogRetentionDays: 14, autoSwitch: false, graceMinutes: 15 });
  const jobs = await secondary.mutate<{ catalogCopyJobId: number; replicationJobId: number }>("servers.replicateNow", { primaryId: primary.id });
  for (const id of [jobs.catalogCopyJobId, jobs.replicationJobId]) expect((await jobEnded(secondary, id)).state).toBe("succeeded");
}

describe("a mutual pair", () => {
  it("rebuilds one server from the other, which copies again what it held of the other's", async () => {
    const agentFolder = tmp();
    const bravoFolder = tmp();
    for (let i = 0; i < 8; i++) {
      fs.writeFileSync(path.join(agentFolder, `a-${i}.bin`), randomBytes(96 * 1024));
      fs.writeFileSync(path.join(bravoFolder, `b-${i}.bin`), randomBytes(96 * 1024));
    }
    const alphaData = tmp();
    [alpha, bravo, agent] = await Promise.all([
      startServer(["--data", alphaData, "--no-demo", "--name", "alpha"]),
      startServer(["--data", tmp(), "--no-demo", "--name", "bravo"]),
      startAgent(["--data", tmp(), "--name", "alpha-files", "--folder", `docs=${agentFolder}`]),
    ]);
    const a = await adminSession(alpha.url);
    const b = await adminSession(bravo.url);
    const [alphaId, bravoId] = [await selfId(a), await selfId(b)];

    await a.mutate("agents.pair", { url: agent.url, token: agent.token });
    const docs = (await a.mutate<{ name: string; sources: { id: number; name: string }[] }[]>("protection.refreshSources")).find((c) => c.name === "alpha-files")!.sources[0]!.id;
    await protect(a, "Alpha docs", docs);
    await b.mutate("agents.addLocalSource", { name: "ledger", kind: "folder", path: bravoFolder });
    const ledger = (await b.query<{ sources: { id: number; name: string }[] }[]>("protection.computers")).flatMap((c) => c.sources).find((s) => s.name === "ledger")!.id;
    await protect(b, "Bravo ledger", ledger);

    // Each protects the other.
    await link({ api: a, url: alpha.url, id: alphaId }, b, docs);
    await link({ api: b, url: bravo.url, id: bravoId }, a, ledger);
    type LinkDetail = { sources: { id: number; originSourceId: number; recoveryPoints: number }[] };
    const ledgerOnAlpha = async (api: ApiClient) => (await api.query<LinkDetail>("servers.link", { primaryId: bravoId, secondaryId: alphaId })).sources.find((s) => s.originSourceId === ledger)!;
    const mirror = await ledgerOnAlpha(a);
    expect(mirror.recoveryPoints).toBe(2);

    // alpha is lost with its disk and rebuilt from bravo.
    const copy = await b.mutate<{ catalogCopyJobId: number }>("servers.replicateNow", { primaryId: alphaId });
    expect((await jobEnded(b, copy.catalogCopyJobId)).state).toBe("succeeded");
    const port = new URL(alpha.url).port;
    await alpha.stop("SIGKILL");
    const { token } = await b.mutate<{ token: string }>("servers.createRebuildToken", { primaryId: alphaId });
    const rebuilt = path.join(tmp(), "rebuilt");
    const run = await runCli(["rebuild", "--data", rebuilt, "--secondary", bravo.url, "--token", token, "--url", `http://127.0.0.1:${port}`, "--json"]);
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ recoveryPointsLost: 0, peerCopiesToRecopy: 2 });

    // On its first minutes, the rebuilt alpha copies bravo's ledger again: the copies it lists are ones it holds.
    alpha = await startServer(["--data", rebuilt, "--no-demo", "--name", "alpha", "--port", port]);
    const a2 = await adminSession(alpha.url);
    const recopied = await pollUntil("the ledger's recovery points copied again", async () => {
      const m = await ledgerOnAlpha(a2);
      return m.recoveryPoints >= 2 ? m : undefined;
    }, 60_000, 500);
    const newest = (await pointsOf(a2, recopied.id)).sort((x, y) => y.createdAt.localeCompare(x.createdAt))[0]!;
    // The ledger is on bravo's own computer, whose built-in agent answers bravo only: the copy restores to a folder on alpha.
    const listed = (await a2.query<{ id: number; originAgentless: boolean }[]>("recovery.sources")).find((x) => x.id === recopied.id)!;
    expect(listed.originAgentless).toBe(true);
    const original = await a2.call("recovery.restore", { dataSourceId: recopied.id, recoveryPointId: newest.id, existing: "overwrite" });
    expect(original.error?.data.fieldErrors).toMatchObject({ target: [expect.stringMatching(/built-in agent answers bravo only: give a folder on this server/)] });
    const target = tmp();
    const restore = await a2.mutate<{ jobId: number }>("recovery.restore", { dataSourceId: recopied.id, recoveryPointId: newest.id, target, existing: "overwrite" });
    const restored = await jobEnded(a2, restore.jobId);
    expect([restored.state, restored.error]).toEqual(["succeeded", null]);
    expect(treeHashes(target)).toEqual(treeHashes(bravoFolder));
  }, 240_000);
});
