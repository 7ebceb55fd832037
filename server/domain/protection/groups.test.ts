import fs from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { asc, eq } from "drizzle-orm";
import { agents, dataSources, fileVersions, indexedFiles, jobs, protectedComputers, protectionGroups, recoveryPoints, type REPLICA_STATES } from "@/db/schema";
import { createTestServices, domainErrorOf } from "@/server/testing/test-services";
import type { Services } from "@/server/services";
import type { ManifestHeader } from "@/server/engine/manifest";
import { markRunning, markSucceeded } from "../jobs/job-queue";
import { recordRecoveryPoint } from "../recovery/recovery-points";
import { addMembers, createGroup, getGroup, removeMembers, runNow, stopProtection, updateGroupPolicy, type CreateGroupInput } from "./groups";
import { defaultShortTermPolicy, WEEKDAYS, type ShortTermPolicy } from "./short-term-policy";

const T0 = new Date("2026-11-24T12:00:00Z");
const files = (o: Partial<ShortTermPolicy> = {}): ShortTermPolicy => ({ ...defaultShortTermPolicy({ hasDatabases: false }), ...o });
const withDatabases = (o: Partial<ShortTermPolicy> = {}): ShortTermPolicy => ({ ...defaultShortTermPolicy({ hasDatabases: true }), ...o });

let services: Services;
let clock: ReturnType<typeof createTestServices>["clock"];
/** docs, scans: folders; crm, log: databases, all on "fileserver" (agent "agent-fs"). */
let src: Record<"docs" | "scans" | "crm" | "log", number>;

beforeEach(() => {
  ({ services, clock } = createTestServices({ now: T0.toISOString() }));
  const db = services.db;
  const pc = db.insert(protectedComputers).values({ name: "fileserver", createdAt: T0 }).returning().get().id;
  db.insert(agents).values({ id: "agent-fs", computerId: pc, url: "http://127.0.0.1:1", publicKey: "k", keyId: "kid", pairedAt: T0 }).run();
  const ds = (name: string, kind: "folder" | "sqlite") => db.insert(dataSources).values({ computerId: pc, kind, path: kind === "folder" ? `/srv/${name}` : `/srv/${name}.db`, name, createdAt: T0 }).returning().get().id;
  src = { docs: ds("docs", "folder"), scans: ds("scans", "folder"), crm: ds("crm", "sqlite"), log: ds("log", "sqlite") };
});

afterEach(async () => {
  vi.restoreAllMocks();
  await services.protection.close();
  fs.rmSync(services.protection.dataDir, { recursive: true, force: true });
});

const groupCount = () => services.db.select().from(protectionGroups).all().length;
const jobRows = () => services.db.select().from(jobs).orderBy(asc(jobs.id)).all();
const source = (id: number) => services.db.select().from(dataSources).where(eq(dataSources.id, id)).get()!;
const create = (input: Partial<CreateGroupInput> & { members: number[] }, by: string | null = "alice") => createGroup(services.db, { name: "Files", policy: files(), ...input }, clock.now(), by);

/** What the runner would do with the initial replicas: run them. */
function runQueued(): void {
  for (const j of services.db.select({ id: jobs.id }).from(jobs).where(eq(jobs.state, "queued")).all()) {
    markRunning(services.db, j.id, clock.now());
    markSucceeded(services.db, j.id, clock.now());
  }
}

function setState(id: number, replicaState: (typeof REPLICA_STATES)[number]) {
  services.db.update(dataSources).set({ replicaState }).where(eq(dataSources.id, id)).run();
}

