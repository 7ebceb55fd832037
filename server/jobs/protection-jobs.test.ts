import fs from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { defaultShortTermPolicy } from "@/server/domain/protection/short-term-policy";
import { errorOf } from "@/server/testing/test-services";
import type { DomainError } from "@/server/domain/errors";
import { protectionRig } from "./protection-rig";

type Rig = Awaited<ReturnType<typeof protectionRig>>;
const rigs: Rig[] = [];
afterEach(async () => {
  for (const r of rigs.splice(0)) await r.close();
});

async function folderRig() {
  const base = fs.mkdtempSync(path.join(process.env.TMPDIR ?? "/tmp", "custodian-src-"));
  const docs = path.join(base, "docs");
  fs.mkdirSync(path.join(docs, "reports"), { recursive: true });
  fs.writeFileSync(path.join(docs, "reports", "q3-report.txt"), "version one\n".repeat(1000));
  fs.writeFileSync(path.join(docs, "notes.md"), "# notes\n");
  const rig = await protectionRig({ sources: [{ name: "docs", kind: "folder", path: docs }] });
  rigs.push(rig);
  return { rig, docs, base };
}

describe("protection end to end (real agent, real pool, in-memory catalog)", () => {
  it("creating a group makes the initial replica and a recovery point; search, timeline and a help-desk restore follow", async () => {
    const { rig, docs, base } = await folderRig();
    const computers = await rig.admin().protection.computers();
    const source = computers[0]!.sources.find((s) => s.name === "docs")!;
    expect(source).toMatchObject({ kind: "folder", path: docs, groupId: null });
    expect((await rig.admin().protection.unprotected()).map((s) => s.name)).toEqual(["docs"]);

    const created = await rig.admin().protection.createGroup({ name: "File servers", policy: defaultShortTermPolicy({ hasDatabases: false }), members: [source.id], requestKey: "form-key-123" });
    // Double submit: the same group, no second one.
    expect(await rig.admin().protection.createGroup({ name: "File servers", policy: defaultShortTermPolicy({ hasDatabases: false }), members: [source.id], requestKey: "form-key-123" })).toEqual({ id: created.id, created: false });
    await rig.drain();

    const jobs = await rig.admin().monitoring.jobs({ limit: 10 });
    expect(jobs.map((j) => [j.type, j.state, j.trigger])).toEqual([["recovery-point", "succeeded", "system"]]);
    const group = await rig.admin().protection.group({ id: created.id });
    expect(group.members[0]).toMatchObject({ replicaState: "ok", recoveryPoints: 1, health: "ok" });

    // A change, then a recovery point now: the file has two versions.
    rig.clock.advance(60_000);
    fs.writeFileSync(path.join(docs, "reports", "q3-report.txt"), "version two\n".repeat(1000));
    await rig.admin().protection.runNow({ type: "recovery-point", groupId: created.id });
    await rig.drain();
    const rps = await rig.helpdesk().recovery.recoveryPoints({ dataSourceId: source.id });
    expect(rps).toHaveLength(2);

    const hits = await rig.helpdesk().recovery.search({ query: "q3-rep" });
    expect(hits.map((h) => [h.path, h.versions])).toEqual([["reports/q3-report.txt", 2]]);
    const timeline = await rig.helpdesk().recovery.fileVersions({ fileId: hits[0]!.fileId });
    expect(timeline.versions).toHaveLength(2);
    const older = timeline.versions[1]!;
    expect(older.restoreFrom).toBe(rps[0]!.id);

    const tree = await rig.helpdesk().recovery.browse({ recoveryPointId: rps[0]!.id, dir: "" });
    expect(tree.children.map((c) => [c.name, c.type])).toEqual([["reports", "dir"], ["notes.md", "file"]]);

    // Help desk may not restore over the original; an escaping target is refused.
    expect((await errorOf(rig.helpdesk().recovery.restore({ dataSourceId: source.id, recoveryPointId: older.restoreFrom, paths: ["reports/q3-report.txt"] }))).code).toBe("FORBIDDEN");
    expect((await errorOf(rig.helpdesk().recovery.restore({ dataSourceId: source.id, recoveryPointId: older.restoreFrom, target: `${base}/../etc` }))).code).toBe("BAD_REQUEST");
    expect((await errorOf(rig.helpdesk().recovery.restore({ dataSourceId: source.id, recoveryPointId: older.restoreFrom, target: `${base}/out`, paths: ["../x"] }))).code).toBe("BAD_REQUEST");

    const target = path.join(base, "restored");
    const { jobId } = await rig.helpdesk().recovery.restore({ dataSourceId: source.id, recoveryPointId: older.restoreFrom, target, paths: ["reports/q3-report.txt"] });
    await rig.drain();
    const job = await rig.helpdesk().monitoring.job({ id: jobId });
    expect(job.state).toBe("succeeded");
    expect(fs.readFileSync(path.join(target, "reports", "q3-report.txt"), "utf8")).toBe("version one\n".repeat(1000));
    expect(job.log.map((l) => l.message).join("\n")).toMatch(/restoring recovery point/);
    const info = await rig.admin().monitoring.alerts({ active: true, type: "restore-succeeded" });
    expect(info).toHaveLength(1);
  });

  it("a failed synchronization raises an alert that resolves itself when a later one succeeds; cancel and retry follow DPM's rule", async () => {
    const { rig, docs } = await folderRig();
    const source = (await rig.admin().protection.computers())[0]!.sources[0]!;
    const { id } = await rig.admin().protection.createGroup({ name: "Docs", policy: defaultShortTermPolicy({ hasDatabases: false }), members: [source.id] });
    await rig.drain();

    fs.renameSync(docs, `${docs}.away`);
    await rig.admin().protection.runNow({ type: "synchronization", groupId: id });
    await rig.drain();
    const failed = (await rig.admin().monitoring.jobs({ limit: 1 }))[0]!;
    expect(failed).toMatchObject({ type: "synchronization", state: "failed", endedBy: "system", canRetry: true });
    const active = await rig.admin().monitoring.alerts({ active: true });
    expect(active.map((a) => a.type)).toContain("sync-failed");
    expect((await rig.admin().protection.group({ id })).members[0]!.health).toBe("critical");

    fs.renameSync(`${docs}.away`, docs);
    const { id: retried } = await rig.admin().monitoring.retryJob({ id: failed.id });
    await rig.drain();
    expect((await rig.admin().monitoring.job({ id: retried })).state).toBe("succeeded");
    expect((await rig.admin().monitoring.alerts({ active: true })).map((a) => a.type)).not.toContain("sync-failed");
    const history = await rig.admin().monitoring.alerts({ active: false, type: "sync-failed" });
    expect(history[0]).toMatchObject({ resolvedBy: "system" });

    // A running job cancelled by a user ends cancelled, by the user, and is not retried.
    const q = await rig.admin().protection.runNow({ type: "synchronization", groupId: id });
    expect(await rig.admin().monitoring.cancelJob({ id: q.queued[0]! })).toEqual({ outcome: "cancelling" });
    await rig.drain();
    expect(await rig.admin().monitoring.job({ id: q.queued[0]! })).toMatchObject({ state: "cancelled", endedBy: "user", canRetry: false });
    expect((await errorOf(rig.admin().monitoring.retryJob({ id: q.queued[0]! }))).code).toBe("PRECONDITION_FAILED");
  });

  it("an inconsistent replica blocks recovery points but not restores, and a consistency check repairs it", async () => {
    const { rig } = await folderRig();
    const source = (await rig.admin().protection.computers())[0]!.sources[0]!;
    const { id } = await rig.admin().protection.createGroup({ name: "Docs", policy: defaultShortTermPolicy({ hasDatabases: false }), members: [source.id] });
    await rig.drain();
    rig.services.db.$client.prepare("UPDATE data_sources SET replica_state = 'inconsistent' WHERE id = ?").run(source.id);
    expect((await errorOf(rig.admin().protection.runNow({ type: "recovery-point", dataSourceId: source.id }))).message).toMatch(/inconsistent/);
    const rp = (await rig.helpdesk().recovery.recoveryPoints({ dataSourceId: source.id }))[0]!;
    const { jobId } = await rig.admin().recovery.restore({ dataSourceId: source.id, recoveryPointId: rp.id, target: path.join(rig.dir, "r") });
    await rig.drain();
    expect((await rig.admin().monitoring.job({ id: jobId })).state).toBe("succeeded");
    await rig.admin().protection.runNow({ type: "consistency-check", groupId: id });
    await rig.drain();
    expect((await rig.admin().protection.group({ id })).members[0]!.replicaState).toBe("ok");
  });

  it("refuses bad policies per field with the allowed range, and a member in two groups", async () => {
    const { rig } = await folderRig();
    const source = (await rig.admin().protection.computers())[0]!.sources[0]!;
    const bad = { ...defaultShortTermPolicy({ hasDatabases: false }), retentionDays: 500, expressFull: { days: ["mon" as const], times: ["20:00"] } };
    const err = await errorOf(rig.admin().protection.createGroup({ name: "Bad (name)", policy: bad, members: [source.id] }));
    expect(err.code).toBe("BAD_REQUEST");
    const fields = (err.cause as DomainError).fieldErrors!;
    expect(Object.keys(fields).sort()).toEqual(["expressFull", "name", "retentionDays"]);
    expect(fields.retentionDays![0]).toMatch(/1 to 448/);
    await rig.admin().protection.createGroup({ name: "One", policy: defaultShortTermPolicy({ hasDatabases: false }), members: [source.id] });
    const twice = await errorOf(rig.admin().protection.createGroup({ name: "Two", policy: defaultShortTermPolicy({ hasDatabases: false }), members: [source.id] }));
    expect(twice.message).toMatch(/remove it from One/);
    // Managers read but change nothing.
    expect((await errorOf(rig.manager().protection.createGroup({ name: "Three", policy: defaultShortTermPolicy({ hasDatabases: false }), members: [source.id] }))).code).toBe("FORBIDDEN");
  });
});

