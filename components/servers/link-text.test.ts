import { describe, expect, it } from "vitest";
import { everyLabel, formatAgo, formatLag, intervalLabel, switchStateText } from "./link-text";

describe("link wording", () => {
  it("lag reads in minutes, hours and days, never in seconds", () => {
    expect([null, 0, 59, 240, 3600, 7500, 86400 + 4 * 3600].map(formatLag)).toEqual(["—", "under a minute", "under a minute", "4 min", "1 h", "2 h 5 min", "1 d 4 h"]);
  });

  it("times read as how long ago", () => {
    const now = new Date("2026-03-01T12:00:00Z");
    const ago = (ms: number) => formatAgo(new Date(now.getTime() - ms), now);
    expect([formatAgo(null, now), ago(10_000), ago(-5_000), ago(5 * 60_000), ago(3 * 3600_000), ago(2 * 86400_000)]).toEqual(["never", "just now", "just now", "5 min ago", "3 h ago", "2 d ago"]);
  });

  it("intervals read as DPM's choices", () => {
    expect([15, 60, 90, 720, 1440].map(intervalLabel)).toEqual(["15 min", "1 h", "1 h 30 min", "12 h", "24 h"]);
    expect([everyLabel(null), everyLabel(30), everyLabel(1440)]).toEqual(["not set", "every 30 min", "daily"]);
  });

  it("switch states say who protects the source", () => {
    const since = new Date("2026-03-01T12:00:00Z");
    expect(switchStateText({ kind: "primary", epoch: 0 }, "secondary").label).toBe("Protected by the primary");
    expect(switchStateText({ kind: "switched", epoch: 1, how: "automatic", since, replica: "inconsistent" }, "secondary")).toMatchObject({ label: "Switched to the secondary", detail: "switched automatically" });
    expect(switchStateText({ kind: "ownership-required", epoch: 1, how: "manual", since, replica: "ok", primarySeenAt: since }, "primary").label).toBe("Ownership required");
  });
});
