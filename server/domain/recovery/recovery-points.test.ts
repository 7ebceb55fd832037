import { beforeEach, describe, expect, it } from "vitest";
import { asc, eq } from "drizzle-orm";
import { openCatalog, type Catalog } from "@/db/client";
import { dataSources, fileVersions, indexedFiles, protectedComputers, recoveryPoints } from "@/db/schema";
import type { ManifestHeader } from "@/server/engine/manifest";
import { DomainError } from "../errors";
import { expiredRecoveryPoints, fileTimeline, forgetRecoveryPoints, getRecoveryPoint, listRecoveryPoints, recordRecoveryPoint, searchFiles, type IndexedFile } from "./recovery-points";

const T0 = new Date("2026-11-24T12:00:00Z");
const HOUR = 3600_000;
const DAY = 24 * HOUR;
const at = (ms: number) => new Date(T0.getTime() + ms);

let db: Catalog;
let manifestSeq = 0;
beforeEach(() => {
  db = openCatalog(":memory:");
  manifestSeq = 0;
});

function addSource(name: string, computer = "fileserver"): number {
  const computerId =
    db.select({ id: protectedComputers.id }).from(protectedComputers).where(eq(protectedComputers.name, computer)).get()?.id ??
    db.insert(protectedComputers).values({ name: computer, createdAt: T0 }).returning().get().id;
  return db.insert(dataSources).values({ computerId, kind: "folder", path: `/srv/${name}`, name, createdAt: T0 }).returning().get().id;
}

/** The fields recordRecoveryPoint reads from a manifest header. */
function header(o: { bytes?: number; files?: number; newStoredBytes?: number } = {}): ManifestHeader {
  manifestSeq++;
  return { id: `20261124T120000000Z-${manifestSeq.toString(16).padStart(8, "0")}`, stats: { bytes: o.bytes ?? 1000, files: o.files ?? 3, newStoredBytes: o.newStoredBytes ?? 100 } } as unknown as ManifestHeader;
}

const file = (path: string, hash: string, size = 10, mtimeMs = 1000): IndexedFile => ({ path, hash, size, mtimeMs });

function record(dataSourceId: number, createdAt: Date, files: IndexedFile[], o: { kind?: "incremental" | "express-full"; jobId?: number | null } = {}): number {
  return recordRecoveryPoint(db, { dataSourceId, header: header({ files: files.length }), kind: o.kind ?? "incremental", jobId: o.jobId ?? null, createdAt }, files);
}

/** Each path's versions as [first, last, hash], oldest first. */
function versionsOf(dataSourceId: number): Record<string, [number, number, string][]> {
  const out: Record<string, [number, number, string][]> = {};
  const rows = db
    .select({ path: indexedFiles.path, first: fileVersions.firstRecoveryPointId, last: fileVersions.lastRecoveryPointId, hash: fileVersions.contentHash })
    .from(indexedFiles)
    .leftJoin(fileVersions, eq(fileVersions.fileId, indexedFiles.id))
    .where(eq(indexedFiles.dataSourceId, dataSourceId))
    .orderBy(asc(indexedFiles.path), asc(fileVersions.firstRecoveryPointId))
    .all();
  for (const r of rows) {
    out[r.path] ??= [];
    if (r.first !== null) out[r.path]!.push([r.first, r.last!, r.hash!]);
  }
  return out;
}

