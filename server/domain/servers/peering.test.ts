import { describe, expect, it } from "vitest";
import { peerEnrolmentTokens, serverLinks, servers } from "@/db/schema";
import { errorOf } from "@/server/testing/test-services";
import { PEER_PROTOCOL_VERSION } from "@/server/peer/peer-protocol";
import { selfDescription } from "./peering";
import { testPeers, type TestPeer } from "./peer-test-helpers";

const peer = testPeers();

const link = async (secondary: TestPeer, primary: TestPeer, token?: string) =>
  secondary.admin().servers.linkPrimary({ url: primary.url, token: token ?? (await primary.admin().servers.createEnrolmentToken()).token });

describe("enrolment with a one-time token", () => {
  it("links a secondary to its primary: both record the other by its public key, and only the token's hash is kept", async () => {
    const a = await peer("alpha");
    const b = await peer("bravo");
    const { token, expiresAt } = await a.admin().servers.createEnrolmentToken();
    expect(expiresAt.getTime() - a.clock.now().getTime()).toBe(24 * 3600_000);
    const r = await b.admin().servers.linkPrimary({ url: a.url, token });
    expect(r.primary).toEqual({ id: a.id, name: "alpha", url: a.url });

    const onA = await a.manager().servers.list();
    expect(onA.map((s) => [s.name, s.isSelf, s.isPrimary, s.isSecondary])).toEqual([
      ["alpha", true, false, false],
      ["bravo", false, false, true],
    ]);
    const onB = await b.manager().servers.list();
    expect(onB.map((s) => [s.name, s.isSelf, s.isPrimary, s.isSecondary])).toEqual([
      ["bravo", true, false, false],
      ["alpha", false, true, false],
    ]);
    expect(a.services.db.select().from(servers).all().find((s) => s.id === b.id)?.publicKey).toBe(b.services.protection.identity().publicKey);
    expect(b.services.db.select().from(servers).all().find((s) => s.id === a.id)?.publicKey).toBe(a.services.protection.identity().publicKey);

    const stored = JSON.stringify(a.services.db.select().from(peerEnrolmentTokens).all());
    expect(stored).not.toContain(token);
    expect(a.services.db.select().from(peerEnrolmentTokens).get()).toMatchObject({ closedReason: "used", usedByServerId: b.id });
  });

  it("refuses a spent token, a wrong one, and burns the pending token after five wrong tries", async () => {
    const a = await peer("alpha");
    const b = await peer("bravo");
    const c = await peer("charlie");
    const { token } = await a.admin().servers.createEnrolmentToken();
    await link(b, a, token);
    const reused = await errorOf(link(c, a, token));
    expect(reused.code).toBe("FORBIDDEN");
    expect(reused.message).toMatch(/no enrolment token is pending/);

    const fresh = (await a.admin().servers.createEnrolmentToken()).token;
    for (let i = 1; i <= 5; i++) {
      const e = await errorOf(link(c, a, "x".repeat(32)));
      expect(e.code).toBe("FORBIDDEN");
      expect(e.message).toMatch(i < 5 ? /wrong enrolment token$/ : /burnt/);
    }
    expect((await errorOf(link(c, a, fresh))).message).toMatch(/no enrolment token is pending/);
    expect(c.services.db.select().from(serverLinks).all()).toEqual([]);
  });

  it("refuses an expired token, and a new token replaces the pending one", async () => {
    const a = await peer("alpha");
    const b = await peer("bravo");
    const old = (await a.admin().servers.createEnrolmentToken()).token;
    const current = (await a.admin().servers.createEnrolmentToken()).token;
    expect((await errorOf(link(b, a, old))).code).toBe("FORBIDDEN");
    a.clock.advance(24 * 3600_000 + 1);
    expect((await errorOf(link(b, a, current))).message).toMatch(/no enrolment token is pending/);
  });

  it("refuses another protocol version with both versions named", async () => {
    const a = await peer("alpha");
    const b = await peer("bravo");
    const { token } = await a.admin().servers.createEnrolmentToken();
    const res = await fetch(`${a.url}/peer-api/v1/enrol`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ protocol: PEER_PROTOCOL_VERSION + 1, token, server: { ...selfDescription(b.services), protocol: PEER_PROTOCOL_VERSION + 1 }, topology: { servers: [], links: [] } }),
    });
    expect(res.status).toBe(409);
    expect(((await res.json()) as { error: string }).error).toBe(`this server speaks peer protocol ${PEER_PROTOCOL_VERSION}, the other ${PEER_PROTOCOL_VERSION + 1}; upgrade the older server so both run the same release`);
    // The token is not spent by a refused attempt.
    await link(b, a, token);
  });
});