describe("createGroup refusals", () => {
  const otherGroupMessage = "docs (/srv/docs) is protected by the group Other. A data source belongs to one group: remove it from Other (keeping or deleting its data), then add it here.";

  it.each<[string, () => Partial<CreateGroupInput> & { members: number[] }, Record<string, string[]>]>([
    ["an empty name", () => ({ name: "", members: [src.scans] }), { name: ["A protection group needs a name."] }],
    ["a blank name", () => ({ name: "   ", members: [src.scans] }), { name: ["A protection group needs a name."] }],
    ["a name of 65 characters", () => ({ name: "x".repeat(65), members: [src.scans] }), { name: ["A protection group name has at most 64 characters."] }],
    ["a name with ( )", () => ({ name: "Files (old)", members: [src.scans] }), { name: ["Use letters, digits and spaces only (characters such as | / ( ) . are not allowed in a group name)."] }],
    ["a name with /", () => ({ name: "a/b", members: [src.scans] }), { name: ["Use letters, digits and spaces only (characters such as | / ( ) . are not allowed in a group name)."] }],
    ["no members", () => ({ members: [] }), { members: ["Choose at least one data source to protect."] }],
    ["express full without databases", () => ({ policy: files({ expressFull: { days: [...WEEKDAYS], times: ["20:00"] } }), members: [src.scans] }), { expressFull: ["Express full backups apply to databases; this group has none."] }],
    ["a bad retention", () => ({ policy: files({ retentionDays: 449 }), members: [src.scans] }), { retentionDays: ["The retention range is a whole number of days from 1 to 448."] }],
    ["a member in another group", () => ({ members: [src.docs, src.scans] }), { members: [otherGroupMessage] }],
    ["a duplicate name", () => ({ name: "Other", members: [src.scans] }), { name: ["A protection group named Other exists already."] }],
    ["a duplicate name once trimmed", () => ({ name: "  Other ", members: [src.scans] }), { name: ["A protection group named Other exists already."] }],
    ["several fields at once", () => ({ name: "", members: [] }), { name: ["A protection group needs a name."], members: ["Choose at least one data source to protect."] }],
  ])("%s: INVALID, per field, nothing written", (_name, input, fieldErrors) => {
    createGroup(services.db, { name: "Other", policy: files(), members: [src.docs] }, T0);
    const before = jobRows().length;
    const e = domainErrorOf(() => create(input()));
    expect(e.code).toBe("INVALID");
    expect(e.fieldErrors).toEqual(fieldErrors);
    expect(groupCount()).toBe(1);
    expect(jobRows()).toHaveLength(before);
    expect(source(src.scans).groupId).toBeNull();
  });

  it("an unknown data source: NOT_FOUND on members", () => {
    const e = domainErrorOf(() => create({ members: [src.docs, 999] }));
    expect(e.code).toBe("NOT_FOUND");
    expect(e.fieldErrors).toEqual({ members: ["unknown data source 999"] });
    expect(groupCount()).toBe(0);
  });
});

describe("createGroup", () => {
  it("protects its members: replica creation pending and an initial recovery point each", () => {
    clock.advance(1000);
    const r = create({ name: "  Mixed files ", policy: withDatabases(), members: [src.docs, src.crm, src.docs] });
    expect(r.created).toBe(true);
    const g = services.db.select().from(protectionGroups).where(eq(protectionGroups.id, r.id)).get()!;
    expect(g).toMatchObject({ name: "Mixed files", createdAt: clock.now(), updatedAt: clock.now(), requestKey: null });
    expect(JSON.parse(g.policy)).toEqual(withDatabases());
    for (const id of [src.docs, src.crm]) {
      expect(source(id)).toMatchObject({ groupId: r.id, replicaState: "creation-pending", replicaStateAt: clock.now(), protectedSince: clock.now() });
    }
    expect(source(src.scans).groupId).toBeNull();
    expect(jobRows().map((j) => ({ type: j.type, state: j.state, trigger: j.trigger, dataSourceId: j.dataSourceId, groupId: j.groupId, target: j.target, params: j.params, requestedBy: j.requestedBy, agentId: j.agentId }))).toEqual([
      { type: "recovery-point", state: "queued", trigger: "system", dataSourceId: src.docs, groupId: r.id, target: "docs", params: '{"initialReplica":true}', requestedBy: "alice", agentId: "agent-fs" },
      { type: "recovery-point", state: "queued", trigger: "system", dataSourceId: src.crm, groupId: r.id, target: "crm", params: '{"initialReplica":true}', requestedBy: "alice", agentId: "agent-fs" },
    ]);
  });

  it("a request key makes a second submit return the first group, whatever it says", () => {
    const first = create({ members: [src.docs], requestKey: "form-1" });
    expect(first.created).toBe(true);
    expect(create({ name: "Something else", members: [src.scans], requestKey: "form-1" })).toEqual({ id: first.id, created: false });
    expect(create({ name: "", members: [], requestKey: "form-1" })).toEqual({ id: first.id, created: false });
    expect(groupCount()).toBe(1);
    expect(jobRows()).toHaveLength(1);
    expect(source(src.scans).groupId).toBeNull();
    // Another key is another submission: the same name is then a duplicate.
    expect(domainErrorOf(() => create({ members: [src.scans], requestKey: "form-2" })).fieldErrors).toEqual({ name: ["A protection group named Files exists already."] });
  });
});