/** What must hold after any change: versions point at existing points of their source, in order; every indexed file has a version. */
function expectIndexConsistent(): void {
  const c = db.$client;
  expect(c.prepare("SELECT count(*) FROM file_versions v WHERE NOT EXISTS (SELECT 1 FROM recovery_points r WHERE r.id = v.first_recovery_point_id) OR NOT EXISTS (SELECT 1 FROM recovery_points r WHERE r.id = v.last_recovery_point_id)").pluck().get()).toBe(0);
  expect(c.prepare("SELECT count(*) FROM indexed_files f WHERE NOT EXISTS (SELECT 1 FROM file_versions v WHERE v.file_id = f.id)").pluck().get()).toBe(0);
  expect(
    c
      .prepare(
        "SELECT count(*) FROM file_versions v JOIN indexed_files f ON f.id = v.file_id JOIN recovery_points a ON a.id = v.first_recovery_point_id JOIN recovery_points b ON b.id = v.last_recovery_point_id WHERE a.data_source_id != f.data_source_id OR b.data_source_id != f.data_source_id OR a.created_at > b.created_at",
      )
      .pluck()
      .get(),
  ).toBe(0);
  // The search index follows the table.
  expect(c.prepare("SELECT count(*) FROM indexed_files_fts").pluck().get()).toBe(c.prepare("SELECT count(*) FROM indexed_files").pluck().get());
}

/**
 * Four recovery points of one source:
 *   a.txt  same content in 1..4
 *   b.txt  changed in 2
 *   c.txt  deleted in 3, re-added (same content) in 4
 *   d.txt  only in 2
 */
function fourPoints() {
  const ds = addSource("docs");
  const rp1 = record(ds, at(0), [file("a.txt", "A"), file("b.txt", "B1", 11), file("c.txt", "C")]);
  const rp2 = record(ds, at(HOUR), [file("a.txt", "A"), file("b.txt", "B2", 22), file("c.txt", "C"), file("d.txt", "D")]);
  const rp3 = record(ds, at(2 * HOUR), [file("a.txt", "A"), file("b.txt", "B2", 22)]);
  const rp4 = record(ds, at(3 * HOUR), [file("a.txt", "A"), file("b.txt", "B2", 22), file("c.txt", "C")]);
  return { ds, rp1, rp2, rp3, rp4 };
}

describe("recordRecoveryPoint", () => {
  it("stores the recovery point's row from the header", () => {
    const ds = addSource("docs");
    const id = recordRecoveryPoint(db, { dataSourceId: ds, header: header({ bytes: 4096, files: 2, newStoredBytes: 512 }), kind: "express-full", jobId: 17, createdAt: at(0) }, []);
    expect(db.select().from(recoveryPoints).where(eq(recoveryPoints.id, id)).get()).toEqual({
      id,
      dataSourceId: ds,
      createdAt: at(0),
      kind: "express-full",
      sizeBytes: 4096,
      manifestId: "20261124T120000000Z-00000001",
      files: 2,
      addedBytes: 512,
      jobId: 17,
      madeByServerId: null, // made here, not copied from another server
    });
  });

  it("keeps one version per run of unchanged content across recovery points", () => {
    const ds = addSource("docs");
    const rp1 = record(ds, at(0), [file("a.txt", "A"), file("b.txt", "B1"), file("c.txt", "C")]);
    const rp2 = record(ds, at(HOUR), [file("a.txt", "A"), file("b.txt", "B2"), file("c.txt", "C")]);
    const rp3 = record(ds, at(2 * HOUR), [file("a.txt", "A"), file("b.txt", "B2")]);
    expect(versionsOf(ds)).toEqual({
      "a.txt": [[rp1, rp3, "A"]],
      "b.txt": [
        [rp1, rp1, "B1"],
        [rp2, rp3, "B2"],
      ],
      "c.txt": [[rp1, rp2, "C"]],
    });
    // Re-added later with the very same content: a new version, the gap stays a gap.
    const rp4 = record(ds, at(3 * HOUR), [file("a.txt", "A"), file("c.txt", "C")]);
    expect(versionsOf(ds)).toEqual({
      "a.txt": [[rp1, rp4, "A"]],
      "b.txt": [
        [rp1, rp1, "B1"],
        [rp2, rp3, "B2"],
      ],
      "c.txt": [
        [rp1, rp2, "C"],
        [rp4, rp4, "C"],
      ],
    });
    expect(db.select().from(indexedFiles).all()).toHaveLength(3);
    expectIndexConsistent();
  });

  it("a same hash with another size is a new version; a new mtime alone is not", () => {
    const ds = addSource("docs");
    const rp1 = record(ds, at(0), [file("a.txt", "A", 10, 1000), file("b.txt", "B", 10, 1000)]);
    const rp2 = record(ds, at(HOUR), [file("a.txt", "A", 20, 1000), file("b.txt", "B", 10, 5000.7)]);
    expect(versionsOf(ds)).toEqual({
      "a.txt": [
        [rp1, rp1, "A"],
        [rp2, rp2, "A"],
      ],
      "b.txt": [[rp1, rp2, "B"]],
    });
  });

  it("sources are indexed apart: the same path in two sources is two files", () => {
    const docs = addSource("docs");
    const scans = addSource("scans");
    const d1 = record(docs, at(0), [file("a.txt", "A")]);
    const s1 = record(scans, at(HOUR), [file("a.txt", "A")]);
    const d2 = record(docs, at(2 * HOUR), [file("a.txt", "A")]);
    expect(versionsOf(docs)).toEqual({ "a.txt": [[d1, d2, "A"]] });
    expect(versionsOf(scans)).toEqual({ "a.txt": [[s1, s1, "A"]] });
  });

  it("is all or nothing: a failing insert leaves neither the row nor the files", () => {
    const ds = addSource("docs");
    const h = header();
    recordRecoveryPoint(db, { dataSourceId: ds, header: h, kind: "incremental", jobId: null, createdAt: at(0) }, [file("a.txt", "A")]);
    // The same manifest twice breaks the unique index after the first insert.
    expect(() => recordRecoveryPoint(db, { dataSourceId: ds, header: h, kind: "incremental", jobId: null, createdAt: at(HOUR) }, [file("b.txt", "B")])).toThrow(/UNIQUE/);
    expect(db.select().from(recoveryPoints).all()).toHaveLength(1);
    expect(Object.keys(versionsOf(ds))).toEqual(["a.txt"]);
  });
});

