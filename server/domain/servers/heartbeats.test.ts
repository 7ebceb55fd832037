import { generateKeyPairSync, createPublicKey } from "node:crypto";
import { describe, expect, it } from "vitest";
import { eq } from "drizzle-orm";
import { serverLinks, servers } from "@/db/schema";
import { keyIdOf, signRequest, type Identity } from "@/server/agent/protocol";
import { listAlerts } from "../monitoring/alerts";
import { heartbeatPrimaries, primaryUnreachableKey, watchSecondaries } from "./heartbeats";
import { testPeers, type TestPeer } from "./peer-test-helpers";

const peer = testPeers();

async function linkedPair() {
  const a = await peer("alpha");
  const b = await peer("bravo");
  const { token } = await a.admin().servers.createEnrolmentToken();
  await b.admin().servers.linkPrimary({ url: a.url, token });
  return { a, b };
}

const contactOf = (p: TestPeer, id: string) => p.services.db.select({ at: servers.lastContactAt }).from(servers).where(eq(servers.id, id)).get()!.at;
const activeAlerts = (p: TestPeer) => listAlerts(p.services.db, { active: true, limit: 50 });

describe("heartbeats from a secondary to its primaries", () => {
  it("records the contact on both sides; an unreachable primary raises a critical alert with the last contact, resolved when it answers again", async () => {
    const { a, b } = await linkedPair();
    const t1 = new Date("2026-11-24T12:05:00Z");
    b.clock.set(t1);
    const ok = await b.admin().servers.heartbeatNow();
    expect(ok).toEqual([{ serverId: a.id, name: "alpha", ok: true, lastContactAt: t1 }]);
    expect(contactOf(b, a.id)).toEqual(t1);
    expect(contactOf(a, b.id)).toBeInstanceOf(Date); // the primary's side, by its own clock
    expect(a.services.db.select().from(serverLinks).get()!.lastContactAt).toBeInstanceOf(Date);

    await a.stop();
    b.clock.set(new Date("2026-11-24T12:06:00Z"));
    const failed = await heartbeatPrimaries(b.services);
    expect(failed[0]).toMatchObject({ ok: false, lastContactAt: t1 });
    const alerts = activeAlerts(b);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ severity: "critical", type: "primary-unreachable", title: "Primary server alpha is unreachable" });
    expect(alerts[0]!.detail).toContain(`Last contact: ${t1.toISOString()}`);
    expect(contactOf(b, a.id)).toEqual(t1);

    // Still down a minute later: the same alert, refreshed, not a second one.
    b.clock.set(new Date("2026-11-24T12:07:00Z"));
    await heartbeatPrimaries(b.services);
    expect(activeAlerts(b)).toHaveLength(1);

    await a.start();
    b.clock.set(new Date("2026-11-24T12:08:00Z"));
    expect((await heartbeatPrimaries(b.services))[0]!.ok).toBe(true);
    expect(activeAlerts(b)).toEqual([]);
    expect(listAlerts(b.services.db, { limit: 5 })[0]).toMatchObject({ type: "primary-unreachable", active: false, resolvedBy: "system" });
  });

  it("the primary warns when its secondary goes quiet, hears the link's state with each heartbeat, and clears the warning when it is back", async () => {
    const { a, b } = await linkedPair();
    await b.admin().servers.configureSecondaryProtection({ primaryId: a.id, sourceIds: [], catalogEveryMinutes: 1440, replicaEveryMinutes: 60, catalogRetentionDays: 30, autoSwitch: false, graceMinutes: 15 });
    b.clock.set(new Date());
    await heartbeatPrimaries(b.services);
    // The primary's row of the link now says what the secondary does.
    expect(a.services.db.select().from(serverLinks).get()).toMatchObject({ replicaEveryMinutes: 60, catalogEveryMinutes: 1440, catalogRetentionDays: 30 });
    const heardAt = contactOf(a, b.id)!;
    watchSecondaries(a.services, new Date(heardAt.getTime() + 2 * 60_000));
    expect(activeAlerts(a)).toEqual([]);
    watchSecondaries(a.services, new Date(heardAt.getTime() + 4 * 60_000));
    expect(activeAlerts(a)).toMatchObject([{ severity: "warning", type: "secondary-quiet", title: "Secondary server bravo is not in contact" }]);
    await heartbeatPrimaries(b.services);
    watchSecondaries(a.services, contactOf(a, b.id)!);
    expect(activeAlerts(a)).toEqual([]);
  });

  it("a server without primaries sends nothing", async () => {
    const a = await peer("alpha");
    expect(await heartbeatPrimaries(a.services)).toEqual([]);
  });
});

describe("authenticated peer requests", () => {
  const heartbeat = (url: string, headers: Record<string, string>, body: Buffer) =>
    fetch(`${url}/peer-api/v1/heartbeat`, { method: "POST", headers: { ...headers, "content-type": "application/json" }, body: body as Uint8Array<ArrayBuffer> });

  it("refuses unsigned, forged, replayed, misdirected and expired requests with 401 and a logged reason; nothing changes", async () => {
    const { a, b } = await linkedPair();
    const before = contactOf(a, b.id);
    const body = Buffer.from(JSON.stringify({ time: new Date().toISOString() }));
    const bId = b.services.protection.identity();

    expect((await heartbeat(a.url, {}, body)).status).toBe(401);

    // Forged: a key A does not know, claiming B's key id.
    const { privateKey } = generateKeyPairSync("ed25519");
    const publicKey = createPublicKey(privateKey).export({ type: "spki", format: "der" }).toString("base64");
    const forger: Identity = { privateKey, publicKey, keyId: bId.keyId };
    expect((await heartbeat(a.url, signRequest(forger, "POST", "/peer-api/v1/heartbeat", body, a.id), body)).status).toBe(401);
    const stranger: Identity = { privateKey, publicKey, keyId: keyIdOf(publicKey) };
    expect((await heartbeat(a.url, signRequest(stranger, "POST", "/peer-api/v1/heartbeat", body, a.id), body)).status).toBe(401);

    // Misdirected: signed by B for another server.
    expect((await heartbeat(a.url, signRequest(bId, "POST", "/peer-api/v1/heartbeat", body, b.id), body)).status).toBe(401);
    // Expired.
    expect((await heartbeat(a.url, signRequest(bId, "POST", "/peer-api/v1/heartbeat", body, a.id, Date.now() - 10 * 60_000), body)).status).toBe(401);
    expect(contactOf(a, b.id)).toEqual(before);

    // Genuine once, then replayed.
    const headers = signRequest(bId, "POST", "/peer-api/v1/heartbeat", body, a.id);
    expect((await heartbeat(a.url, headers, body)).status).toBe(200);
    const replay = await heartbeat(a.url, headers, body);
    expect(replay.status).toBe(401);
    expect(((await replay.json()) as { error: string }).error).toMatch(/replayed/);

    expect(a.warnings.map((w) => (w.obj as { reason: string }).reason)).toEqual([
      "no signature",
      "bad signature",
      "unknown key (not paired with this peer)",
      "bad signature",
      "request time outside the accepted window (clock skew or replay)",
      "replayed request (nonce already used)",
    ]);
  });

  it("refuses a peer whose link is gone: a key alone does not open the API", async () => {
    const { a, b } = await linkedPair();
    a.services.db.delete(serverLinks).run();
    const body = Buffer.from("{}");
    expect((await heartbeat(a.url, signRequest(b.services.protection.identity(), "POST", "/peer-api/v1/heartbeat", body, a.id), body)).status).toBe(401);
    expect(primaryUnreachableKey(a.id)).toBe(`primary-unreachable:${a.id}`);
  });
});
