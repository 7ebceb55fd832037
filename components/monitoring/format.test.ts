import { describe, expect, it } from "vitest";
import { factsOf, formatDuration, formatEta, formatRelative, humanize, progressFraction, splitJobRefs } from "./format";

describe("monitoring wording", () => {
  it("durations use at most two units and never say 0 min", () => {
    expect([0, 999, 42_000, 60_000, 185_000, 3600_000, 7_800_000, 86400_000 + 4 * 3600_000].map(formatDuration)).toEqual([
      "0 s",
      "1 s",
      "42 s",
      "1 min",
      "3 min 5 s",
      "1 h",
      "2 h 10 min",
      "1 d 4 h",
    ]);
  });

  it("relative times read both ways", () => {
    const now = new Date("2025-03-01T12:00:00Z");
    const at = (ms: number) => formatRelative(new Date(now.getTime() - ms), now);
    expect([at(3000), at(-20_000), at(45_000), at(5 * 60_000), at(3 * 3600_000), at(2 * 86400_000), at(-120_000)]).toEqual([
      "just now",
      "just now",
      "45 s ago",
      "5 min ago",
      "3 h ago",
      "2 d ago",
      "in 2 min",
    ]);
  });

  it("time left", () => {
    expect([formatEta(0), formatEta(1), formatEta(42), formatEta(400)]).toEqual(["almost done", "almost done", "about 42 s left", "about 6 min 40 s left"]);
  });

  it("progress is a fraction only when the total is known", () => {
    expect(progressFraction(50, 200)).toBe(0.25);
    expect(progressFraction(200, 200)).toBe(1);
    expect(progressFraction(300, 200)).toBeNull(); // an estimate that was overtaken
    expect(progressFraction(5, null)).toBeNull();
    expect(progressFraction(5, 0)).toBeNull();
  });

  it("job references in server text become links", () => {
    expect(splitJobRefs("See job 12; it is retried as job #13.")).toEqual([{ text: "See " }, { jobId: 12, text: "job 12" }, { text: "; it is retried as " }, { jobId: 13, text: "job #13" }, { text: "." }]);
    expect(splitJobRefs("no reference")).toEqual([{ text: "no reference" }]);
    expect(splitJobRefs("jobs 4")).toEqual([{ text: "jobs 4" }]);
  });

  it("a recovery point's result and a restore's parameters and result read as sentences", () => {
    expect(humanize("newStoredBytes")).toBe("New stored bytes");
    expect(factsOf({ manifest: "abc", recoveryPointId: 7, files: 1200, bytes: 5 * 1024 * 1024, newChunks: 3, newStoredBytes: 2048 }, { type: "recovery-point", kind: "result" })).toEqual([
      { label: "Manifest", value: "abc" },
      { label: "Recovery point", value: "7" },
      { label: "Files", value: "1,200" },
      { label: "Data", value: "5.0 MiB" },
      { label: "New chunks", value: "3" },
      { label: "New data stored", value: "2.0 KiB" },
    ]);
    expect(factsOf({ manifest: "abc", recoveryPointId: null, files: 1 }, { type: "synchronization", kind: "result" }).map((f) => f.label)).toEqual(["Manifest", "Files"]);
    expect(factsOf({ recoveryPointId: 3, target: null, paths: null, existing: "copy", bytesTotal: 1024 }, { type: "restore", kind: "params" })).toEqual([
      { label: "Recovery point", value: "3" },
      { label: "Restore to", value: "the original location" },
      { label: "Selected paths", value: "everything in the recovery point" },
      { label: "Existing files", value: "restore beside them as a copy" },
      { label: "Size to restore", value: "1.0 KiB" },
    ]);
    expect(factsOf({ target: "/srv/out", counts: { restored: 3, skipped: 1, copied: 0, refused: 0, failed: 0 }, bytes: 10, problems: 0 }, { type: "restore", kind: "result" })).toEqual([
      { label: "Restored to", value: "/srv/out" },
      { label: "Files", value: "3 restored, 1 skipped" },
      { label: "Data", value: "10 B" },
      { label: "Problems", value: "0" },
    ]);
    expect(factsOf({ packsRead: 4, bytesRead: 4096, samplePercent: 10 }, { type: "verify", kind: "result" })).toEqual([
      { label: "Packs read", value: "4" },
      { label: "Data read", value: "4.0 KiB" },
      { label: "Sample", value: "10% of the packs" },
    ]);
    expect(factsOf({}, { kind: "params" })).toEqual([]);
    expect(factsOf(null, { kind: "result" })).toEqual([]);
  });
});
