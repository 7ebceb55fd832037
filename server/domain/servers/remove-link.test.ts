/**
 * Removing a link between servers, on two or three in-process servers talking the real peer
 * protocol on loopback: both ends drop it, the secondary keeps or deletes its copies, the
 * rules refuse while a source is switched, an unreachable end is left to remove its half
 * alone, the link's jobs stop, and unlink requests from anyone else are refused.
 */
import fs from "node:fs";
import http from "node:http";
import path from "node:path";
import type { AddressInfo } from "node:net";
import { createPublicKey, generateKeyPairSync } from "node:crypto";
import { and, eq } from "drizzle-orm";
import { afterEach, describe, expect, it } from "vitest";
import { alerts, auditEvents, catalogSnapshots, dataSources, jobs, protectedComputers, protectionGroups, recoveryPoints, serverLinks, servers } from "@/db/schema";
import { errorOf, signedInAs } from "@/server/testing/test-services";
import { backupFolder } from "@/server/engine/archiver";
import { listManifestIds } from "@/server/engine/manifest";
import { keyIdOf, signRequest, type Identity } from "@/server/agent/protocol";
import { PeerClient } from "@/server/peer/peer-client";
import { enqueueJob } from "../jobs/job-queue";
import { raiseAlert } from "../monitoring/alerts";
import { mirrorSources } from "./secondary-protection";
import { keptCatalogRetentionDays } from "./remove-link";
import { testPeers, type TestPeer } from "./peer-test-helpers";

const peer = testPeers();
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((c) => c()));
});

const settings = { sourceIds: [], catalogEveryMinutes: 1440, replicaEveryMinutes: 60, catalogRetentionDays: 30, autoSwitch: false, graceMinutes: 15 };

async function link(secondary: TestPeer, primary: TestPeer) {
  await secondary.admin().servers.linkPrimary({ url: primary.url, token: (await primary.admin().servers.createEnrolmentToken()).token });
}

/** alpha protected by bravo, which holds a catalog copy of alpha and a copy of one of its data sources with a real recovery point. */
async function protectedPair() {
  const a = await peer("alpha", { onDisk: true });
  const b = await peer("bravo", { onDisk: true });
  await link(b, a);
  await b.admin().servers.configureSecondaryProtection({ primaryId: a.id, ...settings });
  await b.admin().servers.replicateNow({ primaryId: a.id });
  await b.services.jobs.idle();
  expect(b.services.db.select().from(catalogSnapshots).where(eq(catalogSnapshots.serverId, a.id)).all()).toHaveLength(1);
  // A copy of alpha's "docs" (as replication makes one): its mirror, group and computer, and a recovery point in bravo's pool.
  const now = b.clock.now();
  const remote = { id: 7, name: "docs", kind: "folder" as const, path: "/srv/docs", computer: "pc-1", groupId: 3, group: "Files", policy: null, agent: null, recoveryPoints: 1, latestRecoveryPointAt: null, switched: false };
  b.services.db.transaction((tx) => mirrorSources(tx, { id: a.id, name: "alpha" }, [remote], new Set([7]), now));
  const mirror = b.services.db.select().from(dataSources).where(eq(dataSources.originServerId, a.id)).get()!;
  const folder = path.join(b.services.protection.dataDir, "docs");
  fs.mkdirSync(folder, { recursive: true });
  fs.writeFileSync(path.join(folder, "a.txt"), "alpha's document\n");
  const header = await backupFolder(b.services.protection.pool(), folder, { sourceLabel: "agent:x:docs" });
  b.services.db.insert(recoveryPoints).values({ dataSourceId: mirror.id, createdAt: now, kind: "incremental", manifestId: header.id, madeByServerId: a.id }).run();
  return { a, b, mirror, manifest: header.id };
}

const links = (p: TestPeer) => p.services.db.select({ primaryId: serverLinks.primaryId, secondaryId: serverLinks.secondaryId }).from(serverLinks).all();
const audited = (p: TestPeer) => p.services.db.select().from(auditEvents).where(eq(auditEvents.action, "servers.link-removed")).all();