describe("the built-in agent's data sources", () => {
  it("an admin adds a folder of the server's own computer; bad names and paths are refused per field", async () => {
    const { rig, base } = await folderRig();
    const extra = path.join(base, "extra");
    fs.mkdirSync(extra);
    const refused = async (input: { name: string; kind: "folder" | "sqlite"; path: string }) => {
      const err = await errorOf(rig.admin().agents.addLocalSource(input));
      return [err.code, Object.keys((err.cause as DomainError | undefined)?.fieldErrors ?? {})];
    };
    expect(await refused({ name: "x", kind: "folder", path: "relative/dir" })).toEqual(["BAD_REQUEST", ["path"]]);
    expect(await refused({ name: "x", kind: "folder", path: path.join(base, "nope") })).toEqual(["BAD_REQUEST", ["path"]]);
    expect(await refused({ name: "x", kind: "sqlite", path: extra })).toEqual(["BAD_REQUEST", ["path"]]);
    expect(await refused({ name: "bad/name", kind: "folder", path: extra })).toEqual(["BAD_REQUEST", ["name"]]);
    expect(await refused({ name: "docs", kind: "folder", path: extra })).toEqual(["CONFLICT", ["name"]]);
    expect((await errorOf(rig.helpdesk().agents.addLocalSource({ name: "extra", kind: "folder", path: extra }))).code).toBe("FORBIDDEN");
    await rig.admin().agents.addLocalSource({ name: "extra", kind: "folder", path: extra });
    const sources = (await rig.admin().protection.computers())[0]!.sources.map((s) => [s.name, s.path, s.groupId]);
    expect(sources).toEqual([["docs", path.join(base, "docs"), null], ["extra", extra, null]]);
    expect(rig.state.sources.map((s) => s.name)).toEqual(["docs", "extra"]); // kept in the agent's own state file
  });
});

