import { domainErrorOf } from "@/server/testing/test-services";
import { beforeEach, describe, expect, it } from "vitest";
import { asc, eq } from "drizzle-orm";
import { openCatalog, type Catalog } from "@/db/client";
import { alerts, dataSources, protectedComputers, protectionGroups } from "@/db/schema";
import { acknowledgeAlert, activeAlertKeys, expireInformationalAlerts, healthOfSources, inactivateAlert, listAlerts, raiseAlert, reconcileAlerts, resolveAlert, type AlertCondition } from "./alerts";

const T0 = new Date("2026-11-24T12:00:00Z");
const at = (minutes: number) => new Date(T0.getTime() + minutes * 60_000);

let db: Catalog;
beforeEach(() => {
  db = openCatalog(":memory:");
});

const rows = () => db.select().from(alerts).orderBy(asc(alerts.id)).all();

function cond(key: string, over: Partial<AlertCondition> = {}): AlertCondition {
  const type = key.slice(0, key.indexOf(":"));
  return { key, type, severity: "warning", title: `${key} title`, ...over };
}

describe("raiseAlert / resolveAlert", () => {
  it("raising the same key twice keeps one active row, refreshed", () => {
    const id = raiseAlert(db, cond("sync-failed:1", { severity: "warning", title: "first", detail: "d1", dataSourceId: 1, groupId: 2, computerId: 3, target: "pc: docs" }), at(0));
    const again = raiseAlert(db, cond("sync-failed:1", { severity: "critical", title: "second", detail: "d2", recommendedAction: "do it", dataSourceId: 1 }), at(5));
    expect(again).toBe(id);
    const all = rows();
    expect(all).toHaveLength(1);
    expect(all[0]).toMatchObject({
      id,
      key: "sync-failed:1",
      type: "sync-failed",
      active: true,
      severity: "critical",
      title: "second",
      detail: "d2",
      recommendedAction: "do it",
      raisedAt: at(0),
      lastSeenAt: at(5),
      resolvedAt: null,
      resolvedBy: null,
      dataSourceId: 1,
    });
  });

  it("different keys are different alerts", () => {
    const a = raiseAlert(db, cond("sync-failed:1"), at(0));
    const b = raiseAlert(db, cond("sync-failed:2"), at(0));
    expect(a).not.toBe(b);
    expect(rows()).toHaveLength(2);
  });

  it("resolving makes it inactive (by the system); a new raise after that is a new row and the history stays", () => {
    const first = raiseAlert(db, cond("sync-failed:1", { title: "first" }), at(0));
    expect(resolveAlert(db, "sync-failed:1", at(10))).toBe(true);
    expect(resolveAlert(db, "sync-failed:1", at(11))).toBe(false);
    expect(rows()[0]).toMatchObject({ id: first, active: false, resolvedAt: at(10), resolvedBy: "system" });

    const second = raiseAlert(db, cond("sync-failed:1", { title: "again" }), at(20));
    expect(second).not.toBe(first);
    expect(rows().map((r) => [r.id, r.active, r.title, r.raisedAt])).toEqual([
      [first, false, "first", at(0)],
      [second, true, "again", at(20)],
    ]);
  });

  it("resolving a key that was never raised changes nothing", () => {
    expect(resolveAlert(db, "sync-failed:9", at(0))).toBe(false);
    expect(rows()).toEqual([]);
  });

  it("resolve names who ended it", () => {
    raiseAlert(db, cond("sync-failed:1"), at(0));
    resolveAlert(db, "sync-failed:1", at(1), "alice");
    expect(rows()[0]).toMatchObject({ active: false, resolvedBy: "alice" });
  });
});

