import { beforeEach, describe, expect, it } from "vitest";
import { eq } from "drizzle-orm";
import { openCatalog, type Catalog } from "@/db/client";
import { agents, dataSources, jobs, protectedComputers, protectionGroups } from "@/db/schema";
import type { ManifestHeader } from "@/server/engine/manifest";
import { DomainError } from "../errors";
import { recordRecoveryPoint, type IndexedFile } from "./recovery-points";
import { setRecoverySettings } from "./recovery-settings";
import { pathRefusal, requestRestore, targetRefusal, type RestoreRequest } from "./restore-request";

const T0 = new Date("2026-11-24T12:00:00Z");
const admin = { username: "root", role: "admin" as const };
const helpdesk = { username: "hd", role: "helpdesk" as const };

describe("targetRefusal", () => {
  it.each<[string, string | null]>([
    ["/srv/restores", null],
    ["/srv/restores/", null],
    ["/", null],
    ["/srv//restores", null],
    ["/srv/..hidden/x", null],
    ["/srv/a.b", null],
    ["srv/restores", "an absolute path on the protected computer, e.g. /srv/restores"],
    ["./restores", "an absolute path on the protected computer, e.g. /srv/restores"],
    ["", "an absolute path on the protected computer, e.g. /srv/restores"],
    ["C:\\restores", "an absolute path on the protected computer, e.g. /srv/restores"],
    ["/srv/a\0b", "a path without NUL characters"],
    ["/srv/../etc", "a path without . or .. segments (a restore never leaves its target)"],
    ["/srv/restores/..", "a path without . or .. segments (a restore never leaves its target)"],
    ["/srv/./restores", "a path without . or .. segments (a restore never leaves its target)"],
    ["/..", "a path without . or .. segments (a restore never leaves its target)"],
  ])("%j", (target, expected) => {
    expect(targetRefusal(target)).toBe(expected);
  });
});

describe("pathRefusal", () => {
  it.each<[string, string | null]>([
    ["reports/q3.txt", null],
    ["reports", null],
    ["a/.hidden", null],
    ["..foo", null],
    ["a/b..c/d", null],
    ["name with spaces.txt", null],
    ["", "an empty path"],
    ["/etc/passwd", "/etc/passwd: paths are relative to the recovery point's root"],
    ["a\0b", "a\0b: contains a NUL character"],
    ["../x", "../x: no . or .. or empty segments"],
    ["a/../b", "a/../b: no . or .. or empty segments"],
    ["a/..", "a/..: no . or .. or empty segments"],
    ["./a", "./a: no . or .. or empty segments"],
    ["a/.", "a/.: no . or .. or empty segments"],
    [".", ".: no . or .. or empty segments"],
    ["a//b", "a//b: no . or .. or empty segments"],
    ["a/", "a/: no . or .. or empty segments"],
  ])("%j", (p, expected) => {
    expect(pathRefusal(p)).toBe(expected);
  });
});

