/**
 * Secondary protection on two in-process servers talking the real peer protocol on loopback:
 * signed catalog snapshots and what a tampered one looks like, the catalog-copy job, and what a
 * peer may and may not read.
 */
import fs from "node:fs";
import path from "node:path";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { catalogSnapshots, dataSources, jobs, protectedComputers } from "@/db/schema";
import { createTestServices } from "@/server/testing/test-services";
import { mirrorSources } from "./secondary-protection";
import { DomainError } from "@/server/domain/errors";
import { readHeader } from "@/server/engine/manifest";
import { PeerClient } from "@/server/peer/peer-client";
import { restoreCatalogSnapshot, snapshotAnswer, snapshotProblem, takeCatalogSnapshot } from "./catalog-snapshots";
import { testPeers, type TestPeer } from "./peer-test-helpers";

const peer = testPeers();

async function linked() {
  const a = await peer("alpha", { onDisk: true });
  const b = await peer("bravo", { onDisk: true });
  await b.admin().servers.linkPrimary({ url: a.url, token: (await a.admin().servers.createEnrolmentToken()).token });
  return { a, b };
}

/** The DomainError a promise rejects with (anything else fails the test). */
async function refusal(p: Promise<unknown>): Promise<DomainError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  if (!(err instanceof DomainError)) throw new Error(`expected a DomainError, got ${String(err)}`);
  return err;
}

/** Grows a catalog to a few MB of varied rows, so a small change leaves most of its chunks as they were. */
function growCatalog(p: TestPeer, rows: number, seed: string) {
  const ins = p.services.db.$client.prepare("INSERT INTO audit_events (at, username, action, target, outcome, detail) VALUES (?, 'admin', 'test.row', ?, 'ok', ?)");
  p.services.db.$client.transaction(() => {
    for (let i = 0; i < rows; i++) ins.run(Date.now(), `${seed}-${i}`, `${seed} ${i} `.repeat(40));
  })();
}

const restoreTo = (p: TestPeer, snapshotId: number, o: { publicKey?: string; expect?: string } = {}) =>
  restoreCatalogSnapshot(p.services, {
    snapshotId,
    destFile: path.join(p.services.protection.dataDir, "restored", "catalog.db"),
    publicKey: o.publicKey ?? p.services.protection.identity().publicKey,
    expectServerId: o.expect ?? p.id,
  });