describe("acknowledgeAlert / inactivateAlert", () => {
  it("acknowledging keeps the alert active and records who", () => {
    const id = raiseAlert(db, cond("sync-failed:1"), at(0));
    acknowledgeAlert(db, id, "alice", at(3));
    expect(rows()[0]).toMatchObject({ active: true, acknowledgedBy: "alice", acknowledgedAt: at(3) });
  });

  it("unknown ids are NOT_FOUND; inactive alerts are a CONFLICT", () => {
    expect(domainErrorOf(() => acknowledgeAlert(db, 999, "alice", at(0))).code).toBe("NOT_FOUND");
    expect(domainErrorOf(() => inactivateAlert(db, 999, "alice", at(0))).code).toBe("NOT_FOUND");
    const id = raiseAlert(db, cond("sync-failed:1"), at(0));
    resolveAlert(db, "sync-failed:1", at(1));
    const ack = domainErrorOf(() => acknowledgeAlert(db, id, "alice", at(2)));
    expect(ack.code).toBe("CONFLICT");
    expect(ack.message).toBe(`alert ${id} is no longer active`);
    const inact = domainErrorOf(() => inactivateAlert(db, id, "alice", at(2)));
    expect(inact.code).toBe("CONFLICT");
    expect(inact.message).toBe(`alert ${id} is already inactive`);
    expect(rows()[0]).toMatchObject({ acknowledgedBy: null, resolvedBy: "system", resolvedAt: at(1) });
  });

  it("inactivating by hand records the user; the system raises it again as a new alert while the condition holds", () => {
    const id = raiseAlert(db, cond("sync-failed:1"), at(0));
    inactivateAlert(db, id, "alice", at(4));
    expect(rows()[0]).toMatchObject({ active: false, resolvedBy: "alice", resolvedAt: at(4) });
    expect(domainErrorOf(() => inactivateAlert(db, id, "alice", at(5))).code).toBe("CONFLICT");
    const again = raiseAlert(db, cond("sync-failed:1"), at(6));
    expect(again).not.toBe(id);
    expect(rows().map((r) => r.active)).toEqual([false, true]);
  });
});

describe("reconcileAlerts", () => {
  it("raises new, refreshes existing, resolves what no longer holds, only among the given types", () => {
    const kept = raiseAlert(db, cond("sync-failed:1", { title: "old" }), at(0));
    const gone = raiseAlert(db, cond("sync-failed:2"), at(0));
    const otherType = raiseAlert(db, cond("restore-succeeded:5", { severity: "info" }), at(0));
    const result = reconcileAlerts(db, ["sync-failed", "source-missing"], [cond("sync-failed:1", { title: "new", severity: "critical" }), cond("source-missing:3", { severity: "critical" })], at(10));
    expect(result).toEqual({ raised: 1, resolved: 1 });
    const byKey = new Map(rows().map((r) => [r.key, r]));
    expect(byKey.get("sync-failed:1")).toMatchObject({ id: kept, active: true, title: "new", severity: "critical", raisedAt: at(0), lastSeenAt: at(10) });
    expect(byKey.get("sync-failed:2")).toMatchObject({ id: gone, active: false, resolvedBy: "system", resolvedAt: at(10) });
    expect(byKey.get("restore-succeeded:5")).toMatchObject({ id: otherType, active: true, resolvedAt: null });
    expect(byKey.get("source-missing:3")).toMatchObject({ active: true, raisedAt: at(10) });
    expect([...activeAlertKeys(db, ["sync-failed", "source-missing"])].sort()).toEqual(["source-missing:3", "sync-failed:1"]);
  });

  it("is stable: the same desired list twice raises and resolves nothing the second time", () => {
    const desired = [cond("sync-failed:1"), cond("sync-failed:2")];
    expect(reconcileAlerts(db, ["sync-failed"], desired, at(0))).toEqual({ raised: 2, resolved: 0 });
    expect(reconcileAlerts(db, ["sync-failed"], desired, at(1))).toEqual({ raised: 0, resolved: 0 });
    expect(rows()).toHaveLength(2);
    expect(reconcileAlerts(db, ["sync-failed"], [], at(2))).toEqual({ raised: 0, resolved: 2 });
    expect(rows().map((r) => r.active)).toEqual([false, false]);
  });

  it("an empty list of types asks about nothing", () => {
    expect(activeAlertKeys(db, [])).toEqual(new Set());
  });
});

describe("expireInformationalAlerts", () => {
  it("resolves informational alerts raised more than 3 days ago, nothing else", () => {
    const threeDays = 3 * 24 * 60;
    raiseAlert(db, cond("restore-succeeded:1", { severity: "info" }), at(0));
    raiseAlert(db, cond("restore-succeeded:2", { severity: "info" }), at(1));
    raiseAlert(db, cond("sync-failed:3", { severity: "warning" }), at(0));
    raiseAlert(db, cond("sync-failed:4", { severity: "critical" }), at(0));
    // Exactly three days after the first: not older than 3 days yet.
    expect(expireInformationalAlerts(db, at(threeDays))).toBe(0);
    expect(expireInformationalAlerts(db, at(threeDays + 0.5))).toBe(1);
    expect(rows().map((r) => [r.key, r.active, r.resolvedBy])).toEqual([
      ["restore-succeeded:1", false, "system"],
      ["restore-succeeded:2", true, null],
      ["sync-failed:3", true, null],
      ["sync-failed:4", true, null],
    ]);
    expect(expireInformationalAlerts(db, at(threeDays + 2))).toBe(1);
    expect(expireInformationalAlerts(db, at(10 * threeDays))).toBe(0);
  });
});

