/**
 * Removing a link between servers (DPM's "stop protection" of a primary on its secondary), with
 * real processes on loopback: alpha protects a folder through a real agent; bravo, then
 * charlie, is its secondary.
 *
 *   bravo replicates → removing the link is refused while a source is switched (on both ends)
 *   → switch back → bravo removes the link keeping its copies: both ends drop it, the agent
 *   drops bravo as a standby, restores from the kept copies still work (to a folder on bravo)
 *   → charlie becomes alpha's secondary, replicates, and removes the link deleting its copies:
 *   its pool gives the space back → unlink requests from an unlinked or forged server are
 *   refused with 401 and logged.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { createPublicKey, generateKeyPairSync, randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { defaultShortTermPolicy } from "@/server/domain/protection/short-term-policy";
import { keyIdOf, loadOrCreateIdentity, signRequest, type Identity } from "@/server/agent/protocol";
import { PROJECT_DIR, adminSession, jobEnded, pollUntil, startAgent, startServer, type ApiClient, type RunningAgent, type RunningServer, treeHashes } from "./serve-process";

const tmpDirs: string[] = [];
const tmpDir = () => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), "custodian-unlink-"));
  tmpDirs.push(d);
  return d;
};

let alpha: RunningServer;
let bravo: RunningServer;
let charlie: RunningServer;
let agent: RunningAgent;
let agentDir: string;
let bravoDir: string;
let charlieDir: string;
let source: string;


/** Bytes of the files under dir. */
const duBytes = (dir: string) => (fs.readdirSync(dir, { recursive: true }) as string[]).map((f) => fs.statSync(path.join(dir, f))).reduce((n, st) => n + (st.isFile() ? st.size : 0), 0);

/** The agent's own record of its owner and standby servers. */
const agentState = () => JSON.parse(fs.readFileSync(path.join(agentDir, "agent.json"), "utf8")) as { owner: { name: string } | null; standby: { name: string }[] };

beforeAll(async () => {
  if (!fs.existsSync(path.join(PROJECT_DIR, process.env.CUSTODIAN_DIST_DIR || ".next", "BUILD_ID"))) throw new Error("Build the UI first (npm run build); npm test does it for you.");
  source = tmpDir();
  for (let i = 0; i < 12; i++) fs.writeFileSync(path.join(source, `doc-${i}.bin`), randomBytes(200 * 1024));
  agentDir = tmpDir();
  bravoDir = tmpDir();
  charlieDir = tmpDir();
  [alpha, bravo, charlie, agent] = await Promise.all([
    startServer(["--data", tmpDir(), "--no-demo", "--name", "alpha"]),
    startServer(["--data", bravoDir, "--no-demo", "--name", "bravo"]),
    startServer(["--data", charlieDir, "--no-demo", "--name", "charlie"]),
    startAgent(["--data", agentDir, "--name", "file-host", "--folder", `docs=${source}`]),
  ]);
}, 120_000);

afterAll(async () => {
  await Promise.all([alpha, bravo, charlie, agent].map((p) => (p?.child.exitCode === null && p.child.signalCode === null ? p.stop() : undefined)));
  tmpDirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true }));
});

const ok = <T,>(r: { data?: unknown; error?: { message: string } }) => {
  expect(r.error?.message).toBeUndefined();
  return r.data as T;
};
type Rp = { id: number; createdAt: string };
const points = async (api: ApiClient, dataSourceId: number) => ((await api.call("recovery.recoveryPoints", { dataSourceId }, "query")).data as Rp[]) ?? [];
const selfId = async (api: ApiClient) => ok<{ id: string; isSelf: boolean }[]>(await api.call("servers.list", undefined, "query")).find((s) => s.isSelf)!.id;
const roles = async (api: ApiClient) =>
  ok<{ name: string; isSelf: boolean; isPrimary: boolean; isSecondary: boolean }[]>(await api.call("servers.list", undefined, "query")).map((s) => [s.name, s.isSelf ? "self" : s.isPrimary ? "primary" : s.isSecondary ? "secondary" : "-"]);
const settings = { catalogEveryMinutes: 1440, replicaEveryMinutes: 60, catalogRetentionDays: 14, autoSwitch: false, graceMinutes: 15 };

/** Links `secondary` to alpha, selects the folder and copies it once; returns the mirror's id there. */
async function protectAlpha(secondary: ApiClient, alphaId: string, docsId: number, a: ApiClient): Promise<number> {
  const token = ok<{ token: string }>(await a.call("servers.createEnrolmentToken")).token;
  ok(await secondary.call("servers.linkPrimary", { url: alpha.url, token }));
  ok(await secondary.call("servers.configureSecondaryProtection", { primaryId: alphaId, sourceIds: [docsId], ...settings }));
  const jobs = ok<{ catalogCopyJobId: number; replicationJobId: number }>(await secondary.call("servers.replicateNow", { primaryId: alphaId }));
  for (const id of [jobs.catalogCopyJobId, jobs.replicationJobId]) {
    const j = await jobEnded(secondary, id);
    expect([j.state, j.error], JSON.stringify(j.log)).toEqual(["succeeded", null]);
  }
  const link = ok<{ sources: { id: number; originSourceId: number; recoveryPoints: number }[] }>(await secondary.call("servers.link", { primaryId: alphaId, secondaryId: await selfId(secondary) }, "query"));
  const mirror = link.sources.find((s) => s.originSourceId === docsId)!;
  expect(mirror.recoveryPoints).toBeGreaterThanOrEqual(1);
  return mirror.id;
}