/** A proxy in front of `target` that holds requests whose path `hold` matches (a primary slow to answer them). */
async function holdingProxy(target: string, hold: (url: string) => boolean) {
  const held: string[] = [];
  const server = http.createServer((req, res) => {
    if (hold(req.url ?? "")) {
      held.push(req.url ?? "");
      return;
    }
    const up = http.request(target + req.url, { method: req.method, headers: req.headers }, (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers);
      r.pipe(res);
    });
    up.on("error", () => res.destroy());
    req.pipe(up);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  closers.push(() => new Promise<void>((r) => (server.closeAllConnections(), server.close(() => r()))));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, held };
}

describe("removing a link from the secondary", () => {
  it("keeping the copies: both ends drop the link, the copies stay restorable under their retention, the link's jobs stop, and the primary can take another secondary", async () => {
    const { a, b, mirror, manifest } = await protectedPair();
    const queued = enqueueJob(b.services.db, { type: "replication", target: "alpha", trigger: "schedule", peerServerId: a.id }, b.clock.now());
    raiseAlert(b.services.db, { key: `link-replication-failed:${a.id}`, type: "link-replication-failed", severity: "critical", title: "Secondary protection of alpha failed", target: "alpha" }, b.clock.now());

    expect((await errorOf(b.manager().servers.removeLink({ primaryId: a.id, secondaryId: b.id, copies: "keep" }))).code).toBe("FORBIDDEN");
    const noChoice = await errorOf(b.admin().servers.removeLink({ primaryId: a.id, secondaryId: b.id }));
    expect([noChoice.code, noChoice.message]).toEqual(["BAD_REQUEST", "Choose whether this server keeps or deletes the copies of alpha's catalog and recovery points it holds. (rule: copies-choice)"]);

    const r = await b.admin().servers.removeLink({ primaryId: a.id, secondaryId: b.id, copies: "keep" });
    expect(r).toMatchObject({ end: "secondary", copies: "keep", otherEnd: { told: true }, standby: { removed: 0, failed: [] }, cancelledJobs: [queued], deleted: null, pruneJobId: null });
    expect(links(a)).toEqual([]);
    expect(links(b)).toEqual([]);
    expect(b.services.db.select({ state: jobs.state }).from(jobs).where(eq(jobs.id, queued)).get()!.state).toBe("cancelled");
    expect(b.services.db.select().from(alerts).where(and(eq(alerts.type, "link-replication-failed"), eq(alerts.active, true))).all()).toEqual([]);

    // The copies stay: the mirror in its group (whose retention expires its recovery points), the recovery point, the catalog copy.
    expect(b.services.db.select({ groupId: dataSources.groupId }).from(dataSources).where(eq(dataSources.id, mirror.id)).get()!.groupId).not.toBeNull();
    expect(b.services.db.select().from(recoveryPoints).where(eq(recoveryPoints.dataSourceId, mirror.id)).all()).toHaveLength(1);
    expect(b.services.db.select().from(catalogSnapshots).where(eq(catalogSnapshots.serverId, a.id)).all()).toHaveLength(1);
    expect(listManifestIds(b.services.protection.pool().dir)).toContain(manifest);
    expect(keptCatalogRetentionDays(b.services.db, a.id)).toBe(30);
    const recoverable = await b.admin().recovery.sources();
    expect(recoverable.find((s) => s.id === mirror.id)).toMatchObject({ originServer: "alpha", protectedHere: false });

    // Both ends audited it; the primary's own catalog snapshots are untouched.
    expect(audited(b)[0]).toMatchObject({ username: "admin", target: "alpha → bravo", outcome: "ok" });
    expect(audited(b)[0]!.detail).toMatch(/^this server was the secondary; the copies here are kept .*; alpha removed its half; job\(s\) \d+ cancelled$/);
    expect(audited(a)[0]).toMatchObject({ username: "peer bravo", target: "alpha → bravo" });
    expect(a.services.db.select().from(catalogSnapshots).where(eq(catalogSnapshots.serverId, a.id)).all()).toHaveLength(1);

    // Neither end answers the other any more, and the link's page is gone.
    await expect(new PeerClient({ id: a.id, name: "alpha", url: a.url, publicKey: a.services.protection.identity().publicKey }, b.services.protection.identity()).sources()).rejects.toThrow(/401/);
    expect((await errorOf(b.manager().servers.link({ primaryId: a.id, secondaryId: b.id }))).code).toBe("NOT_FOUND");
    expect((await errorOf(b.admin().servers.removeLink({ primaryId: a.id, secondaryId: b.id, copies: "keep" }))).code).toBe("NOT_FOUND");

    // The topology is free: alpha takes another secondary.
    const c = await peer("charlie");
    await link(c, a);
    expect(links(a)).toEqual([{ primaryId: a.id, secondaryId: c.id }]);
  });

  it("deleting the copies: the primary's mirrored sources, groups, computers, recovery points and catalog copies go, and a prune frees their space", async () => {
    const { a, b, manifest } = await protectedPair();
    const pool = b.services.protection.pool().dir;
    const snapshot = b.services.db.select().from(catalogSnapshots).get()!.manifestId;
    const r = await b.admin().servers.removeLink({ primaryId: a.id, secondaryId: b.id, copies: "delete" });
    expect(r).toMatchObject({ copies: "delete", otherEnd: { told: true }, deleted: { dataSources: 1, recoveryPoints: 1, catalogSnapshots: 1 } });
    expect(b.services.db.select().from(dataSources).where(eq(dataSources.originServerId, a.id)).all()).toEqual([]);
    expect(b.services.db.select().from(protectionGroups).all()).toEqual([]);
    expect(b.services.db.select().from(protectedComputers).all()).toEqual([]);
    expect(b.services.db.select().from(recoveryPoints).all()).toEqual([]);
    expect(b.services.db.select().from(catalogSnapshots).all()).toEqual([]);
    expect(keptCatalogRetentionDays(b.services.db, a.id)).toBeNull();
    expect(listManifestIds(pool)).not.toContain(manifest);
    expect(listManifestIds(pool)).not.toContain(snapshot);
    await b.services.jobs.idle();
    const prune = b.services.db.select().from(jobs).where(eq(jobs.id, r.pruneJobId!)).get()!;
    expect([prune.type, prune.state]).toEqual(["prune", "succeeded"]);
    expect(JSON.parse(prune.result!).bytesFreed).toBeGreaterThan(0);
    // The primary's own data is untouched.
    expect(a.services.db.select().from(catalogSnapshots).all()).toHaveLength(1);
    expect(listManifestIds(a.services.protection.pool().dir)).toHaveLength(1);
  });

  it("cancels a running job of the link and waits for it to stop", async () => {
    const a = await peer("alpha", { onDisk: true });
    const b = await peer("bravo", { onDisk: true });
    await link(b, a);
    await b.admin().servers.configureSecondaryProtection({ primaryId: a.id, ...settings });
    // alpha is slow to take its catalog snapshot: the catalog copy is running when the link is removed.
    const proxy = await holdingProxy(a.url, (u) => u.startsWith("/peer-api/v1/catalog-snapshot"));
    b.services.db.update(servers).set({ url: proxy.url }).where(eq(servers.id, a.id)).run();
    const { catalogCopyJobId } = await b.admin().servers.replicateNow({ primaryId: a.id });
    await expect.poll(() => proxy.held.length).toBe(1);
    expect(b.services.db.select({ state: jobs.state }).from(jobs).where(eq(jobs.id, catalogCopyJobId)).get()!.state).toBe("running");
    const r = await b.admin().servers.removeLink({ primaryId: a.id, secondaryId: b.id, copies: "keep" });
    expect(r.otherEnd).toEqual({ told: true });
    expect(r.cancelledJobs).toContain(catalogCopyJobId);
    // Stopped before the removal answered: cancelled by the admin, and its failure is not left as an alert.
    expect(b.services.db.select({ state: jobs.state, endedBy: jobs.endedBy }).from(jobs).where(eq(jobs.id, catalogCopyJobId)).get()).toEqual({ state: "cancelled", endedBy: "user" });
    expect(b.services.db.select().from(alerts).where(eq(alerts.active, true)).all()).toEqual([]);
    expect(links(a)).toEqual([]);
  });
});

