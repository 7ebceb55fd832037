import { openCatalog, type Catalog } from "@/db/client";
import { alerts, dataSources, jobs, protectedComputers, protectionGroups, recoveryPoints, type JobState } from "@/db/schema";
import { defaultShortTermPolicy } from "@/server/domain/protection/short-term-policy";

/**
 * A small catalog for the reports' tests, written row by row through drizzle, with helpers
 * that read like the scenario ("source a1 made a recovery point at 09:00 on the 23rd").
 */
export class ReportsFixture {
  readonly db: Catalog = openCatalog(":memory:");
  private computers = 0;
  private manifests = 0;

  group(name: string, slaHours: number | "missing" | "broken" = 24): number {
    const policy =
      slaHours === "broken" ? "{not json" : slaHours === "missing" ? JSON.stringify({ retentionDays: 5 }) : JSON.stringify({ ...defaultShortTermPolicy({ hasDatabases: false }), slaHours });
    return this.db.insert(protectionGroups).values({ name, policy, createdAt: new Date("2026-01-01T00:00:00Z") }).returning({ id: protectionGroups.id }).get().id;
  }

  source(name: string, o: { groupId: number | null; protectedSince?: string | null; computer?: string; replicaState?: "ok" | "inconsistent" }): number {
    const computer = o.computer ?? `computer-${++this.computers}`;
    const existing = this.db.select().from(protectedComputers).all().find((c) => c.name === computer);
    const computerId = existing?.id ?? this.db.insert(protectedComputers).values({ name: computer, createdAt: new Date("2026-01-01T00:00:00Z") }).returning({ id: protectedComputers.id }).get().id;
    return this.db
      .insert(dataSources)
      .values({
        computerId,
        kind: "folder",
        path: `/srv/${name}`,
        name,
        groupId: o.groupId,
        createdAt: new Date("2026-01-01T00:00:00Z"),
        protectedSince: o.protectedSince === undefined ? (o.groupId === null ? null : new Date("2026-01-01T00:00:00Z")) : o.protectedSince === null ? null : new Date(o.protectedSince),
        replicaState: o.replicaState ?? "ok",
      })
      .returning({ id: dataSources.id })
      .get().id;
  }

  /** Recovery points of a source at the given instants (ISO). */
  points(dataSourceId: number, at: string[], o: { sizeBytes?: number; addedBytes?: number } = {}): void {
    for (const t of at) {
      this.db
        .insert(recoveryPoints)
        .values({ dataSourceId, createdAt: new Date(t), kind: "incremental", sizeBytes: o.sizeBytes ?? 1000, addedBytes: o.addedBytes ?? 100, manifestId: `m${++this.manifests}` })
        .run();
    }
  }

  job(o: { state: JobState; at: string; dataSourceId?: number; type?: string }): void {
    this.db.insert(jobs).values({ type: o.type ?? "recovery-point", state: o.state, createdAt: new Date(o.at), dataSourceId: o.dataSourceId ?? null }).run();
  }

  alert(o: { dataSourceId: number; severity: "critical" | "warning" | "info"; active: boolean; key: string }): void {
    this.db
      .insert(alerts)
      .values({ severity: o.severity, active: o.active, type: "test", title: o.key, key: o.key, raisedAt: new Date("2026-11-20T00:00:00Z"), dataSourceId: o.dataSourceId })
      .run();
  }
}

/** The reports' tests' clock: noon on the 24th. */
export const NOW = new Date("2026-11-24T12:00:00Z");

/**
 * Four days, 21st to 24th (today, at noon). Group A: SLA 24 h; group B: SLA 8 h (3 a day).
 *
 *            21st          22nd               23rd                 24th (12 h so far)
 *   a1       1 + failed W  1 OK               none C               09:00 OK
 *   a2       -             from 14:00: none - 2 OK                 none (not due) -
 *   a3       -             -                  from 06:00: failed W none (not due) -
 *   b1       3 OK          2 W                none C               none (1 due) C
 *   b2       3 + failed W  4 OK               1 W                  07:00 OK
 *   u1 (unprotected, with points on the 22nd): never counted
 */
export function fourDayScenario() {
  const f = new ReportsFixture();
  const a = f.group("A", 24);
  const b = f.group("B", 8);
  const a1 = f.source("a1", { groupId: a });
  const a2 = f.source("a2", { groupId: a, protectedSince: "2026-11-22T14:00:00Z" });
  const a3 = f.source("a3", { groupId: a, protectedSince: "2026-11-23T06:00:00Z" });
  const b1 = f.source("b1", { groupId: b });
  const b2 = f.source("b2", { groupId: b });
  const u1 = f.source("u1", { groupId: null });
  f.points(a1, ["2026-11-20T20:00:00Z", "2026-11-21T20:00:00Z", "2026-11-22T20:00:00Z", "2026-11-24T09:00:00Z"]);
  f.job({ state: "failed", at: "2026-11-21T03:00:00Z", dataSourceId: a1 });
  f.points(a2, ["2026-11-23T08:00:00Z", "2026-11-23T15:00:00Z"]);
  f.job({ state: "failed", at: "2026-11-23T09:00:00Z", dataSourceId: a3 });
  f.points(b1, ["2026-11-21T06:00:00Z", "2026-11-21T14:00:00Z", "2026-11-21T22:00:00Z", "2026-11-22T06:00:00Z", "2026-11-22T20:00:00Z"]);
  f.points(b2, ["2026-11-21T06:00:00Z", "2026-11-21T14:00:00Z", "2026-11-21T22:00:00Z", "2026-11-22T01:00:00Z", "2026-11-22T06:00:00Z", "2026-11-22T14:00:00Z", "2026-11-22T22:00:00Z", "2026-11-23T06:00:00Z", "2026-11-24T07:00:00Z"]);
  f.job({ state: "failed", at: "2026-11-21T23:00:00Z", dataSourceId: b2 });
  f.job({ state: "succeeded", at: "2026-11-22T23:00:00Z", dataSourceId: b1 });
  f.points(u1, ["2026-11-22T10:00:00Z"]);
  return { f, ids: { a, b, a1, a2, a3, b1, b2, u1 } };
}