describe("healthOfSources", () => {
  it("is each source's worst active alert; info counts as ok; inactive and source-less alerts do not count", () => {
    raiseAlert(db, cond("replica-pending:1", { severity: "info", dataSourceId: 1 }), at(0));
    raiseAlert(db, cond("replica-checking:1", { severity: "warning", dataSourceId: 1 }), at(0));
    raiseAlert(db, cond("replica-checking:2", { severity: "warning", dataSourceId: 2 }), at(0));
    raiseAlert(db, cond("sync-failed:2", { severity: "critical", dataSourceId: 2 }), at(0));
    raiseAlert(db, cond("replica-pending:3", { severity: "info", dataSourceId: 3 }), at(0));
    raiseAlert(db, cond("sync-failed:4", { severity: "critical", dataSourceId: 4 }), at(0));
    resolveAlert(db, "sync-failed:4", at(1));
    raiseAlert(db, cond("storage-nearly-full:pool", { severity: "critical" }), at(0));
    expect(healthOfSources(db)).toEqual(
      new Map([
        [1, "warning"],
        [2, "critical"],
        [3, "ok"],
      ]),
    );
    expect(healthOfSources(db, [1, 4])).toEqual(new Map([[1, "warning"]]));
    expect(healthOfSources(db, [])).toEqual(new Map());
  });
});

describe("listAlerts", () => {
  it("filters, pages by id and names the group and computer (through the data source when the alert does not name it)", () => {
    const computerId = db.insert(protectedComputers).values({ name: "fileserver", createdAt: T0 }).returning().get().id;
    const groupId = db.insert(protectionGroups).values({ name: "Files", createdAt: T0 }).returning().get().id;
    const dsId = db.insert(dataSources).values({ computerId, kind: "folder", path: "/srv/docs", name: "docs", groupId, createdAt: T0 }).returning().get().id;
    const a = raiseAlert(db, cond("sync-failed:1", { severity: "critical", dataSourceId: dsId, groupId }), at(0));
    const b = raiseAlert(db, cond("replica-pending:1", { severity: "info", dataSourceId: dsId }), at(1));
    const c = raiseAlert(db, cond("storage-nearly-full:pool", { severity: "warning" }), at(2));
    resolveAlert(db, "replica-pending:1", at(3));
    expect(listAlerts(db, { limit: 10 }).map((r) => r.id)).toEqual([c, b, a]);
    expect(listAlerts(db, { limit: 10, active: true }).map((r) => r.id)).toEqual([c, a]);
    expect(listAlerts(db, { limit: 10, active: false }).map((r) => r.id)).toEqual([b]);
    expect(listAlerts(db, { limit: 10, severity: "critical" }).map((r) => r.id)).toEqual([a]);
    expect(listAlerts(db, { limit: 10, type: "replica-pending" }).map((r) => r.id)).toEqual([b]);
    expect(listAlerts(db, { limit: 10, dataSourceId: dsId }).map((r) => r.id)).toEqual([b, a]);
    expect(listAlerts(db, { limit: 10, groupId }).map((r) => r.id)).toEqual([a]);
    expect(listAlerts(db, { limit: 1, before: c }).map((r) => r.id)).toEqual([b]);
    const first = listAlerts(db, { limit: 10, dataSourceId: dsId }).find((r) => r.id === a)!;
    expect(first).toMatchObject({ group: "Files", computer: "fileserver" });
    expect(listAlerts(db, { limit: 10 }).find((r) => r.id === c)).toMatchObject({ group: null, computer: null });
  });
});

describe("the catalog's one-active-alert-per-key rule", () => {
  it("refuses a second active row for a key even written directly", () => {
    raiseAlert(db, cond("sync-failed:1"), at(0));
    expect(() => db.insert(alerts).values({ key: "sync-failed:1", type: "sync-failed", severity: "warning", title: "dup", raisedAt: at(1) }).run()).toThrow(/UNIQUE/);
    db.update(alerts).set({ active: false }).where(eq(alerts.key, "sync-failed:1")).run();
    db.insert(alerts).values({ key: "sync-failed:1", type: "sync-failed", severity: "warning", title: "dup", raisedAt: at(1) }).run();
    expect(rows()).toHaveLength(2);
  });
});