describe("updateGroupPolicy", () => {
  it("renames and changes the policy", () => {
    const { id } = create({ members: [src.docs] });
    clock.advance(60_000);
    updateGroupPolicy(services.db, id, { name: " Documents ", policy: files({ retentionDays: 10, slaHours: 12 }) }, clock.now());
    const g = services.db.select().from(protectionGroups).where(eq(protectionGroups.id, id)).get()!;
    expect(g).toMatchObject({ name: "Documents", updatedAt: clock.now(), createdAt: T0 });
    expect(JSON.parse(g.policy)).toMatchObject({ retentionDays: 10, slaHours: 12 });
    // Without a name the name stays.
    updateGroupPolicy(services.db, id, { policy: files({ retentionDays: 11 }) }, clock.now());
    expect(getGroup(services.db, id)).toMatchObject({ name: "Documents", policy: { retentionDays: 11 } });
  });

  it("refuses per field: a taken name, a broken policy, express full without databases; unknown group NOT_FOUND", () => {
    const { id } = create({ members: [src.docs] });
    createGroup(services.db, { name: "Other", policy: files(), members: [src.scans] }, T0);
    expect(domainErrorOf(() => updateGroupPolicy(services.db, id, { name: "Other", policy: files() }, T0)).fieldErrors).toEqual({ name: ["A protection group named Other exists already."] });
    expect(domainErrorOf(() => updateGroupPolicy(services.db, id, { name: "Files", policy: files({ slaHours: 0 }) }, T0)).fieldErrors).toEqual({ slaHours: ["The SLA is a whole number of hours, at least 1."] });
    expect(domainErrorOf(() => updateGroupPolicy(services.db, id, { policy: files({ expressFull: { days: ["mon"], times: ["20:00"] } }) }, T0)).fieldErrors).toEqual({
      expressFull: ["Express full backups apply to databases; this group has none."],
    });
    expect(getGroup(services.db, id).policy).toEqual(files());
    expect(domainErrorOf(() => updateGroupPolicy(services.db, 999, { policy: files() }, T0)).code).toBe("NOT_FOUND");
  });

  it("express full is fine once the group has a database", () => {
    const { id } = create({ members: [src.docs, src.crm], policy: files() });
    updateGroupPolicy(services.db, id, { policy: withDatabases() }, T0);
    expect(getGroup(services.db, id).policy.expressFull).toEqual({ days: [...WEEKDAYS], times: ["20:00"] });
  });
});

