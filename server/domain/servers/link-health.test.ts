import { describe, expect, it } from "vitest";
import { linkHealth, type LinkFacts } from "./link-health";

const now = new Date("2026-11-25T12:00:00Z");
const ago = (min: number) => new Date(now.getTime() - min * 60_000);
const base: LinkFacts = { createdAt: ago(600), lastContactAt: ago(0.5), replicaEveryMinutes: 60, inSyncAt: ago(30), lastReplicationError: null, switchedSources: 0 };

describe("linkHealth", () => {
  it("is healthy when in contact and in sync within two intervals, with the lag in seconds", () => {
    expect(linkHealth(base, now)).toEqual({ state: "healthy", lagSeconds: 1800, reasons: [] });
  });
  it("is not configured until the secondary selects what to protect, whatever else holds", () => {
    const h = linkHealth({ ...base, replicaEveryMinutes: null, inSyncAt: null }, now);
    expect(h.state).toBe("not-configured");
    expect(h.lagSeconds).toBeNull();
  });
  it("lags past two replication intervals, and counts a new link from its creation", () => {
    expect(linkHealth({ ...base, inSyncAt: ago(121) }, now).state).toBe("lagging");
    expect(linkHealth({ ...base, inSyncAt: ago(119) }, now).state).toBe("healthy");
    const fresh = linkHealth({ ...base, createdAt: ago(200), inSyncAt: null }, now);
    expect(fresh).toMatchObject({ state: "lagging", lagSeconds: 12000 });
  });
  it("is broken after three silent heartbeats or a failed replication, and says why", () => {
    const silent = linkHealth({ ...base, lastContactAt: ago(3.5) }, now);
    expect(silent.state).toBe("broken");
    expect(silent.reasons[0]).toMatch(/no heartbeat for 4 min/);
    expect(linkHealth({ ...base, lastContactAt: ago(2.5) }, now).state).toBe("healthy");
    expect(linkHealth({ ...base, lastContactAt: null }, now).state).toBe("broken");
    const failed = linkHealth({ ...base, lastReplicationError: "disk full" }, now);
    expect(failed).toMatchObject({ state: "broken", reasons: ["the last replication failed: disk full"] });
  });
  it("switched wins over broken: the primary being gone is why it was switched", () => {
    const h = linkHealth({ ...base, lastContactAt: ago(30), switchedSources: 2 }, now);
    expect(h.state).toBe("switched");
    expect(h.reasons).toEqual(["2 data source(s) switched to the secondary", "no heartbeat for 30 min"]);
  });
});
