import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { createPublicKey, generateKeyPairSync } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { keyIdOf, loadOrCreateIdentity, signRequest, type Identity } from "@/server/agent/protocol";
import { ApiClient, PROJECT_DIR, startServer, type RunningServer } from "./serve-process";

/** Three real servers on loopback: A, B (A's secondary) and C (B's secondary, so A → B → C). */
const tmpDirs: string[] = [];
function tmpDir() {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), "custodian-peer-"));
  tmpDirs.push(d);
  return d;
}

interface Node {
  name: string;
  dir: string;
  server: RunningServer;
  api: ApiClient;
  id: string;
}

async function startNode(name: string, dir = tmpDir(), port?: number): Promise<Node> {
  const server = await startServer(["--data", dir, "--no-demo", "--name", name, ...(port ? ["--port", String(port)] : [])]);
  const api = new ApiClient(server.url);
  const first = await api.call("auth.setup", { username: "admin", password: "correct horse battery", displayName: "Admin" });
  if (first.error && !/already/i.test(first.error.message)) throw new Error(first.error.message);
  const login = await api.call("auth.login", { username: "admin", password: "correct horse battery" });
  expect(login.error).toBeUndefined();
  const list = (await api.call("servers.list", undefined, "query")).data as { id: string; isSelf: boolean }[];
  return { name, dir, server, api, id: list.find((s) => s.isSelf)!.id };
}

let a: Node;
let b: Node;
let c: Node;

beforeAll(async () => {
  if (!fs.existsSync(path.join(PROJECT_DIR, process.env.CUSTODIAN_DIST_DIR || ".next", "BUILD_ID"))) throw new Error("Build the UI first (npm run build); npm test does it for you.");
  [a, b, c] = await Promise.all([startNode("alpha"), startNode("bravo"), startNode("charlie")]);
}, 120_000);

afterAll(async () => {
  await Promise.all([a, b, c].map((n) => (n?.server.child.exitCode === null ? n.server.stop() : undefined)));
  tmpDirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true }));
});

const token = async (n: Node) => ((await n.api.call("servers.createEnrolmentToken")).data as { token: string }).token;
const names = async (n: Node) =>
  ((await n.api.call("servers.list", undefined, "query")).data as { name: string; isSelf: boolean; isPrimary: boolean; isSecondary: boolean }[]).map((s) => [s.name, s.isSelf ? "self" : s.isPrimary ? "primary" : s.isSecondary ? "secondary" : "-"]);

const activeUnreachable = async (n: Node) =>
  (await n.api.call("monitoring.alerts", { active: true, type: "primary-unreachable", limit: 50 }, "query")).data as { severity: string; type: string; detail: string; title: string }[];

async function heartbeat(url: string, headers: Record<string, string>, body: Buffer) {
  return fetch(`${url}/peer-api/v1/heartbeat`, { method: "POST", headers: { ...headers, "content-type": "application/json" }, body: body as Uint8Array<ArrayBuffer> });
}

