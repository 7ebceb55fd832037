/**
 * The automatic switch as the minute tick runs it, on a secondary's catalog in memory with a
 * real protection agent on loopback (owned by a primary that is gone, naming this server its
 * standby) and a fixed clock moved tick by tick: when it fires, what it takes over, and that
 * it fires once. The real-time version, with real processes, is
 * tests/integration/auto-switch.test.ts.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { and, eq } from "drizzle-orm";
import pino from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { auditEvents, dataSources, jobs, recoveryPoints, serverLinks, servers } from "@/db/schema";
import { AgentState, ProtectionAgent, startAgentServer } from "@/server/agent/agent";
import { keyIdOf, loadOrCreateIdentity } from "@/server/agent/protocol";
import type { PeerSource } from "@/server/peer/peer-protocol";
import { createTick } from "@/server/scheduler/tick";
import { createTestServices } from "@/server/testing/test-services";
import { ensureSelfServer } from "./ensure-self-server";
import { HEARTBEAT_MS, heartbeatRoundAt } from "./link-health";
import { mirrorSources } from "./secondary-protection";
import { switchProtection } from "./switch-protection";

const T0 = new Date("2026-11-24T12:00:00.000Z"); // a minute's start: the last heartbeat alpha answered
const at = (ms: number) => new Date(T0.getTime() + ms);
const GRACE_MINUTES = 3;

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

/** bravo, the secondary of alpha (automatic switch on, minimum grace) and of charlie (off); both primaries gone. */
async function secondaryOfTwoLostPrimaries() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "custodian-auto-switch-"));
  cleanup.push(() => fs.rmSync(dir, { recursive: true, force: true }));
  const { services, clock } = createTestServices({ now: T0.toISOString() });
  clock.set(T0);
  cleanup.push(() => {
    services.db.$client.close();
  });
  // The runner stays stopped: these tests look at what the switch queues, not at the jobs themselves.
  await services.jobs.stop();
  const logged: { msg: string; [k: string]: unknown }[] = [];
  services.log = pino({ level: "info" }, { write: (line: string) => void logged.push(JSON.parse(line) as { msg: string }) });
  services.protection.publicUrl = "http://127.0.0.1:9";
  const self = ensureSelfServer(services.db, { name: "bravo", now: T0 });

  const nowhere = "http://127.0.0.1:9"; // nothing listens: the primaries are gone
  const primary = (name: string, autoSwitch: boolean) => {
    const key = loadOrCreateIdentity(path.join(dir, `${name}.pem`));
    const id = crypto.randomUUID();
    services.db.insert(servers).values({ id, name, url: nowhere, createdAt: T0, lastContactAt: T0, publicKey: key.publicKey, keyId: keyIdOf(key.publicKey) }).run();
    services.db
      .insert(serverLinks)
      .values({ primaryId: id, secondaryId: self.id, createdAt: T0, lastContactAt: T0, catalogEveryMinutes: 1440, replicaEveryMinutes: 1440, autoSwitch, graceMinutes: GRACE_MINUTES })
      .run();
    return { id, name, url: nowhere, publicKey: key.publicKey };
  };
  const alpha = primary("alpha", true);
  const charlie = primary("charlie", false);

  // alpha's file-host agent: owned by alpha, bravo its standby (as configuring secondary protection leaves it).
  const state = AgentState.open(path.join(dir, "agent"), { name: "file-host" });
  state.setSources([{ name: "docs", kind: "folder", path: dir }]);
  state.pair(state.issuePairingToken(), alpha);
  state.addStandby({ id: self.id, name: "bravo", url: services.protection.publicUrl, publicKey: services.protection.identity().publicKey });
  const agentServer = await startAgentServer({ agent: new ProtectionAgent(state, { info: () => undefined, warn: () => undefined }), host: "127.0.0.1", port: 0 });
  cleanup.push(() => agentServer.close());

  const source = (id: number, name: string, computer: string, agent: PeerSource["agent"]): PeerSource => ({
    id,
    name,
    kind: "folder",
    path: `/srv/${name}`,
    computer,
    groupId: 1,
    group: "Files",
    policy: null,
    agent,
    recoveryPoints: 1,
    latestRecoveryPointAt: null,
    switched: false,
  });
  const fileHost = { id: state.id, name: "file-host", url: agentServer.url, publicKey: state.identity.publicKey };
  // charlie's agent is as gone as charlie: were anything to try it, the try would show in the log.
  const bookHost = { id: crypto.randomUUID(), name: "book-host", url: nowhere, publicKey: loadOrCreateIdentity(path.join(dir, "book-host.pem")).publicKey };
  services.db.transaction((tx) => {
    mirrorSources(tx, alpha, [source(1, "docs", "file-host", fileHost), source(2, "local", "alpha-host", null)], new Set([1, 2]), T0);
    mirrorSources(tx, charlie, [source(1, "books", "book-host", bookHost)], new Set([1]), T0);
  });
  // Each mirror holds a copy to go on from.
  for (const m of services.db.select({ id: dataSources.id, originServerId: dataSources.originServerId }).from(dataSources).all()) {
    services.db.insert(recoveryPoints).values({ dataSourceId: m.id, createdAt: at(-3_600_000), kind: "incremental", manifestId: `manifest-${m.id}`, madeByServerId: m.originServerId }).run();
    services.db.update(dataSources).set({ replicaState: "ok" }).where(eq(dataSources.id, m.id)).run();
  }
  const mirror = (originServerId: string, name: string) =>
    services.db
      .select({ id: dataSources.id, protectedHere: dataSources.protectedHere, switchState: dataSources.switchState })
      .from(dataSources)
      .where(and(eq(dataSources.originServerId, originServerId), eq(dataSources.name, name)))
      .get()!;
  const checksOf = (dataSourceId: number) => services.db.select({ id: jobs.id, requestedBy: jobs.requestedBy }).from(jobs).where(and(eq(jobs.type, "consistency-check"), eq(jobs.dataSourceId, dataSourceId))).all();
  return { services, clock, self, alpha, charlie, state, logged, mirror, checksOf };
}