describe("addMembers", () => {
  it("adds with replica creation pending and an initial recovery point", () => {
    const { id } = create({ members: [src.docs] });
    runQueued();
    setState(src.docs, "ok");
    clock.advance(5000);
    addMembers(services.db, id, [src.scans], clock.now(), "bob");
    expect(source(src.scans)).toMatchObject({ groupId: id, replicaState: "creation-pending", protectedSince: clock.now() });
    expect(source(src.docs)).toMatchObject({ replicaState: "ok", protectedSince: T0 });
    expect(jobRows().at(-1)).toMatchObject({ type: "recovery-point", trigger: "system", dataSourceId: src.scans, params: '{"initialReplica":true}', requestedBy: "bob", state: "queued" });
  });

  it("refuses a member of this or another group, unknown ids and groups", () => {
    const { id } = create({ members: [src.docs] });
    createGroup(services.db, { name: "Other", policy: files(), members: [src.scans] }, T0);
    expect(domainErrorOf(() => addMembers(services.db, id, [src.docs], T0)).fieldErrors).toEqual({ members: ["docs (/srv/docs) is already in Files."] });
    expect(domainErrorOf(() => addMembers(services.db, id, [src.scans], T0)).fieldErrors).toEqual({
      members: ["scans (/srv/scans) is protected by the group Other. A data source belongs to one group: remove it from Other (keeping or deleting its data), then add it here."],
    });
    expect(domainErrorOf(() => addMembers(services.db, id, [999], T0)).code).toBe("NOT_FOUND");
    expect(domainErrorOf(() => addMembers(services.db, 999, [src.crm], T0)).code).toBe("NOT_FOUND");
    expect(jobRows()).toHaveLength(2);
  });

  it("a folder may join a group with express full when it has a database", () => {
    const { id } = create({ name: "Databases", policy: withDatabases(), members: [src.crm] });
    addMembers(services.db, id, [src.docs], T0);
    expect(source(src.docs).groupId).toBe(id);
  });
});