describe("servers peering as real processes", () => {
  it("links B to A with A's one-time token: both list each other; the token does not work twice; a wrong token is refused", async () => {
    const t = await token(a);
    const ok = await b.api.call("servers.linkPrimary", { url: a.server.url, token: t });
    expect(ok.error).toBeUndefined();
    expect(await names(a)).toEqual([
      ["alpha", "self"],
      ["bravo", "secondary"],
    ]);
    expect(await names(b)).toEqual([
      ["bravo", "self"],
      ["alpha", "primary"],
    ]);
    const again = await c.api.call("servers.linkPrimary", { url: a.server.url, token: t });
    expect(again.error?.data.code).toBe("FORBIDDEN");
    expect(again.error?.message).toMatch(/no enrolment token is pending/);
    await token(a);
    const wrong = await c.api.call("servers.linkPrimary", { url: a.server.url, token: "this-is-not-the-token-0123456789" });
    expect(wrong.error?.data.code).toBe("FORBIDDEN");
    expect(wrong.error?.message).toMatch(/wrong enrolment token/);
  });

  it("refuses forged and replayed requests to the peer API with 401", async () => {
    const body = Buffer.from(JSON.stringify({ time: new Date().toISOString() }));
    const { privateKey } = generateKeyPairSync("ed25519");
    const publicKey = createPublicKey(privateKey).export({ type: "spki", format: "der" }).toString("base64");
    const forger: Identity = { privateKey, publicKey, keyId: keyIdOf(publicKey) };
    const forged = await heartbeat(a.server.url, signRequest(forger, "POST", "/peer-api/v1/heartbeat", body, a.id), body);
    expect(forged.status).toBe(401);

    const bIdentity = loadOrCreateIdentity(path.join(b.dir, "secrets", "server-key.pem"));
    const headers = signRequest(bIdentity, "POST", "/peer-api/v1/heartbeat", body, a.id);
    expect((await heartbeat(a.server.url, headers, body)).status).toBe(200);
    const replayed = await heartbeat(a.server.url, headers, body);
    expect(replayed.status).toBe(401);
    expect(((await replayed.json()) as { error: string }).error).toMatch(/replayed/);
  });

  it("builds the chain A → B → C and refuses C as A's direct secondary, naming the rule", async () => {
    const ok = await c.api.call("servers.linkPrimary", { url: b.server.url, token: await token(b) });
    expect(ok.error).toBeUndefined();
    const refused = await c.api.call("servers.linkPrimary", { url: a.server.url, token: await token(a) });
    expect(refused.error?.data.code).toBe("CONFLICT");
    expect(refused.error?.message).toMatch(/rule: one-protector/);
    expect(refused.error?.message).toMatch(/rule: indirect-and-direct/);
    const topology = (await b.api.call("servers.topology", undefined, "query")).data as { nodes: { name: string; roles: string[] }[]; edges: unknown[] };
    expect(topology.nodes.map((n) => [n.name, n.roles])).toEqual([
      ["bravo", ["self"]],
      ["alpha", ["primary"]],
      ["charlie", ["secondary"]],
    ]);
    expect(topology.edges).toHaveLength(2);

    // A mutual pair inside the chain: B also protects C, which protects B.
    const mutual = await b.api.call("servers.linkPrimary", { url: c.server.url, token: await token(c) });
    expect(mutual.error).toBeUndefined();
    const both = (await b.api.call("servers.topology", undefined, "query")).data as { nodes: { name: string; roles: string[] }[]; edges: { primary: string; secondary: string }[] };
    expect(both.nodes.find((n) => n.name === "charlie")!.roles.sort()).toEqual(["primary", "secondary"]);
    expect(both.edges).toHaveLength(3);
    // And A still cannot take C as its secondary, nor C protect A: each server has one protector.
    const third = await c.api.call("servers.linkPrimary", { url: a.server.url, token: await token(a) });
    expect(third.error?.message).toMatch(/rule: one-protector/);
  });

  it("raises a critical alert when the primary stops answering heartbeats, with the last contact, and resolves it when it is back", async () => {
    type Beat = { name: string; ok: boolean; lastContactAt: string };
    const ofAlpha = (beats: unknown) => (beats as Beat[]).find((x) => x.name === "alpha")!;
    const first = (await b.api.call("servers.heartbeatNow")).data as Beat[];
    expect(first.map((x) => [x.name, x.ok]).sort()).toEqual([
      ["alpha", true],
      ["charlie", true],
    ]); // B's primaries: A, and C in the mutual pair
    const lastContact = ofAlpha(first).lastContactAt;

    const port = Number(new URL(a.server.url).port);
    expect(await a.server.stop("SIGTERM")).toBe(0);
    const down = (await b.api.call("servers.heartbeatNow")).data;
    expect(ofAlpha(down).ok).toBe(false);
    const unreachable = await activeUnreachable(b);
    expect(unreachable).toHaveLength(1);
    expect(unreachable[0]).toMatchObject({ severity: "critical", title: "Primary server alpha is unreachable" });
    expect(unreachable[0]!.detail).toContain(`Last contact: ${new Date(lastContact).toISOString()}`);

    a = await startNode("alpha", a.dir, port);
    const back = (await b.api.call("servers.heartbeatNow")).data;
    expect(ofAlpha(back).ok).toBe(true);
    expect(await activeUnreachable(b)).toEqual([]);
  }, 90_000);
});