describe("databases", () => {
  it("a SQLite source gets an initial replica, express full recovery points, and restores only to an alternate folder", async () => {
    const base = fs.mkdtempSync(path.join(process.env.TMPDIR ?? "/tmp", "custodian-db-"));
    const file = path.join(base, "app.db");
    const Database = (await import("better-sqlite3")).default;
    const db = new Database(file);
    db.pragma("journal_mode = WAL");
    db.exec("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)");
    db.prepare("INSERT INTO t (v) VALUES (?)").run("first");
    const rig = await protectionRig({ sources: [{ name: "app-db", kind: "sqlite", path: file }] });
    rigs.push(rig);
    try {
      const source = (await rig.admin().protection.computers())[0]!.sources[0]!;
      expect(source.kind).toBe("sqlite");
      const { id } = await rig.admin().protection.createGroup({ name: "Databases", policy: defaultShortTermPolicy({ hasDatabases: true }), members: [source.id] });
      await rig.drain();
      db.prepare("INSERT INTO t (v) VALUES (?)").run("second"); // written while the database is open, as a live application would
      rig.clock.advance(60_000);
      const run = await rig.admin().protection.runNow({ type: "express-full", groupId: id });
      expect(run.queued).toHaveLength(1);
      await rig.drain();
      const rps = await rig.admin().recovery.recoveryPoints({ dataSourceId: source.id });
      expect(rps.map((r) => r.kind)).toEqual(["incremental", "express-full"]);
      // Never over the live file: a database restores to an alternate folder.
      expect((await errorOf(rig.admin().recovery.restore({ dataSourceId: source.id, recoveryPointId: rps[1]!.id }))).code).toBe("BAD_REQUEST");
      const target = path.join(base, "restored");
      const { jobId } = await rig.admin().recovery.restore({ dataSourceId: source.id, recoveryPointId: rps[1]!.id, target });
      await rig.drain();
      expect((await rig.admin().monitoring.job({ id: jobId })).state).toBe("succeeded");
      const restoredFile = fs.readdirSync(target).map((f) => path.join(target, f)).find((f) => !f.endsWith("-wal") && !f.endsWith("-shm"))!;
      const copy = new Database(restoredFile, { readonly: true });
      expect(copy.prepare("SELECT v FROM t ORDER BY id").pluck().all()).toEqual(["first", "second"]);
      expect(copy.pragma("integrity_check", { simple: true })).toBe("ok");
      copy.close();
    } finally {
      db.close();
    }
  });
});