describe("restoring a kept copy", () => {
  it("goes to a folder on this server, by an administrator, never into the server's data folder", async () => {
    const { a, b, mirror } = await protectedPair();
    await b.admin().servers.removeLink({ primaryId: a.id, secondaryId: b.id, copies: "keep" });
    const rp = b.services.db.select({ id: recoveryPoints.id }).from(recoveryPoints).where(eq(recoveryPoints.dataSourceId, mirror.id)).get()!;
    const ask = (target?: string) => ({ dataSourceId: mirror.id, recoveryPointId: rp.id, existing: "overwrite" as const, ...(target && { target }) });
    const helpdesk = (await signedInAs(b.services, "helpdesk")).caller;
    const refused = await errorOf(helpdesk().recovery.restore(ask("/tmp/anywhere")));
    expect([refused.code, refused.message]).toEqual(["FORBIDDEN", "this copy of alpha's data source was kept when the link with alpha was removed, so its computer's agent no longer accepts this server: it restores to a folder on this server, which only an administrator may do"]);
    expect((await errorOf(b.admin().recovery.restore(ask()))).message).toMatch(/: give a folder on this server to restore into$/);

    const target = path.join(path.dirname(b.services.protection.dataDir), `restored-${path.basename(b.services.protection.dataDir)}`);
    closers.push(async () => fs.rmSync(target, { recursive: true, force: true }));
    const { jobId } = await b.admin().recovery.restore(ask(target));
    const inside = (await b.admin().recovery.restore(ask(path.join(b.services.protection.dataDir, "pool")))).jobId;
    await b.services.jobs.idle();
    const job = (id: number) => b.services.db.select({ state: jobs.state, error: jobs.error }).from(jobs).where(eq(jobs.id, id)).get()!;
    expect(job(jobId)).toEqual({ state: "succeeded", error: null });
    expect(fs.readFileSync(path.join(target, "a.txt"), "utf8")).toBe("alpha's document\n");
    expect(job(inside).state).toBe("failed");
    expect(job(inside).error).toMatch(/is inside this server's data folder/);
  });
});

describe("removing a link from the primary", () => {
  it("leaves the secondary's copies kept there, and cannot delete them", async () => {
    const { a, b, mirror } = await protectedPair();
    const refused = await errorOf(a.admin().servers.removeLink({ primaryId: a.id, secondaryId: b.id, copies: "delete" }));
    expect(refused.message).toMatch(/The copies are bravo's: .* \(rule: copies-on-secondary\)/);
    const r = await a.admin().servers.removeLink({ primaryId: a.id, secondaryId: b.id });
    expect(r).toMatchObject({ end: "primary", copies: "keep", otherEnd: { told: true }, standby: { removed: 0, failed: [] } });
    expect(links(a)).toEqual([]);
    expect(links(b)).toEqual([]);
    expect(b.services.db.select().from(recoveryPoints).where(eq(recoveryPoints.dataSourceId, mirror.id)).all()).toHaveLength(1);
    expect(audited(b)[0]!.detail).toMatch(/^this server was the secondary; the copies here are kept/);
  });
});

describe("the rules", () => {
  it("refuse while protection of a source is switched, on this end or the other, and say to switch back first; nothing changes", async () => {
    const { a, b, mirror } = await protectedPair();
    b.services.db.update(dataSources).set({ protectedHere: true, switchState: JSON.stringify({ kind: "switched", epoch: 1, how: "manual", since: b.clock.now(), replica: "inconsistent" }) }).where(eq(dataSources.id, mirror.id)).run();
    const here = await errorOf(b.admin().servers.removeLink({ primaryId: a.id, secondaryId: b.id, copies: "delete" }));
    expect(here.code).toBe("CONFLICT");
    expect(here.message).toMatch(/^Protection of 1 of alpha's data source \(pc-1 \(alpha\): docs\) is switched to bravo: removing the link would leave it protected by no server\. Switch back first: on alpha, take ownership/);
    // alpha has not heard of the switch yet: bravo refuses when told, and alpha keeps the link.
    const there = await errorOf(a.admin().servers.removeLink({ primaryId: a.id, secondaryId: b.id }));
    expect(there.code).toBe("CONFLICT");
    expect(there.message).toMatch(/^bravo refused to remove the link, so nothing was changed: .*bravo keeps the link: Protection of 1 of alpha's data source/);
    expect(links(a)).toHaveLength(1);
    expect(links(b)).toHaveLength(1);
    expect(b.services.db.select().from(recoveryPoints).all()).toHaveLength(1);

    // On the primary: one of its own sources awaiting its ownership back.
    const computerId = a.services.db.insert(protectedComputers).values({ name: "pc-1", createdAt: a.clock.now() }).returning({ id: protectedComputers.id }).get().id;
    const state = { kind: "ownership-required", epoch: 1, how: "manual", since: a.clock.now(), replica: "inconsistent", primarySeenAt: a.clock.now() };
    a.services.db.insert(dataSources).values({ computerId, kind: "folder", path: "/srv/docs", name: "docs", createdAt: a.clock.now(), switchState: JSON.stringify(state), protectedHere: false }).run();
    const onPrimary = await errorOf(a.admin().servers.removeLink({ primaryId: a.id, secondaryId: b.id }));
    expect(onPrimary.message).toMatch(/^Protection of 1 of alpha's data source \(pc-1: docs\) is switched to bravo/);
  });

  it("an end that cannot reach the other removes its half and says so; the other then removes its half alone", async () => {
    const { a, b } = await protectedPair();
    await b.stop();
    const r = await a.admin().servers.removeLink({ primaryId: a.id, secondaryId: b.id });
    expect(r.otherEnd).toMatchObject({ told: false, stillListed: true, message: expect.stringMatching(/^bravo could not be told \(.*cannot reach.*\): it still lists the link until its admin removes it there too/) });
    expect(links(a)).toEqual([]);
    await b.start();
    expect(links(b)).toHaveLength(1);
    // bravo's heartbeat learns that alpha no longer knows it, and its alert says what to do.
    expect((await b.admin().servers.heartbeatNow())[0]).toMatchObject({ ok: false, error: expect.stringMatching(/401.*unknown key/) });
    expect(b.services.db.select().from(alerts).where(eq(alerts.active, true)).get()).toMatchObject({
      type: "primary-unreachable",
      title: "Primary server alpha no longer lists its link with this server",
      recommendedAction: expect.stringMatching(/^alpha's admin removed the link there\. Remove it here too/),
    });
    const alone = await b.admin().servers.removeLink({ primaryId: a.id, secondaryId: b.id, copies: "keep" });
    expect(alone.otherEnd).toEqual({ told: false, stillListed: false, message: "alpha no longer lists this link: its half was removed there already" });
    expect(alone.standby).toBeNull();
    expect(links(b)).toEqual([]);
    expect(audited(b)[0]!.detail).toContain("alpha no longer lists this link");
    expect(b.services.db.select().from(alerts).where(eq(alerts.active, true)).all()).toEqual([]);
  });
});

describe("unlink requests", () => {
  it("from an unlinked or forged server are refused with 401, a linked one may name only its own link (403); each is logged and nothing changes", async () => {
    const a = await peer("alpha");
    const b = await peer("bravo");
    const c = await peer("charlie");
    await link(b, a);
    const request = { primaryId: a.id, secondaryId: b.id };
    // charlie is known to nobody here; a forger signs with a key nobody recorded.
    await expect(new PeerClient({ id: a.id, name: "alpha", url: a.url, publicKey: a.services.protection.identity().publicKey }, c.services.protection.identity()).unlink(request)).rejects.toThrow(/401.*unknown key/);
    const { privateKey } = generateKeyPairSync("ed25519");
    const publicKey = createPublicKey(privateKey).export({ type: "spki", format: "der" }).toString("base64");
    const forger: Identity = { privateKey, publicKey, keyId: keyIdOf(publicKey) };
    const body = Buffer.from(JSON.stringify(request));
    const forged = await fetch(`${a.url}/peer-api/v1/unlink`, { method: "POST", headers: { ...signRequest(forger, "POST", "/peer-api/v1/unlink", body, a.id), "content-type": "application/json" }, body });
    expect(forged.status).toBe(401);
    // bravo is linked, but may not remove a link it is not an end of.
    await expect(new PeerClient({ id: a.id, name: "alpha", url: a.url, publicKey: a.services.protection.identity().publicKey }, b.services.protection.identity()).unlink({ primaryId: a.id, secondaryId: c.id })).rejects.toThrow(/403.*only a link between itself and this server/);
    expect(a.warnings.filter((w) => w.msg === "refused peer request").map((w) => (w.obj as { route: string }).route)).toEqual(["POST /peer-api/v1/unlink", "POST /peer-api/v1/unlink"]);
    expect(a.warnings.some((w) => w.msg === "peer request refused" && (w.obj as { route: string }).route === "POST /peer-api/v1/unlink")).toBe(true);
    expect(links(a)).toEqual([request]);
    expect(audited(a)).toEqual([]);
  });
});
