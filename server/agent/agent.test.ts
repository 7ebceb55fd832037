import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import type { AddressInfo } from "node:net";
import { randomBytes } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { ChunkStore } from "@/server/engine/chunk-store";
import { listManifestIds, newManifestId, readHeader, TreeWriter } from "@/server/engine/manifest";
import { AgentApi, agentSourceLabel, type PairedAgent } from "./agent-api";
import { AgentState, ProtectionAgent, startAgentServer, parseSourceSpec } from "./agent";
import { AgentClient, pairAgent, type SelfPeer } from "./agent-client";
import { encodeFrames, keyIdOf, loadOrCreateIdentity, signRequest, sha256 } from "./protocol";
import { ServerLink } from "./server-link";

const quiet = { info() {}, warn() {} };
const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});
const tmp = () => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), "custodian-agent-"));
  cleanup.push(() => fs.rmSync(d, { recursive: true, force: true }));
  return d;
};

/** A server side (pool + agent API on loopback) and an agent, both in this process. */
async function rig(name = "srv-a") {
  const serverDir = tmp();
  const store = ChunkStore.init(path.join(serverDir, "pool"));
  const identity = loadOrCreateIdentity(path.join(serverDir, "server-key.pem"));
  const paired = new Map<string, PairedAgent>();
  const api = new AgentApi({ store, serverId: name, directory: { byKeyId: (k) => paired.get(k) ?? null }, log: quiet });
  const httpServer = http.createServer((req, res) => void api.handle(req, res));
  await new Promise<void>((r) => httpServer.listen(0, "127.0.0.1", r));
  const url = `http://127.0.0.1:${(httpServer.address() as AddressInfo).port}`;
  cleanup.push(() => new Promise<void>((r) => { api.close(); httpServer.closeAllConnections(); httpServer.close(() => r()); }));
  const self: SelfPeer = { id: name, name, url, publicKey: identity.publicKey, identity };
  return { store, self, paired, url };
}

async function startAgent(sources: string[]) {
  const dir = tmp();
  const state = AgentState.open(dir, { name: "pc-1" });
  state.setSources(sources.map((s) => parseSourceSpec(s, "folder")));
  const token = state.issuePairingToken();
  const agent = new ProtectionAgent(state, quiet);
  const srv = await startAgentServer({ agent, host: "127.0.0.1", port: 0 });
  cleanup.push(() => srv.close());
  return { state, token, url: srv.url, dir };
}

function tree(root: string) {
  fs.mkdirSync(path.join(root, "sub"), { recursive: true });
  fs.writeFileSync(path.join(root, "a.txt"), "hello ".repeat(10_000));
  fs.writeFileSync(path.join(root, "sub", "b.bin"), randomBytes(300_000));
  fs.symlinkSync("a.txt", path.join(root, "link"));
}

async function pairRig() {
  const srv = await rig();
  const data = tmp();
  tree(data);
  const ag = await startAgent([`docs=${data}`]);
  const desc = await pairAgent(ag.url, ag.token, srv.self);
  srv.paired.set(keyIdOf(desc.publicKey), { id: desc.id, name: desc.name, publicKey: desc.publicKey });
  const client = new AgentClient({ id: desc.id, url: ag.url }, srv.self);
  return { srv, ag, data, desc, client };
}