describe("removeMembers", () => {
  let seq = 0;
  const manifest = () => `20261124T120000000Z-${(++seq).toString(16).padStart(8, "0")}`;

  /** A protected docs with two recovery points (indexed) and a later synchronization's replica; crm protected with one. */
  function protectedWithData(o: { headerFiles: boolean }) {
    const { id } = create({ policy: withDatabases(), members: [src.docs, src.crm] });
    runQueued();
    const ids = { rp1: manifest(), rp2: manifest(), replica: manifest(), crm: manifest() };
    const rp = (ds: number, m: string, minutes: number, f: { path: string; hash: string }[]) =>
      recordRecoveryPoint(
        services.db,
        { dataSourceId: ds, header: { id: m, stats: { bytes: 10, files: f.length, newStoredBytes: 1 } } as unknown as ManifestHeader, kind: "incremental", jobId: null, createdAt: new Date(T0.getTime() + minutes * 60_000) },
        f.map((x) => ({ ...x, size: 1, mtimeMs: 1 })),
      );
    rp(src.docs, ids.rp1, 1, [{ path: "a.txt", hash: "1" }]);
    rp(src.docs, ids.rp2, 2, [{ path: "a.txt", hash: "2" }, { path: "b.txt", hash: "1" }]);
    rp(src.crm, ids.crm, 2, [{ path: "crm.db", hash: "1" }]);
    services.db.update(dataSources).set({ replicaManifest: ids.replica, lastSyncAt: T0, replicaState: "ok" }).where(eq(dataSources.id, src.docs)).run();
    const pool = services.protection.pool();
    if (o.headerFiles) for (const m of Object.values(ids)) fs.writeFileSync(path.join(pool.dir, "snapshots", `${m}.json`), "{}");
    return { groupId: id, ids, snapshots: () => fs.readdirSync(path.join(pool.dir, "snapshots")).sort() };
  }

  const countFor = (ds: number) => ({
    recoveryPoints: services.db.select().from(recoveryPoints).where(eq(recoveryPoints.dataSourceId, ds)).all().length,
    files: services.db.select().from(indexedFiles).where(eq(indexedFiles.dataSourceId, ds)).all().length,
    versions: services.db.select().from(fileVersions).innerJoin(indexedFiles, eq(indexedFiles.id, fileVersions.fileId)).where(eq(indexedFiles.dataSourceId, ds)).all().length,
  });

  it("keeping the data: the member leaves the group, its recovery points and index stay", () => {
    const { ids, snapshots } = protectedWithData({ headerFiles: true });
    expect(removeMembers(services, [src.docs], { keepData: true })).toEqual({ removedRecoveryPoints: 0 });
    expect(source(src.docs)).toMatchObject({ groupId: null, protectedSince: null, replicaState: "creation-pending", replicaManifest: ids.replica });
    expect(countFor(src.docs)).toEqual({ recoveryPoints: 2, files: 2, versions: 3 });
    expect(snapshots()).toHaveLength(4);
  });

  it("deleting the data: recovery points, file index and manifests go; other members keep theirs", () => {
    const { ids, snapshots } = protectedWithData({ headerFiles: true });
    removeMembers(services, [src.docs], { keepData: false });
    expect(source(src.docs)).toMatchObject({ groupId: null, protectedSince: null, replicaManifest: null, lastSyncAt: null });
    expect(countFor(src.docs)).toEqual({ recoveryPoints: 0, files: 0, versions: 0 });
    expect(services.db.$client.prepare("SELECT count(*) FROM indexed_files_fts WHERE indexed_files_fts MATCH '\"a.txt\"'").pluck().get()).toBe(0);
    expect(snapshots()).toEqual([`${ids.crm}.json`]);
    expect(countFor(src.crm)).toEqual({ recoveryPoints: 1, files: 1, versions: 1 });
    expect(source(src.crm).groupId).not.toBeNull();
  });

  // Was a bug (fixed): removedRecoveryPoints counts the manifests removed, and those include the replica's
  // (the last synchronization's manifest, which is not a recovery point): docs had 2 recovery
  // points, the result says 3.
  it("deleting the data reports how many recovery points were removed", () => {
    protectedWithData({ headerFiles: true });
    expect(removeMembers(services, [src.docs], { keepData: false })).toEqual({ removedRecoveryPoints: 2 });
  });

  it("manifests already gone from the pool: logged, not thrown, the catalog is cleaned anyway", () => {
    protectedWithData({ headerFiles: false });
    const warn = vi.spyOn(services.log, "warn");
    expect(() => removeMembers(services, [src.docs], { keepData: false })).not.toThrow();
    expect(warn).toHaveBeenCalledTimes(3);
    expect(warn.mock.calls.map((c) => (c[1] as string) ?? "")).toEqual(Array(3).fill("could not remove a recovery point's manifest; the next prune retries"));
    expect(countFor(src.docs)).toEqual({ recoveryPoints: 0, files: 0, versions: 0 });
  });

  it("refuses a member with a queued or running job (naming it), and a source that is not protected", () => {
    const { groupId } = protectedWithData({ headerFiles: false });
    const [job] = runNow(services.db, { type: "synchronization", dataSourceId: src.docs }, T0, "alice").queued;
    const busy = domainErrorOf(() => removeMembers(services, [src.crm, src.docs], { keepData: false }));
    expect(busy.code).toBe("CONFLICT");
    expect(busy.message).toBe(`a job is running or queued for this data source (job ${job}): cancel it or wait for it to end`);
    expect(source(src.crm).groupId).toBe(groupId);
    expect(countFor(src.crm).recoveryPoints).toBe(1);
    markRunning(services.db, job!, T0);
    expect(domainErrorOf(() => removeMembers(services, [src.docs], { keepData: true })).code).toBe("CONFLICT");
    markSucceeded(services.db, job!, T0);
    removeMembers(services, [src.docs], { keepData: true });

    const loose = domainErrorOf(() => removeMembers(services, [src.scans], { keepData: true }));
    expect(loose.code).toBe("PRECONDITION");
    expect(loose.message).toBe("scans is not protected");
    expect(domainErrorOf(() => removeMembers(services, [999], { keepData: true })).code).toBe("NOT_FOUND");
  });

  it("stopProtection removes every member and deletes the group", () => {
    const { groupId } = protectedWithData({ headerFiles: true });
    stopProtection(services, groupId, { keepData: true });
    expect(groupCount()).toBe(0);
    expect([source(src.docs).groupId, source(src.crm).groupId]).toEqual([null, null]);
    expect(countFor(src.docs).recoveryPoints).toBe(2);
    expect(domainErrorOf(() => stopProtection(services, groupId, { keepData: true })).code).toBe("NOT_FOUND");
  });
});