describe("requestRestore", () => {
  let db: Catalog;
  let seq = 0;
  let docs: number;
  let crm: number;
  let scans: number;
  let groupId: number;
  let docsRp1: number;
  let docsRp2: number;
  let crmRp: number;
  let scansRp: number;

  const header = (bytes: number) => ({ id: `20261124T120000000Z-${(++seq).toString(16).padStart(8, "0")}`, stats: { bytes, files: 2, newStoredBytes: 1 } }) as unknown as ManifestHeader;
  const rp = (dataSourceId: number, minutes: number, bytes: number, files: IndexedFile[]) =>
    recordRecoveryPoint(db, { dataSourceId, header: header(bytes), kind: "incremental", jobId: null, createdAt: new Date(T0.getTime() + minutes * 60_000) }, files);

  beforeEach(() => {
    db = openCatalog(":memory:");
    seq = 0;
    const pc = db.insert(protectedComputers).values({ name: "fileserver", createdAt: T0 }).returning().get().id;
    const other = db.insert(protectedComputers).values({ name: "scanner", createdAt: T0 }).returning().get().id;
    db.insert(agents).values({ id: "agent-fs", computerId: pc, url: "http://127.0.0.1:1", publicKey: "k", keyId: "kid-fs", pairedAt: T0 }).run();
    groupId = db.insert(protectionGroups).values({ name: "Files", createdAt: T0 }).returning().get().id;
    docs = db.insert(dataSources).values({ computerId: pc, kind: "folder", path: "/srv/docs", name: "docs", groupId, createdAt: T0 }).returning().get().id;
    crm = db.insert(dataSources).values({ computerId: pc, kind: "sqlite", path: "/srv/crm.db", name: "crm", groupId, createdAt: T0 }).returning().get().id;
    scans = db.insert(dataSources).values({ computerId: other, kind: "folder", path: "/srv/scans", name: "scans", createdAt: T0 }).returning().get().id;
    docsRp1 = rp(docs, 0, 5000, [
      { path: "reports/q3.txt", size: 100, mtimeMs: 1, hash: "a" },
      { path: "notes.md", size: 7, mtimeMs: 1, hash: "n" },
    ]);
    docsRp2 = rp(docs, 60, 6000, [
      { path: "reports/q3.txt", size: 300, mtimeMs: 2, hash: "b" },
      { path: "notes.md", size: 7, mtimeMs: 1, hash: "n" },
    ]);
    crmRp = rp(crm, 0, 9000, []);
    scansRp = rp(scans, 0, 1234, [{ path: "notes.md", size: 999, mtimeMs: 1, hash: "s" }]);
  });

  function refusal(r: RestoreRequest, by: { username: string; role: "admin" | "helpdesk" }): DomainError {
    try {
      requestRestore(db, r, by, T0);
    } catch (err) {
      if (err instanceof DomainError) return err;
      throw err;
    }
    throw new Error("expected a refusal");
  }
  const jobCount = () => db.select().from(jobs).all().length;

  const ALTERNATE_ONLY = "help desk restores go to an alternate location: give a target folder (an admin can allow the original location)";

  it("help desk without a target: FORBIDDEN, naming the target field", () => {
    const e = refusal({ dataSourceId: docs, recoveryPointId: docsRp1, existing: "copy" }, helpdesk);
    expect(e.code).toBe("FORBIDDEN");
    expect(e.fieldErrors).toEqual({ target: [ALTERNATE_ONLY] });
    expect(jobCount()).toBe(0);
  });

  it("help desk overwriting the original: FORBIDDEN, also with bad paths beside it", () => {
    expect(refusal({ dataSourceId: docs, recoveryPointId: docsRp1, existing: "overwrite" }, helpdesk)).toMatchObject({ code: "FORBIDDEN", fieldErrors: { target: [ALTERNATE_ONLY] } });
    expect(refusal({ dataSourceId: docs, recoveryPointId: docsRp1, paths: ["../x"], existing: "overwrite" }, helpdesk)).toMatchObject({
      code: "FORBIDDEN",
      fieldErrors: { target: [ALTERNATE_ONLY], paths: ["../x: no . or .. or empty segments"] },
    });
    expect(jobCount()).toBe(0);
  });

  it("help desk restores to the original location once an admin allows it, and is refused again when it is turned off", () => {
    setRecoverySettings(db, { helpdeskMayRestoreToOriginal: true });
    const id = requestRestore(db, { dataSourceId: docs, recoveryPointId: docsRp1, existing: "overwrite" }, helpdesk, T0);
    expect(db.select().from(jobs).where(eq(jobs.id, id)).get()).toMatchObject({ type: "restore", target: "docs → original location", requestedBy: "hd" });
    expect(JSON.parse(db.select().from(jobs).where(eq(jobs.id, id)).get()!.params)).toMatchObject({ target: null, existing: "overwrite" });
    // A database still needs a target.
    expect(refusal({ dataSourceId: crm, recoveryPointId: crmRp, existing: "copy" }, helpdesk)).toMatchObject({ code: "INVALID", fieldErrors: { target: ["required for a database"] } });
    setRecoverySettings(db, { helpdeskMayRestoreToOriginal: false });
    expect(refusal({ dataSourceId: docs, recoveryPointId: docsRp1, existing: "overwrite" }, helpdesk).code).toBe("FORBIDDEN");
    expect(jobCount()).toBe(1);
  });

  it("a bad target or bad paths: INVALID, per field, every bad path named", () => {
    const e = refusal({ dataSourceId: docs, recoveryPointId: docsRp1, target: "/srv/../etc", paths: ["ok.txt", "../x", "/abs"], existing: "copy" }, helpdesk);
    expect(e.code).toBe("INVALID");
    expect(e.fieldErrors).toEqual({
      target: ["a path without . or .. segments (a restore never leaves its target)"],
      paths: ["../x: no . or .. or empty segments", "/abs: paths are relative to the recovery point's root"],
    });
    expect(e.message).toBe("a path without . or .. segments (a restore never leaves its target); ../x: no . or .. or empty segments; /abs: paths are relative to the recovery point's root");
    // Admins are held to the same path rules.
    expect(refusal({ dataSourceId: docs, recoveryPointId: docsRp1, target: "relative", existing: "copy" }, admin).code).toBe("INVALID");
    expect(jobCount()).toBe(0);
  });

  it("a recovery point of another data source: INVALID on recoveryPointId", () => {
    const e = refusal({ dataSourceId: docs, recoveryPointId: scansRp, target: "/srv/out", existing: "copy" }, admin);
    expect(e.code).toBe("INVALID");
    expect(e.fieldErrors).toEqual({ recoveryPointId: ["not a recovery point of this data source"] });
  });

  it("a database without a target: INVALID even for an admin", () => {
    const e = refusal({ dataSourceId: crm, recoveryPointId: crmRp, existing: "overwrite" }, admin);
    expect(e.code).toBe("INVALID");
    expect(e.fieldErrors).toEqual({ target: ["required for a database"] });
  });

  it("unknown data source or recovery point: NOT_FOUND", () => {
    expect(refusal({ dataSourceId: 999, recoveryPointId: docsRp1, target: "/srv/out", existing: "copy" }, admin).code).toBe("NOT_FOUND");
    expect(refusal({ dataSourceId: docs, recoveryPointId: 999, target: "/srv/out", existing: "copy" }, admin).code).toBe("NOT_FOUND");
  });

  it("creates a queued restore job with its parameters (help desk to an alternate folder)", () => {
    const id = requestRestore(db, { dataSourceId: docs, recoveryPointId: docsRp1, target: "/srv/restores", paths: ["notes.md"], existing: "overwrite" }, helpdesk, T0);
    expect(db.select().from(jobs).where(eq(jobs.id, id)).get()).toMatchObject({
      type: "restore",
      state: "queued",
      target: "docs → /srv/restores",
      trigger: "user",
      dataSourceId: docs,
      groupId,
      agentId: "agent-fs",
      requestedBy: "hd",
      createdAt: T0,
      attempt: 1,
    });
    expect(JSON.parse(db.select().from(jobs).where(eq(jobs.id, id)).get()!.params)).toEqual({ recoveryPointId: docsRp1, target: "/srv/restores", paths: ["notes.md"], existing: "overwrite", bytesTotal: 7 });
  });

  it("an admin restores over the original location: target null, the whole recovery point's size", () => {
    const id = requestRestore(db, { dataSourceId: docs, recoveryPointId: docsRp2, existing: "overwrite" }, admin, T0);
    const row = db.select().from(jobs).where(eq(jobs.id, id)).get()!;
    expect(row.target).toBe("docs → original location");
    expect(JSON.parse(row.params)).toEqual({ recoveryPointId: docsRp2, target: null, paths: null, existing: "overwrite", bytesTotal: 6000 });
  });

  it("a selected folder totals the files under it, at this recovery point's versions", () => {
    const id = requestRestore(db, { dataSourceId: docs, recoveryPointId: docsRp2, target: "/srv/out", paths: ["reports", "notes.md"], existing: "copy" }, admin, T0);
    expect(JSON.parse(db.select().from(jobs).where(eq(jobs.id, id)).get()!.params).bytesTotal).toBe(307);
    // "rep" is not the folder "reports": a prefix of a name covers nothing.
    const none = requestRestore(db, { dataSourceId: docs, recoveryPointId: docsRp2, target: "/srv/out", paths: ["rep"], existing: "copy" }, admin, T0);
    expect(JSON.parse(db.select().from(jobs).where(eq(jobs.id, none)).get()!.params).bytesTotal).toBe(0);
  });

  // Was a bug (fixed): the progress total sums, for each selected path, the first file_versions row with
  // that path in ANY data source and ANY version, not the version the chosen recovery point
  // holds. Restoring reports/q3.txt from docsRp2 (where it is 300 bytes) gives bytesTotal 100
  // (its size in docsRp1); scans' notes.md (999 bytes) comes out as 7, the size of docs' notes.md.
  it("the progress total is the selected files' sizes in the chosen recovery point", () => {
    const id = requestRestore(db, { dataSourceId: docs, recoveryPointId: docsRp2, target: "/srv/out", paths: ["reports/q3.txt"], existing: "copy" }, admin, T0);
    expect(JSON.parse(db.select().from(jobs).where(eq(jobs.id, id)).get()!.params).bytesTotal).toBe(300);
  });

  it("the progress total counts this data source's file, not another source's file with the same path", () => {
    const id = requestRestore(db, { dataSourceId: scans, recoveryPointId: scansRp, target: "/srv/out", paths: ["notes.md"], existing: "copy" }, admin, T0);
    expect(JSON.parse(db.select().from(jobs).where(eq(jobs.id, id)).get()!.params).bytesTotal).toBe(999);
  });
});