describe("protection agent", () => {
  it("pairs once with its token, backs up through the server, uploads only missing chunks, and restores byte-identical", async () => {
    const { srv, ag, data, desc, client } = await pairRig();
    expect(desc.sources).toEqual([{ name: "docs", kind: "folder", path: data, present: true }]);
    // The token is spent.
    await expect(pairAgent(ag.url, ag.token, srv.self)).rejects.toThrow(/no pairing token/);

    let progressed = false;
    const first = await client.backup("docs", { onProgress: () => (progressed = true) });
    expect(first.stats).toMatchObject({ files: 2, dirs: 1, symlinks: 1 });
    expect(first.stats.newChunks).toBeGreaterThan(0);
    expect(progressed).toBe(true);
    const stored = readHeader(srv.store.dir, first.id);
    expect(stored.source).toBe(agentSourceLabel(desc.id, "docs"));

    const second = await client.backup("docs");
    expect(second.parent).toBe(first.id);
    expect(second.stats.newChunks).toBe(0); // nothing changed: nothing sent

    fs.appendFileSync(path.join(data, "a.txt"), "one more line\n");
    const third = await client.backup("docs");
    expect(third.stats.newChunks).toBeGreaterThan(0);
    expect(third.stats.newChunks).toBeLessThanOrEqual(3);

    const target = tmp();
    const report = await client.restore("docs", first.id, { target });
    expect(report.counts.failed).toBe(0);
    expect(fs.readFileSync(path.join(target, "sub", "b.bin")).equals(fs.readFileSync(path.join(data, "sub", "b.bin")))).toBe(true);
    expect(fs.readFileSync(path.join(target, "a.txt"), "utf8")).toBe("hello ".repeat(10_000));
    expect(fs.readlinkSync(path.join(target, "link"))).toBe("a.txt");
  });

  it("refuses unsigned, forged and replayed requests with 401 and does nothing", async () => {
    const { srv, ag, desc } = await pairRig();
    const before = fs.readFileSync(path.join(ag.dir, "agent.json"), "utf8");
    // No signature.
    const bare = await fetch(`${ag.url}/v1/backup`, { method: "POST", body: JSON.stringify({ source: "docs" }) });
    expect(bare.status).toBe(401);
    // Signed by a key the agent does not know.
    const stranger = loadOrCreateIdentity(path.join(tmp(), "k.pem"));
    const body = Buffer.from(JSON.stringify({ server: { id: "evil", name: "evil", url: "http://127.0.0.1:9", publicKey: stranger.publicKey } }));
    const forged = await fetch(`${ag.url}/v1/hand-over`, { method: "POST", body, headers: signRequest(stranger, "POST", "/v1/hand-over", body, desc.id) });
    expect(forged.status).toBe(401);
    // Signed by the owner, then replayed byte for byte.
    const okBody = Buffer.from("");
    const headers = signRequest(srv.self.identity, "GET", "/v1/sources", okBody, desc.id);
    expect((await fetch(`${ag.url}/v1/sources`, { headers })).status).toBe(200);
    expect((await fetch(`${ag.url}/v1/sources`, { headers })).status).toBe(401);
    // Signed for another agent (audience).
    const other = signRequest(srv.self.identity, "GET", "/v1/sources", okBody, "another-agent");
    expect((await fetch(`${ag.url}/v1/sources`, { headers: other })).status).toBe(401);
    expect(fs.readFileSync(path.join(ag.dir, "agent.json"), "utf8")).toBe(before);

    // The server's agent API likewise.
    const unsigned = await fetch(`${srv.url}/agent-api/v1/sessions`, { method: "POST", body: JSON.stringify({ source: "docs" }) });
    expect(unsigned.status).toBe(401);
    expect(fs.readdirSync(path.join(srv.store.dir, "locks"))).toEqual([]);
  });

  it("rejects a hostile upload: a chunk that does not match its id, and a tree with '..' or absolute names", async () => {
    const { srv, ag } = await pairRig();
    const agentIdentity = loadOrCreateIdentity(path.join(ag.dir, "agent-key.pem"));
    const link = new ServerLink({ id: srv.self.id, name: srv.self.name, url: srv.url, publicKey: srv.self.publicKey }, agentIdentity);
    const session = await link.beginBackup("docs");
    const base = `/agent-api/v1/sessions/${session.sessionId}`;
    const lie = encodeFrames([{ id: sha256("something else"), codec: "raw", rawLength: 5, stored: Buffer.from("hello") }]);
    const res = await fetch(`${srv.url}${base}/chunks`, { method: "POST", body: lie as Uint8Array<ArrayBuffer>, headers: signRequest(agentIdentity, "POST", `${base}/chunks`, lie, srv.self.id) });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toMatch(/do not match its id/);
    expect(srv.store.has(sha256("something else"))).toBe(false);

    for (const evil of ["../escape.txt", "/etc/passwd"]) {
      const s = await link.beginBackup("docs");
      const content = Buffer.from("payload");
      await s.putStored(sha256(content), content, content.length, "raw");
      const w = new TreeWriter(s);
      await w.add({ path: Buffer.from(evil), type: "file", mode: 0o644, uid: 0, gid: 0, mtimeMs: 0, size: content.length, ino: 1, ctimeMs: 0, chunks: [sha256(content)], hash: sha256(content) });
      const { tree: t, entryCount } = await w.finish();
      const header = { version: 2 as const, id: newManifestId(new Date()), time: new Date().toISOString(), source: "docs", parent: null, stats: { files: 1, dirs: 0, symlinks: 0, bytes: 7, newChunks: 0, newStoredBytes: 0 }, tree: t, entryCount };
      await expect(s.commit(header)).rejects.toThrow(/refused/);
    }
    expect(listManifestIds(srv.store.dir)).toEqual([]);
  });

  it("answers only its owner; the owner can hand it over, and a standby can take it (fencing the old owner)", async () => {
    const { srv, ag, desc, client } = await pairRig();
    const b = await rig("srv-b");
    b.paired.set(keyIdOf(desc.publicKey), { id: desc.id, name: desc.name, publicKey: desc.publicKey });
    const asB = new AgentClient({ id: desc.id, url: ag.url }, b.self);
    await expect(asB.describe()).rejects.toThrow(/401/);
    await expect(asB.takeOwnership()).rejects.toThrow(/401/); // not a standby yet

    await client.addStandby({ id: b.self.id, name: b.self.name, url: b.self.url, publicKey: b.self.publicKey });
    const taken = await asB.takeOwnership();
    expect(taken.owner).toEqual({ id: "srv-b", name: "srv-b" });
    await expect(client.describe()).rejects.toThrow(/does not own this agent/); // the old owner is fenced
    const rp = await asB.backup("docs");
    expect(listManifestIds(b.store.dir)).toEqual([rp.id]);

    // The old owner is now a standby: switching back is taking ownership again.
    expect(taken.standby).toEqual([{ id: srv.self.id, name: srv.self.name }]);
    expect((await client.takeOwnership()).owner).toEqual({ id: srv.self.id, name: srv.self.name });
    await expect(asB.describe()).rejects.toThrow(/does not own/);
  });

  it("drops a standby when its owner says so (a removed link): the dropped server can neither take ownership nor restore", async () => {
    const { ag, desc, client } = await pairRig();
    const b = await rig("srv-b");
    const asB = new AgentClient({ id: desc.id, url: ag.url }, b.self);
    await client.addStandby({ id: b.self.id, name: b.self.name, url: b.self.url, publicKey: b.self.publicKey });
    // Only the owner may drop a standby; a standby cannot drop itself or another.
    await expect(asB.removeStandby("srv-b")).rejects.toThrow(/does not own this agent/);
    expect((await client.removeStandby("srv-b")).standby).toEqual([]);
    expect(ag.state.standby).toEqual([]);
    expect((await client.removeStandby("srv-b")).standby).toEqual([]); // idempotent
    await expect(asB.takeOwnership()).rejects.toThrow(/401/);
    await expect(asB.restore("docs", "20260101T000000000Z-00000000", { target: tmp() })).rejects.toThrow(/401/);
  });

  it("burns the pairing token after repeated wrong guesses, and refuses a second owner", async () => {
    const srv = await rig();
    const ag = await startAgent([]);
    for (let i = 0; i < 5; i++) await expect(pairAgent(ag.url, "wrong-token", srv.self)).rejects.toThrow(/wrong pairing token/);
    await expect(pairAgent(ag.url, ag.token, srv.self)).rejects.toThrow(/no pairing token/);
    await pairAgent(ag.url, ag.state.issuePairingToken(), srv.self);
    const other = await rig("srv-b");
    await expect(pairAgent(ag.url, ag.state.issuePairingToken(), other.self)).rejects.toThrow(/already protected by server srv-a/);
  });
});
