import { describe, expect, it } from "vitest";
import { targetRefusal } from "@/server/domain/recovery/restore-request";
import { originalLocationRefusal, targetProblem } from "./restore-target";
import { coveringAncestor, selectedPaths, toggle } from "./tree-selection";
import { auditEntryFor, auditRecordedByServer, formatDuration, orderedCounts, problemLines, progressPercent, rateAndEta, restoreOutcome, restoreResultOf } from "./restore-report";

describe("the wizard's target check", () => {
  it("refuses exactly what the server refuses", () => {
    const cases = ["/srv/restores", "/", "relative/dir", "./x", "/srv/../etc", "/srv/./x", "/srv/a..b", "/srv/x\0y", "/srv//double", "C:\\restores", "/srv/..hidden"];
    for (const t of cases) expect(targetProblem(t) === null, t).toBe(targetRefusal(t) === null);
  });

  it("says why, in words a help-desk user can act on", () => {
    expect(targetProblem("")).toMatch(/folder to restore into/);
    expect(targetProblem("restores")).toMatch(/absolute path/);
    expect(targetProblem("/srv/../etc")).toMatch(/\.\./);
  });

  it("keeps the original location for administrators, and never for a database", () => {
    expect(originalLocationRefusal("admin", "folder")).toBeNull();
    expect(originalLocationRefusal("helpdesk", "folder")).toMatch(/alternate folder/);
    expect(originalLocationRefusal("admin", "sqlite")).toMatch(/database/);
  });
});

describe("the tree's selection", () => {
  it("keeps only the top-most ticked paths", () => {
    let s = toggle(new Set(), "docs/a.txt");
    s = toggle(s, "docs/sub/b.txt");
    s = toggle(s, "other");
    expect(selectedPaths(s)).toEqual(["docs/a.txt", "docs/sub/b.txt", "other"]);
    s = toggle(s, "docs");
    expect(selectedPaths(s)).toEqual(["docs", "other"]);
    expect(coveringAncestor(s, "docs/sub/b.txt")).toBe("docs");
    // A name that only starts like a ticked folder is not under it.
    expect(coveringAncestor(s, "docs2/x")).toBeUndefined();
    // Ticking an implied child changes nothing; unticking the folder does.
    expect(selectedPaths(toggle(s, "docs/a.txt"))).toEqual(["docs", "other"]);
    expect(selectedPaths(toggle(s, "docs"))).toEqual(["other"]);
  });
});

describe("the restore report", () => {
  const log = [
    { at: new Date(0), level: "info", message: "started (user)" },
    { at: new Date(0), level: "info", message: "docs/a.txt: refused (symlink parent)" },
    { at: new Date(0), level: "error", message: "docs/b.txt: failed (EACCES)" },
    { at: new Date(0), level: "error", message: "1 entries could not be restored (1 restored, 1 failed); see the log" },
    { at: new Date(0), level: "info", message: "docs/refused-names.txt: restored" },
  ];

  it("lists the problem lines, without repeating the job's error", () => {
    expect(problemLines(log, "1 entries could not be restored (1 restored, 1 failed); see the log").map((l) => l.message)).toEqual(["docs/a.txt: refused (symlink parent)", "docs/b.txt: failed (EACCES)"]);
  });

  it("reads a restore result and orders its counts", () => {
    expect(restoreResultOf(null)).toBeNull();
    expect(restoreResultOf({ manifest: "x" })).toBeNull();
    const r = restoreResultOf({ target: "/srv/r", counts: { failed: 0, copied: 2, restored: 3, skipped: 0, refused: 1 }, bytes: 10, problems: 1 })!;
    expect(orderedCounts(r.counts)).toEqual([
      { outcome: "restored", count: 3 },
      { outcome: "copied", count: 2 },
      { outcome: "refused", count: 1 },
    ]);
    expect(auditRecordedByServer(r, log)).toBe(false);
    expect(auditRecordedByServer({ ...r, audited: true }, [])).toBe(true);
  });

  it("never calls a restore that left items behind a success", () => {
    const ok = restoreResultOf({ target: "/r", counts: { restored: 2, skipped: 0, copied: 0, refused: 0, failed: 0 }, bytes: 1, problems: 0 });
    const refused = restoreResultOf({ target: "/r", counts: { restored: 0, skipped: 0, copied: 0, refused: 2, failed: 0 }, bytes: 0, problems: 2 });
    expect(restoreOutcome("succeeded", ok)).toBe("succeeded");
    expect(restoreOutcome("succeeded", refused)).toBe("incomplete");
    expect(restoreOutcome("failed", null)).toBe("failed");
    expect(restoreOutcome("cancelled", null)).toBe("cancelled");
    expect(restoreOutcome("running", null)).toBe("running");
  });

  it("computes the bar and the time left", () => {
    expect(progressPercent({ state: "running", bytesDone: 50, bytesTotal: 200 })).toBe(25);
    expect(progressPercent({ state: "running", bytesDone: 50, bytesTotal: null })).toBeNull();
    expect(progressPercent({ state: "queued", bytesDone: 0, bytesTotal: 200 })).toBe(0);
    expect(progressPercent({ state: "succeeded", bytesDone: 0, bytesTotal: 0 })).toBe(100);
    // One large file first: the only sample is a tiny file's, so no rate or time left yet.
    expect(rateAndEta({ state: "running", bytesDone: 3, bytesTotal: 400e6, bytesPerSecond: 21, etaSeconds: 19e6 })).toEqual({ rate: null, eta: null, estimating: true });
    expect(rateAndEta({ state: "running", bytesDone: 100e6, bytesTotal: 400e6, bytesPerSecond: 20e6, etaSeconds: 15 })).toEqual({ rate: 20e6, eta: 15, estimating: false });
    expect(rateAndEta({ state: "succeeded", bytesDone: 400e6, bytesTotal: 400e6, bytesPerSecond: 0, etaSeconds: null }).estimating).toBe(false);
    expect(formatDuration(42)).toBe("42 s");
    expect(formatDuration(185)).toBe("3 min 05 s");
    expect(formatDuration(3 * 3600 + 120)).toBe("3 h 02 min");
  });

  it("finds the job's own audit entry", () => {
    const events = [
      { action: "restore.finished", detail: "job 12: recovery point 3 to /srv/r: 1 restored" },
      { action: "restore.finished", detail: "job 1: recovery point 3 to /srv/r: 1 restored" },
    ];
    expect(auditEntryFor(events, 1)).toBe(events[1]);
    expect(auditEntryFor(events, 2)).toBeUndefined();
  });
});