describe("listRecoveryPoints / getRecoveryPoint", () => {
  it("lists oldest first within a range; getRecoveryPoint refuses unknown ids and points without pool data", () => {
    const { ds, rp1, rp2, rp3, rp4 } = fourPoints();
    expect(listRecoveryPoints(db, { dataSourceId: ds }).map((r) => r.id)).toEqual([rp1, rp2, rp3, rp4]);
    expect(listRecoveryPoints(db, { dataSourceId: ds, from: at(HOUR), to: at(2 * HOUR) }).map((r) => r.id)).toEqual([rp2, rp3]);
    expect(listRecoveryPoints(db, { dataSourceId: ds, limit: 1 }).map((r) => r.id)).toEqual([rp1]);
    expect(getRecoveryPoint(db, rp2)).toMatchObject({ id: rp2, dataSourceId: ds, createdAt: at(HOUR), manifestId: "20261124T120000000Z-00000002" });
    const missing = (() => {
      try {
        getRecoveryPoint(db, 999);
      } catch (err) {
        return err as DomainError;
      }
    })();
    expect(missing).toBeInstanceOf(DomainError);
    expect(missing!.code).toBe("NOT_FOUND");
    const legacy = db.insert(recoveryPoints).values({ dataSourceId: ds, createdAt: at(5 * HOUR), kind: "incremental" }).returning().get().id;
    expect(() => getRecoveryPoint(db, legacy)).toThrow(/has no data in the storage pool/);
  });
});