describe("runNow", () => {
  /** docs, crm: ok; scans (folder), log (database): inconsistent. */
  function fourMembers() {
    const { id } = create({ policy: withDatabases(), members: [src.docs, src.crm, src.scans, src.log] });
    runQueued();
    setState(src.docs, "ok");
    setState(src.crm, "ok");
    setState(src.scans, "inconsistent");
    setState(src.log, "inconsistent");
    return id;
  }
  const INCONSISTENT = "the replica is inconsistent: a consistency check must succeed first (existing recovery points can still be restored)";
  const queuedFor = (ids: number[]) => ids.map((j) => services.db.select({ ds: jobs.dataSourceId }).from(jobs).where(eq(jobs.id, j)).get()!.ds);
  const skippedOf = (r: ReturnType<typeof runNow>) => r.skipped.map((s) => [s.name, s.reason]);

  it("a recovery point on a group: inconsistent members are skipped with the reason", () => {
    const groupId = fourMembers();
    const r = runNow(services.db, { type: "recovery-point", groupId }, T0, "alice");
    expect(queuedFor(r.queued)).toEqual([src.docs, src.crm]);
    expect(skippedOf(r)).toEqual([
      ["scans", INCONSISTENT],
      ["log", INCONSISTENT],
    ]);
    expect(services.db.select().from(jobs).where(eq(jobs.id, r.queued[0]!)).get()).toMatchObject({ type: "recovery-point", trigger: "user", requestedBy: "alice", params: "{}", groupId, target: "docs" });
  });

  it("an express full on a group: folders skipped, inconsistent databases skipped", () => {
    const groupId = fourMembers();
    const r = runNow(services.db, { type: "express-full", groupId }, T0, "alice");
    expect(queuedFor(r.queued)).toEqual([src.crm]);
    expect(skippedOf(r)).toEqual([
      ["docs", "express full backups are for databases"],
      ["scans", "express full backups are for databases"],
      ["log", INCONSISTENT],
    ]);
  });

  it("a consistency check runs on every member, including inconsistent ones", () => {
    const groupId = fourMembers();
    const r = runNow(services.db, { type: "consistency-check", groupId, trigger: "system" }, T0, null);
    expect(queuedFor(r.queued)).toEqual([src.docs, src.scans, src.crm, src.log]);
    expect(r.skipped).toEqual([]);
    expect(jobRows().at(-1)).toMatchObject({ trigger: "system", requestedBy: null });
  });

  it("nothing piles up: a pending job of the same kind is reported, a recovery point still goes behind a synchronization", () => {
    const groupId = fourMembers();
    const sync = runNow(services.db, { type: "synchronization", dataSourceId: src.docs }, T0, "alice").queued[0]!;
    const again = runNow(services.db, { type: "synchronization", groupId }, T0, "alice");
    expect(queuedFor(again.queued)).toEqual([src.crm]);
    expect(skippedOf(again)).toEqual([
      ["docs", `job ${sync} (synchronization) is already queued`],
      ["scans", "the replica is inconsistent: a consistency check must succeed first (existing recovery points can still be restored)"],
      ["log", "the replica is inconsistent: a consistency check must succeed first (existing recovery points can still be restored)"],
    ]);
    const rp = runNow(services.db, { type: "recovery-point", dataSourceId: src.docs }, T0, "alice");
    expect(rp.queued).toHaveLength(1);
    markRunning(services.db, sync, T0);
    expect(domainErrorOf(() => runNow(services.db, { type: "synchronization", dataSourceId: src.docs }, T0, "alice")).message).toBe(`docs: job ${sync} (synchronization) is already running`);
    // A check is another kind of work.
    expect(runNow(services.db, { type: "consistency-check", dataSourceId: src.docs }, T0, "alice").queued).toHaveLength(1);
    expect(domainErrorOf(() => runNow(services.db, { type: "consistency-check", dataSourceId: src.docs }, T0, "alice")).code).toBe("PRECONDITION");
  });

  it("a second recovery point is refused while one waits alone", () => {
    fourMembers();
    const first = runNow(services.db, { type: "recovery-point", dataSourceId: src.docs }, T0, "alice").queued[0];
    expect(domainErrorOf(() => runNow(services.db, { type: "recovery-point", dataSourceId: src.docs }, T0, "alice")).message).toBe(`docs: job ${first} (recovery-point) is already queued`);
  });

  // Was a bug (fixed): runNow asks pendingJobFor for ONE pending job among synchronization, recovery point and
  // express full, and compares only its type. With a synchronization (older) and a recovery point
  // both queued for docs, pendingJobFor returns the synchronization, so a second "recovery point
  // now" is queued beside the first instead of being skipped as "job N (recovery-point) is
  // already queued". Each click adds another recovery point job.
  it("a second recovery point is refused while one waits behind a synchronization", () => {
    fourMembers();
    runNow(services.db, { type: "synchronization", dataSourceId: src.docs }, T0, "alice");
    const first = runNow(services.db, { type: "recovery-point", dataSourceId: src.docs }, T0, "alice").queued[0];
    expect(domainErrorOf(() => runNow(services.db, { type: "recovery-point", dataSourceId: src.docs }, T0, "alice")).message).toBe(`docs: job ${first} (recovery-point) is already queued`);
  });

  it("a replica still being created gets its initial replica", () => {
    create({ members: [src.docs] });
    runQueued();
    const r = runNow(services.db, { type: "recovery-point", dataSourceId: src.docs }, T0, "alice");
    expect(services.db.select().from(jobs).where(eq(jobs.id, r.queued[0]!)).get()!.params).toBe('{"initialReplica":true}');
    runQueued();
    const cc = runNow(services.db, { type: "consistency-check", dataSourceId: src.docs }, T0, "alice");
    expect(services.db.select().from(jobs).where(eq(jobs.id, cc.queued[0]!)).get()!.params).toBe("{}");
  });

  it.each<[string, () => void, string, string]>([
    ["not protected", () => undefined, "synchronization", "scans: the data source is not protected"],
    ["express full on a folder", () => create({ members: [src.scans] }), "express-full", "scans: express full backups are for databases"],
    [
      "a recovery point on an inconsistent replica",
      () => {
        create({ members: [src.scans] });
        setState(src.scans, "inconsistent");
      },
      "recovery-point",
      `scans: ${INCONSISTENT}`,
    ],
    [
      "a synchronization during a check",
      () => {
        create({ members: [src.scans] });
        setState(src.scans, "checking");
      },
      "synchronization",
      "scans: a consistency check is in progress",
    ],
  ])("one data source, %s: PRECONDITION with the reason", (_name, setup, type, message) => {
    setup();
    runQueued();
    const e = domainErrorOf(() => runNow(services.db, { type: type as "synchronization", dataSourceId: src.scans }, T0, "alice"));
    expect(e.code).toBe("PRECONDITION");
    expect(e.message).toBe(message);
  });

  it("names nothing: INVALID; unknown source or group: NOT_FOUND", () => {
    expect(domainErrorOf(() => runNow(services.db, { type: "synchronization" }, T0, null)).code).toBe("INVALID");
    expect(domainErrorOf(() => runNow(services.db, { type: "synchronization", dataSourceId: 999 }, T0, null)).code).toBe("NOT_FOUND");
    expect(domainErrorOf(() => runNow(services.db, { type: "synchronization", groupId: 999 }, T0, null)).code).toBe("NOT_FOUND");
  });
});