describe("catalog snapshots", () => {
  it("are consistent copies of the live catalog that restore only for their own server, signed so that any change is refused", async () => {
    const a = await peer("alpha", { onDisk: true });
    const snap = await takeCatalogSnapshot(a.services);
    expect(snap).toMatchObject({ serverId: a.id, keyId: a.services.protection.identity().keyId });
    const row = a.services.db.select().from(catalogSnapshots).get()!;
    expect(row.copiedAt).toBeNull();
    const restored = await restoreTo(a, row.id);
    expect(restored.sizeBytes).toBe(snap.sizeBytes);
    expect(fs.statSync(path.join(a.services.protection.dataDir, "restored", "catalog.db")).size).toBe(snap.sizeBytes);

    // A rebuild that meets another server's catalog stops with a clear error, and writes nothing.
    fs.rmSync(path.join(a.services.protection.dataDir, "restored"), { recursive: true });
    const other = await refusal(restoreTo(a, row.id, { expect: "00000000-0000-4000-8000-000000000000" }));
    expect(other.message).toMatch(/this catalog belongs to alpha \(.+\), not to server 00000000/);
    expect(fs.existsSync(path.join(a.services.protection.dataDir, "restored", "catalog.db"))).toBe(false);

    // Signed by another key (a forged snapshot, or another server's): refused.
    const b = await peer("bravo");
    expect((await refusal(restoreTo(a, row.id, { publicKey: b.services.protection.identity().publicKey }))).message).toMatch(/signed with another key/);

    // Any field of the statement or the tree changed after signing: refused before anything is restored.
    const header = readHeader(a.services.protection.pool().dir, row.manifestId);
    const answer = snapshotAnswer(row);
    const key = a.services.protection.identity().publicKey;
    expect(snapshotProblem(answer, header, key)).toBeNull();
    expect(snapshotProblem({ ...answer, sizeBytes: answer.sizeBytes + 1 }, header, key)).toMatch(/signature does not match/);
    expect(snapshotProblem({ ...answer, sha256: "0".repeat(64) }, header, key)).toMatch(/signature does not match/);
    expect(snapshotProblem(answer, { ...header, tree: [...header.tree].reverse().concat("f".repeat(64)) }, key)).toMatch(/signature does not match/);
    expect(snapshotProblem(answer, { ...header, source: "agent:files" }, key)).toMatch(/not the catalog of server/);
    a.services.db.update(catalogSnapshots).set({ sha256: "0".repeat(64) }).where(eq(catalogSnapshots.id, row.id)).run();
    expect((await refusal(restoreTo(a, row.id))).message).toMatch(/is refused: its signature does not match/);
  });

  it("a secondary's catalog-copy job verifies and keeps the primary's snapshots, which restore there as the primary's catalog", async () => {
    const { a, b } = await linked();
    growCatalog(a, 5000, "first");
    await b.admin().servers.configureSecondaryProtection({ primaryId: a.id, sourceIds: [], catalogEveryMinutes: 1440, replicaEveryMinutes: 60, catalogRetentionDays: 14, autoSwitch: false, graceMinutes: 15 });
    const copy = async () => {
      const { catalogCopyJobId } = await b.admin().servers.replicateNow({ primaryId: a.id });
      await b.services.jobs.idle();
      const job = b.services.db.select().from(jobs).where(eq(jobs.id, catalogCopyJobId)).get()!;
      expect([job.state, job.error]).toEqual(["succeeded", null]);
      return JSON.parse(job.result!) as { storedBytesCopied: number; sizeBytes: number };
    };
    const first = await copy();
    expect(first.storedBytesCopied).toBeGreaterThan(0);
    growCatalog(a, 20, "second");
    const second = await copy();
    // What a second copy moves is bounded by the catalog's size. (It is not much smaller here:
    // the pool's ~1 MiB chunks are coarse for a few-MB catalog whose changes are scattered
    // pages, the header page among them; see the notes.)
    expect(first.storedBytesCopied).toBeGreaterThan(100_000);
    expect(second.storedBytesCopied).toBeLessThan(first.storedBytesCopied * 1.2);
    const held = b.services.db.select().from(catalogSnapshots).where(eq(catalogSnapshots.serverId, a.id)).all();
    expect(held).toHaveLength(2);
    expect(held.every((s) => s.copiedAt !== null)).toBe(true);
    // The copy restores on the secondary as the primary's catalog, verified against the primary's key.
    const restored = await restoreCatalogSnapshot(b.services, {
      snapshotId: held[1]!.id,
      destFile: path.join(b.services.protection.dataDir, "rebuild", "catalog.db"),
      publicKey: a.services.protection.identity().publicKey,
      expectServerId: a.id,
    });
    expect(restored.sizeBytes).toBe(second.sizeBytes);
    const link = await b.manager().servers.link({ primaryId: a.id, secondaryId: b.id });
    expect(link.catalogSnapshots).toHaveLength(2);
    expect(link.lastCatalogCopyAt).not.toBeNull();
  });
});