describe("searchFiles", () => {
  function library() {
    const docs = addSource("docs", "fileserver");
    const scans = addSource("scans", "scanner");
    const paths = ["reports/q3-report.txt", "reports/Q4-Report.TXT", "notes.md", "a_b.txt", "axb.txt", "a%b.txt", "ayyb.txt", 'say "hi".txt', "x.md"];
    const d1 = record(docs, at(0), paths.map((p) => file(p, "1")));
    const d2 = record(docs, at(HOUR), [...paths.map((p) => file(p, p === "notes.md" ? "2" : "1"))]);
    const s1 = record(scans, at(2 * HOUR), [file("reports/q3-report.txt", "S")]);
    return { docs, scans, d1, d2, s1 };
  }
  const search = (query: string, o: { dataSourceId?: number; limit?: number } = {}) =>
    searchFiles(db, { query, limit: o.limit ?? 50, ...o })
      .map((r) => `${r.source}:${r.path}`)
      .sort();

  it.each<[string, string[]]>([
    ["report", ["docs:reports/Q4-Report.TXT", "docs:reports/q3-report.txt", "scans:reports/q3-report.txt"]],
    ["REPORT", ["docs:reports/Q4-Report.TXT", "docs:reports/q3-report.txt", "scans:reports/q3-report.txt"]],
    ["q3-rep", ["docs:reports/q3-report.txt", "scans:reports/q3-report.txt"]],
    // Several words: all must match, in any order.
    ["txt rep q4-", ["docs:reports/Q4-Report.TXT"]],
    ["report txt", ["docs:reports/Q4-Report.TXT", "docs:reports/q3-report.txt", "scans:reports/q3-report.txt"]],
    ["nothing-like-this", []],
    // Short queries: a LIKE scan.
    ["md", ["docs:notes.md", "docs:x.md"]],
    ["q3", ["docs:reports/q3-report.txt", "scans:reports/q3-report.txt"]],
    // % and _ are literal, in both paths.
    ["%", ["docs:a%b.txt"]],
    ["_", ["docs:a_b.txt"]],
    ["a_b", ["docs:a_b.txt"]],
    ["a%b", ["docs:a%b.txt"]],
    // Quotes do not break the FTS query.
    ['"hi"', ['docs:say "hi".txt']],
    ['say "hi', ['docs:say "hi".txt']],
    ['"', ['docs:say "hi".txt']],
    ['report" OR "x', []],
    ["NEAR(report)", []],
    ["   ", []],
  ])("%j", (query, expected) => {
    library();
    expect(search(query)).toEqual(expected);
  });

  // Was a bug (fixed): words shorter than three characters are dropped when the query also has a longer
  // word, so "q4 report" finds every report (q3's too) instead of the Q4 one. Each word the
  // user typed should have to match (the short ones through a LIKE on the trigram hits).
  it("a short word beside a long one still has to match", () => {
    library();
    expect(search("q4 report")).toEqual(["docs:reports/Q4-Report.TXT"]);
  });

  it("filters by data source, honours the limit, and reports versions and the latest time", () => {
    const { docs, scans } = library();
    expect(search("report", { dataSourceId: scans })).toEqual(["scans:reports/q3-report.txt"]);
    expect(search("md", { dataSourceId: scans })).toEqual([]);
    expect(searchFiles(db, { query: "txt", limit: 2 })).toHaveLength(2);
    const [notes] = searchFiles(db, { query: "notes", dataSourceId: docs, limit: 10 });
    expect(notes).toMatchObject({ dataSourceId: docs, source: "docs", computer: "fileserver", path: "notes.md", versions: 2, latestAt: at(HOUR) });
    const [scan] = searchFiles(db, { query: "q3-report", dataSourceId: scans, limit: 10 });
    expect(scan).toMatchObject({ source: "scans", computer: "scanner", versions: 1, latestAt: at(2 * HOUR) });
  });
});