describe("the automatic switch, tick by tick", () => {
  it("fires once, at the first heartbeat past the grace period (a late tick does not bring it forward), for the sources it can take over, on the links that enable it", async () => {
    const s = await secondaryOfTwoLostPrimaries();
    const tick = createTick(s.services);
    const runTick = async (ms: number) => {
      s.clock.set(at(ms));
      await tick(at(ms));
    };
    const switchLines = () => s.logged.filter((l) => l.msg === "protection switched to this server");

    // The timers of a minute loop fire a few milliseconds late: the third missed heartbeat is
    // exactly the grace period after the last contact, not longer, whatever the timer did.
    for (const ms of [60_004, 120_001, 180_009]) await runTick(ms);
    expect(s.mirror(s.alpha.id, "docs").protectedHere).toBe(false);
    expect(switchLines()).toEqual([]);

    // The next round, one heartbeat past the grace period: switched.
    await runTick(GRACE_MINUTES * 60_000 + HEARTBEAT_MS + 2);
    const docs = s.mirror(s.alpha.id, "docs");
    expect(docs.protectedHere).toBe(true);
    expect(JSON.parse(docs.switchState!)).toMatchObject({ kind: "switched", how: "automatic", epoch: 1, since: at(240_002).toISOString() });
    expect(s.state.owner?.id).toBe(s.self.id);
    expect(s.checksOf(docs.id).map((j) => j.requestedBy)).toEqual(["system"]);

    // The built-in agent's source stays alpha's: not switched, and not tried (nothing to take over).
    expect(s.mirror(s.alpha.id, "local")).toMatchObject({ protectedHere: false, switchState: null });
    expect(switchLines()).toMatchObject([{ how: "automatic", switched: 1, refused: 0 }]);

    // Later ticks, alpha still silent: nothing fires again.
    for (const ms of [300_001, 360_003]) await runTick(ms);
    expect(switchLines()).toHaveLength(1);
    expect(s.logged.filter((l) => l.msg === "automatic switch of protection")).toMatchObject([{ switched: ["docs"], refused: [] }]);
    expect(s.checksOf(docs.id)).toHaveLength(1);
    expect(s.services.db.select({ target: auditEvents.target, username: auditEvents.username }).from(auditEvents).where(eq(auditEvents.action, "protection.switched")).all()).toEqual([{ target: "file-host:docs", username: "system" }]);

    // charlie's link does not enable it: as silent, nothing switched or tried.
    expect(s.mirror(s.charlie.id, "books")).toMatchObject({ protectedHere: false, switchState: null });
    expect(s.logged.filter((l) => JSON.stringify(l).includes("book-host"))).toEqual([]);
  });

  it("an admin's switch and the automatic one at the same moment switch the source once", async () => {
    const s = await secondaryOfTwoLostPrimaries();
    const docs = s.mirror(s.alpha.id, "docs");
    const [manual, automatic] = await Promise.all([
      switchProtection(s.services, { primaryId: s.alpha.id, dataSourceIds: [docs.id] }, "admin", "manual"),
      switchProtection(s.services, { primaryId: s.alpha.id, dataSourceIds: [docs.id] }, "system", "automatic"),
    ]);
    expect([manual.switched.length + automatic.switched.length, [...manual.refused, ...automatic.refused].flatMap((r) => r.issues.map((i) => i.rule))]).toEqual([1, ["already-switched"]]);
    expect(s.checksOf(docs.id)).toHaveLength(1);
    expect(JSON.parse(s.mirror(s.alpha.id, "docs").switchState!)).toMatchObject({ kind: "switched", epoch: 1 });
  });
});

describe("heartbeat rounds", () => {
  it.each([
    ["2026-11-24T12:03:00.004Z", "2026-11-24T12:03:00.000Z"],
    ["2026-11-24T12:02:59.998Z", "2026-11-24T12:03:00.000Z"],
    ["2026-11-24T12:03:07.500Z", "2026-11-24T12:03:00.000Z"],
  ])("a tick at %s is the round of %s", (now, round) => {
    expect(heartbeatRoundAt(new Date(now))).toEqual(new Date(round));
  });
});