describe("removing a link between servers", () => {
  it("is refused while switched; keeps or deletes the secondary's copies; frees the primary for another secondary; drops the standby from the agent", async () => {
    const a = await adminSession(alpha.url);
    const b = await adminSession(bravo.url);
    const c = await adminSession(charlie.url);
    const [alphaId, bravoId, charlieId] = [await selfId(a), await selfId(b), await selfId(c)];

    // alpha protects the agent's folder (recovery points only when asked).
    ok(await a.call("agents.pair", { url: agent.url, token: agent.token }));
    const computers = ok<{ name: string; sources: { id: number; name: string }[] }[]>(await a.call("protection.refreshSources"));
    const docsId = computers.find((x) => x.name === "file-host")!.sources.find((s) => s.name === "docs")!.id;
    const later = new Date(Date.now() + 6 * 3600_000);
    const time = `${String(later.getHours()).padStart(2, "0")}:${String(later.getMinutes()).padStart(2, "0")}`;
    const policy = { ...defaultShortTermPolicy({ hasDatabases: false }), synchronization: { justBeforeRecoveryPoint: true }, recoveryPoints: { days: ["mon", "tue", "wed", "thu", "fri", "sat", "sun"], times: [time] } };
    ok(await a.call("protection.createGroup", { name: "Documents", policy, members: [docsId] }));
    await pollUntil("the initial replica", async () => ((await points(a, docsId)).length >= 1 ? true : undefined), 60_000);
    const alphaPoints = (await points(a, docsId)).length;

    // bravo protects alpha; the agent names bravo a standby.
    const mirror = await protectAlpha(b, alphaId, docsId, a);
    expect(agentState()).toMatchObject({ owner: { name: "alpha" }, standby: [{ name: "bravo" }] });

    // Switched to bravo: neither end may remove the link; each says to switch back first.
    const switched = ok<{ switched: { checkJobId: number }[]; refused: unknown[] }>(await b.call("servers.switchProtection", { primaryId: alphaId, dataSourceIds: [mirror] }));
    expect(switched.refused).toEqual([]);
    expect((await jobEnded(b, switched.switched[0]!.checkJobId)).state).toBe("succeeded");
    ok(await b.call("servers.heartbeatNow")); // alpha learns of the switch
    const onBravo = await b.call("servers.removeLink", { primaryId: alphaId, secondaryId: bravoId, copies: "keep" });
    expect(onBravo.error?.data.code).toBe("CONFLICT");
    expect(onBravo.error?.message).toMatch(/is switched to bravo: removing the link would leave it protected by no server\. Switch back first: on alpha, take ownership/);
    const onAlpha = await a.call("servers.removeLink", { primaryId: alphaId, secondaryId: bravoId });
    expect(onAlpha.error?.message).toMatch(/is switched to bravo.*\(rule: switched-sources\)/);
    expect(await roles(a)).toEqual([
      ["alpha", "self"],
      ["bravo", "secondary"],
    ]);

    // Switch back; then bravo removes the link, keeping its copies.
    const back = ok<{ taken: { checkJobId: number }[]; pullJobId: number }>(await a.call("servers.takeOwnership", { dataSourceIds: [docsId] }));
    expect((await jobEnded(a, back.pullJobId)).state).toBe("succeeded");
    expect((await jobEnded(a, back.taken[0]!.checkJobId)).state).toBe("succeeded");
    expect(agentState()).toMatchObject({ owner: { name: "alpha" }, standby: [{ name: "bravo" }] });
    const kept = await points(b, mirror);
    const removed = ok<{ end: string; otherEnd: { told: boolean }; standby: { removed: number; failed: unknown[] }; deleted: unknown }>(
      await b.call("servers.removeLink", { primaryId: alphaId, secondaryId: bravoId, copies: "keep" }),
    );
    expect(removed).toMatchObject({ end: "secondary", otherEnd: { told: true }, standby: { removed: 1, failed: [] }, deleted: null });
    expect(await roles(a)).toEqual([
      ["alpha", "self"],
      ["bravo", "-"],
    ]);
    expect(await roles(b)).toEqual([
      ["bravo", "self"],
      ["alpha", "-"],
    ]);
    expect(agentState()).toMatchObject({ owner: { name: "alpha" }, standby: [] });
    expect((await points(a, docsId)).length).toBeGreaterThanOrEqual(alphaPoints); // alpha's own history is untouched
    const audit = ok<{ events: { action: string; username: string; target: string; outcome: string }[] }>(await a.call("audit.list", { action: "servers.link-removed", limit: 20 }, "query"));
    expect(audit.events).toEqual([expect.objectContaining({ username: "peer bravo", target: "alpha → bravo", outcome: "ok" })]);

    // The kept copies stay on bravo and restore there, byte for byte, to a folder on bravo (the agent no longer accepts it).
    expect(await points(b, mirror)).toEqual(kept);
    const sources = ok<{ id: number; originServer: string; originUnlinked: boolean }[]>(await b.call("recovery.sources", undefined, "query"));
    expect(sources.find((s) => s.id === mirror)).toMatchObject({ originServer: "alpha", originUnlinked: true });
    const newest = kept.sort((x, y) => y.createdAt.localeCompare(x.createdAt))[0]!;
    const original = await b.call("recovery.restore", { dataSourceId: mirror, recoveryPointId: newest.id, existing: "overwrite" });
    expect(original.error?.message).toMatch(/kept when the link with alpha was removed.*give a folder on this server/);
    const target = tmpDir();
    const restore = ok<{ jobId: number }>(await b.call("recovery.restore", { dataSourceId: mirror, recoveryPointId: newest.id, target, existing: "overwrite" }));
    const restored = await jobEnded(b, restore.jobId);
    expect([restored.state, restored.error]).toEqual(["succeeded", null]);
    expect(treeHashes(target)).toEqual(treeHashes(source));

    // The topology is free: charlie becomes alpha's secondary, copies it, then removes the link deleting its copies.
    const charliePool = path.join(charlieDir, "pool");
    const emptyPool = duBytes(charliePool);
    const charlieMirror = await protectAlpha(c, alphaId, docsId, a);
    expect(await roles(a)).toEqual([
      ["alpha", "self"],
      ["bravo", "-"],
      ["charlie", "secondary"],
    ]);
    expect(agentState().standby).toEqual([expect.objectContaining({ name: "charlie" })]);
    const withCopies = duBytes(charliePool);
    expect(withCopies - emptyPool).toBeGreaterThan(12 * 200 * 1024 * 0.9);
    const deleted = ok<{ deleted: { dataSources: number; recoveryPoints: number; catalogSnapshots: number }; pruneJobId: number }>(
      await c.call("servers.removeLink", { primaryId: alphaId, secondaryId: charlieId, copies: "delete" }),
    );
    expect(deleted.deleted).toMatchObject({ dataSources: 1, catalogSnapshots: 1 });
    expect(deleted.deleted.recoveryPoints).toBeGreaterThanOrEqual(1);
    const prune = await jobEnded(c, deleted.pruneJobId);
    expect([prune.state, prune.error]).toEqual(["succeeded", null]);
    expect(withCopies - duBytes(charliePool)).toBeGreaterThan(12 * 200 * 1024 * 0.9); // the copies' space is back
    expect(ok<unknown[]>(await c.call("recovery.sources", undefined, "query"))).toEqual([]);
    expect((await c.call("servers.link", { primaryId: alphaId, secondaryId: charlieId }, "query")).error?.data.code).toBe("NOT_FOUND");
    expect(charlieMirror).toBeGreaterThan(0);
    expect(agentState()).toMatchObject({ owner: { name: "alpha" }, standby: [] });
    expect(await roles(a)).toEqual([
      ["alpha", "self"],
      ["bravo", "-"],
      ["charlie", "-"],
    ]);
    expect((await points(a, docsId)).length).toBeGreaterThanOrEqual(alphaPoints);
  }, 300_000);

  it("refuses unlink requests from a server that is no longer linked, and forged ones, with 401, and logs them", async () => {
    const a = await adminSession(alpha.url);
    const alphaId = await selfId(a);
    const bravoId = await selfId(await adminSession(bravo.url));
    const body = Buffer.from(JSON.stringify({ primaryId: alphaId, secondaryId: bravoId }));
    const send = (identity: Identity) =>
      fetch(`${alpha.url}/peer-api/v1/unlink`, { method: "POST", headers: { ...signRequest(identity, "POST", "/peer-api/v1/unlink", body, alphaId), "content-type": "application/json" }, body: body as Uint8Array<ArrayBuffer> });
    const formerSecondary = await send(loadOrCreateIdentity(path.join(bravoDir, "secrets", "server-key.pem")));
    expect(formerSecondary.status).toBe(401);
    expect(((await formerSecondary.json()) as { error: string }).error).toMatch(/unknown key/);
    const { privateKey } = generateKeyPairSync("ed25519");
    const publicKey = createPublicKey(privateKey).export({ type: "spki", format: "der" }).toString("base64");
    expect((await send({ privateKey, publicKey, keyId: keyIdOf(publicKey) })).status).toBe(401);
    await pollUntil("the refusals in alpha's log", async () => (alpha.output().split("\n").filter((l) => l.includes("refused peer request") && l.includes("/peer-api/v1/unlink")).length >= 2 ? true : undefined), 10_000);
  });
});