describe("fileTimeline", () => {
  it("lists a file's versions newest first, each restorable from its last recovery point", () => {
    const { ds, rp1, rp2, rp4 } = fourPoints();
    const b = db.select({ id: indexedFiles.id }).from(indexedFiles).where(eq(indexedFiles.path, "b.txt")).get()!.id;
    const t = fileTimeline(db, b);
    expect(t).toMatchObject({ id: b, path: "b.txt", dataSourceId: ds });
    expect(t.versions.map((v) => ({ firstId: v.firstId, lastId: v.lastId, restoreFrom: v.restoreFrom, size: v.size, points: v.points, firstAt: v.firstAt, lastAt: v.lastAt, contentHash: v.contentHash }))).toEqual([
      { firstId: rp2, lastId: rp4, restoreFrom: rp4, size: 22, points: 3, firstAt: at(HOUR), lastAt: at(3 * HOUR), contentHash: "B2" },
      { firstId: rp1, lastId: rp1, restoreFrom: rp1, size: 11, points: 1, firstAt: at(0), lastAt: at(0), contentHash: "B1" },
    ]);
    const c = db.select({ id: indexedFiles.id }).from(indexedFiles).where(eq(indexedFiles.path, "c.txt")).get()!.id;
    expect(fileTimeline(db, c).versions.map((v) => [v.firstId, v.lastId, v.points])).toEqual([
      [rp4, rp4, 1],
      [rp1, rp2, 2],
    ]);
  });

  it("an unknown file is NOT_FOUND", () => {
    expect(() => fileTimeline(db, 12345)).toThrow(DomainError);
  });
});

describe("forgetRecoveryPoints", () => {
  const search = (q: string) => searchFiles(db, { query: q, limit: 10 }).map((r) => r.path);

  it("forgetting nothing does nothing", () => {
    const { ds } = fourPoints();
    const before = versionsOf(ds);
    expect(forgetRecoveryPoints(db, ds, [])).toEqual([]);
    expect(versionsOf(ds)).toEqual(before);
  });

  it("the oldest: versions that started there start at the next one; one that lived only there goes", () => {
    const { ds, rp1, rp2, rp4 } = fourPoints();
    expect(forgetRecoveryPoints(db, ds, [rp1])).toEqual(["20261124T120000000Z-00000001"]);
    expect(versionsOf(ds)).toEqual({
      "a.txt": [[rp2, rp4, "A"]],
      "b.txt": [[rp2, rp4, "B2"]],
      "c.txt": [
        [rp2, rp2, "C"],
        [rp4, rp4, "C"],
      ],
      "d.txt": [[rp2, rp2, "D"]],
    });
    expectIndexConsistent();
  });

  it("a middle one: versions ending there end at the previous one, those starting there start at the next; a path only there leaves the index", () => {
    const { ds, rp1, rp2, rp3, rp4 } = fourPoints();
    expect(forgetRecoveryPoints(db, ds, [rp2])).toEqual(["20261124T120000000Z-00000002"]);
    expect(versionsOf(ds)).toEqual({
      "a.txt": [[rp1, rp4, "A"]],
      "b.txt": [
        [rp1, rp1, "B1"],
        [rp3, rp4, "B2"],
      ],
      "c.txt": [
        [rp1, rp1, "C"],
        [rp4, rp4, "C"],
      ],
    });
    expect(searchFiles(db, { query: "d.txt", limit: 10 })).toEqual([]);
    expectIndexConsistent();
  });

  it("two adjacent middle ones: a version that lived only in them goes", () => {
    const ds = addSource("docs");
    const rp1 = record(ds, at(0), [file("a.txt", "A")]);
    const rp2 = record(ds, at(HOUR), [file("a.txt", "A"), file("e.txt", "E")]);
    const rp3 = record(ds, at(2 * HOUR), [file("a.txt", "A2"), file("e.txt", "E")]);
    const rp4 = record(ds, at(3 * HOUR), [file("a.txt", "A2")]);
    expect(forgetRecoveryPoints(db, ds, [rp2, rp3]).sort()).toEqual(["20261124T120000000Z-00000002", "20261124T120000000Z-00000003"]);
    expect(versionsOf(ds)).toEqual({
      "a.txt": [
        [rp1, rp1, "A"],
        [rp4, rp4, "A2"],
      ],
    });
    expectIndexConsistent();
  });

  it("the newest: versions end at the previous one, and the next recovery point extends them again", () => {
    const { ds, rp1, rp2, rp3, rp4 } = fourPoints();
    forgetRecoveryPoints(db, ds, [rp4]);
    expect(versionsOf(ds)).toEqual({
      "a.txt": [[rp1, rp3, "A"]],
      "b.txt": [
        [rp1, rp1, "B1"],
        [rp2, rp3, "B2"],
      ],
      "c.txt": [[rp1, rp2, "C"]],
      "d.txt": [[rp2, rp2, "D"]],
    });
    expectIndexConsistent();
    const rp5 = record(ds, at(4 * HOUR), [file("a.txt", "A"), file("b.txt", "B2", 22)]);
    expect(versionsOf(ds)["a.txt"]).toEqual([[rp1, rp5, "A"]]);
    expect(versionsOf(ds)["b.txt"]).toEqual([
      [rp1, rp1, "B1"],
      [rp2, rp5, "B2"],
    ]);
    expectIndexConsistent();
  });

  it("the first and the last around a kept middle one", () => {
    const { ds, rp1, rp2, rp3, rp4 } = fourPoints();
    forgetRecoveryPoints(db, ds, [rp1, rp4]);
    expect(versionsOf(ds)).toEqual({
      "a.txt": [[rp2, rp3, "A"]],
      "b.txt": [[rp2, rp3, "B2"]],
      "c.txt": [[rp2, rp2, "C"]],
      "d.txt": [[rp2, rp2, "D"]],
    });
    expectIndexConsistent();
  });

  it("all of them: no version and no indexed file is left, other sources untouched", () => {
    const { ds, rp1, rp2, rp3, rp4 } = fourPoints();
    const other = addSource("scans");
    const o1 = record(other, at(0), [file("a.txt", "A")]);
    expect(forgetRecoveryPoints(db, ds, [rp3, rp1, rp4, rp2])).toHaveLength(4);
    expect(versionsOf(ds)).toEqual({});
    expect(db.select().from(recoveryPoints).all().map((r) => r.id)).toEqual([o1]);
    expect(versionsOf(other)).toEqual({ "a.txt": [[o1, o1, "A"]] });
    expect(search("a.txt")).toEqual(["a.txt"]);
    expectIndexConsistent();
  });

  it("a recovery point without a manifest is forgotten without naming one", () => {
    const ds = addSource("docs");
    const legacy = db.insert(recoveryPoints).values({ dataSourceId: ds, createdAt: at(0), kind: "incremental" }).returning().get().id;
    expect(forgetRecoveryPoints(db, ds, [legacy])).toEqual([]);
    expect(db.select().from(recoveryPoints).all()).toEqual([]);
  });
});