describe("topology rules on every link", () => {
  it("refuses a secondary of another release (same-version) and leaves the token pending", async () => {
    const a = await peer("alpha");
    const b = await peer("bravo");
    const { token } = await a.admin().servers.createEnrolmentToken();
    const res = await fetch(`${a.url}/peer-api/v1/enrol`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ protocol: PEER_PROTOCOL_VERSION, token, server: { ...selfDescription(b.services), version: "9.9.9" }, topology: { servers: [], links: [] } }),
    });
    expect(res.status).toBe(409);
    const refusal = (await res.json()) as { error: string; rules: string[] };
    expect(refusal.rules).toEqual(["same-version"]);
    expect(refusal.error).toMatch(/9\.9\.9/);
    expect(a.services.db.select().from(serverLinks).all()).toEqual([]);
    await link(b, a, token);
  });

  it("builds a chain A → B → C, refuses C as A's direct secondary naming the rules, and allows a mutual pair", async () => {
    const a = await peer("alpha");
    const b = await peer("bravo");
    const c = await peer("charlie");
    await link(b, a);
    await link(c, b);
    const refused = await errorOf(link(c, a));
    expect(refused.code).toBe("CONFLICT");
    expect(refused.message).toMatch(/rule: one-protector/);
    expect(refused.message).toMatch(/rule: indirect-and-direct/);
    expect(refused.message).toContain("alpha → bravo → charlie");
    expect(a.services.db.select().from(serverLinks).all()).toHaveLength(1);
    expect(c.services.db.select().from(serverLinks).all()).toHaveLength(1);

    const graph = await b.manager().servers.topology();
    expect(graph.nodes.map((n) => [n.name, n.roles])).toEqual([
      ["bravo", ["self"]],
      ["alpha", ["primary"]],
      ["charlie", ["secondary"]],
    ]);
    expect(graph.edges.map((e) => [e.primary, e.secondary])).toEqual([
      [a.id, b.id],
      [b.id, c.id],
    ]);
    expect(graph.edges.every((e) => e.lastContactAt instanceof Date)).toBe(true);
    // B already has its secondary, so A cannot protect B too.
    expect((await errorOf(link(a, b))).message).toMatch(/bravo is already protected by charlie.*rule: one-protector/);
  });

  it("allows a mutual pair", async () => {
    const a = await peer("alpha");
    const b = await peer("bravo");
    await link(b, a);
    await link(a, b);
    const graph = await a.manager().servers.topology();
    expect(graph.nodes.find((n) => n.id === b.id)?.roles.sort()).toEqual(["primary", "secondary"]);
    expect(graph.edges).toHaveLength(2);
  });

  it("refuses a second secondary on the primary's side, and a duplicate link on the secondary's", async () => {
    const a = await peer("alpha");
    const b = await peer("bravo");
    const c = await peer("charlie");
    await link(b, a);
    expect((await errorOf(link(c, a))).message).toMatch(/alpha is already protected by bravo.*rule: one-protector/);
    const dup = await errorOf(link(b, a));
    expect(dup.message).toMatch(/rule: duplicate-link/);
  });

  it("refuses self-protection", async () => {
    const a = await peer("alpha");
    const e = await errorOf(link(a, a));
    expect(e.message).toMatch(/rule: self-protection/);
  });
});