describe("what a peer may read", () => {
  it("a primary's sources and snapshots are its secondary's to read, not the other way round, and no unlinked server's", async () => {
    const { a, b } = await linked();
    const c = await peer("charlie");
    const asSecondary = new PeerClient({ id: a.id, name: "alpha", url: a.url, publicKey: a.services.protection.identity().publicKey }, b.services.protection.identity());
    expect(await asSecondary.sources()).toEqual([]);
    // Answers are signed by the answering server: a client that expects another key refuses what it hears.
    const expectingAnother = new PeerClient({ id: a.id, name: "alpha", url: a.url, publicKey: c.services.protection.identity().publicKey }, b.services.protection.identity());
    await expect(expectingAnother.sources()).rejects.toThrow(/alpha's answer does not carry its signature/);
    // The primary asking its secondary for the secondary's sources: forbidden.
    const asPrimary = new PeerClient({ id: b.id, name: "bravo", url: b.url, publicKey: b.services.protection.identity().publicKey }, a.services.protection.identity());
    await expect(asPrimary.sources()).rejects.toThrow(/403.*only this server's secondary may list/);
    await expect(asPrimary.catalogSnapshot()).rejects.toThrow(/403/);
    // A server that is not linked cannot even be verified.
    const stranger = new PeerClient({ id: a.id, name: "alpha", url: a.url, publicKey: a.services.protection.identity().publicKey }, c.services.protection.identity());
    await expect(stranger.sources()).rejects.toThrow(/401/);
    await expect(stranger.replicationSource().getStored(["a".repeat(64)])).rejects.toThrow(/401/);
    expect(a.warnings.some((w) => w.msg === "refused peer request")).toBe(true);
    // A manifest nobody shares with the secondary (the primary's own, not a recovery point or snapshot of it): not found.
    await expect(asSecondary.replicationSource().header("20261124T120000000Z-0123abcd")).rejects.toThrow(/404/);
    // Bad input to the peer API is refused with its reason.
    await expect(asSecondary.recoveryPoints(-1, null, undefined, { whose: "yours" })).rejects.toThrow(/400.*source must be a data source id/);
    // Whose source is said, not guessed: the secondary asking for copies of "its" source the primary would hold is refused (the primary is not its secondary).
    await expect(asSecondary.recoveryPoints(1, null, undefined, { whose: "mine" })).rejects.toThrow(/403/);
  });
});

describe("mirrored sources on the secondary", () => {
  it("keep one computer per primary computer across rounds, with or without an agent, and follow the primary's names", () => {
    const { services } = createTestServices();
    const primary = { id: "11111111-1111-4111-8111-111111111111", name: "alpha" };
    const source = (id: number, name: string, computer: string, agent: boolean) => ({
      id,
      name,
      kind: "folder" as const,
      path: `/srv/${name}`,
      computer,
      groupId: 1,
      group: "Files",
      policy: null,
      agent: agent ? { id: "22222222-2222-4222-8222-222222222222", name: computer, url: "http://127.0.0.1:1", publicKey: "AAAA" } : null,
      recoveryPoints: 1,
      latestRecoveryPointAt: null,
      switched: false,
    });
    const remote = [source(1, "finance", "vm", false), source(2, "projects", "vm", false), source(3, "docs", "pc-1", true)];
    for (let round = 0; round < 3; round++) services.db.transaction((tx) => mirrorSources(tx, primary, remote, new Set([1, 2, 3]), new Date()));
    expect(services.db.select({ name: protectedComputers.name }).from(protectedComputers).all().map((c) => c.name).sort()).toEqual(["pc-1", "vm (alpha)"]);
    const mirrors = services.db.select().from(dataSources).all();
    expect(mirrors.map((m) => [m.name, m.originSourceId, m.protectedHere])).toEqual([
      ["finance", 1, false],
      ["projects", 2, false],
      ["docs", 3, false],
    ]);
    // Renamed on the primary, and one source gone: the mirror follows, the gone one is marked absent.
    services.db.transaction((tx) => mirrorSources(tx, primary, [{ ...remote[0]!, name: "finance-share" }, remote[2]!], new Set([1, 3]), new Date()));
    expect(services.db.select({ name: dataSources.name, present: dataSources.present }).from(dataSources).all()).toEqual([
      { name: "finance-share", present: true },
      { name: "projects", present: false },
      { name: "docs", present: true },
    ]);
  });
});