describe("expiredRecoveryPoints", () => {
  it("returns those older than the range, never the newest", () => {
    const ds = addSource("docs");
    const now = at(20 * DAY);
    const old1 = record(ds, at(20 * DAY - 10 * DAY), []);
    const old2 = record(ds, at(20 * DAY - 8 * DAY), []);
    record(ds, at(20 * DAY - 7 * DAY), []); // exactly at the cutoff: kept
    record(ds, at(20 * DAY - 1 * DAY), []);
    expect(expiredRecoveryPoints(db, ds, 7, now).sort((a, b) => a - b)).toEqual([old1, old2]);
  });

  it("keeps the newest even when all are old, and looks at one source only", () => {
    const ds = addSource("docs");
    const other = addSource("scans");
    const a = record(ds, at(0), []);
    const b = record(ds, at(DAY), []);
    record(ds, at(2 * DAY), []);
    record(other, at(0), []);
    expect(expiredRecoveryPoints(db, ds, 5, at(100 * DAY)).sort((x, y) => x - y)).toEqual([a, b]);
    expect(expiredRecoveryPoints(db, other, 5, at(100 * DAY))).toEqual([]);
    expect(expiredRecoveryPoints(db, addSource("empty"), 5, at(100 * DAY))).toEqual([]);
  });
});
