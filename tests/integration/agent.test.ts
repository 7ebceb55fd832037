import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { randomBytes } from "node:crypto";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ApiClient, PROJECT_DIR, startAgent, startServer, type RunningAgent, type RunningServer } from "./serve-process";

// A real server and a real agent, talking HTTP on loopback: pairing, backups that send only
// what the server lacks, a restore compared byte for byte, and refusals of what is not signed.

const tmpDirs: string[] = [];
const tmpDir = () => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), "custodian-agent-it-"));
  tmpDirs.push(d);
  return d;
};

let server: RunningServer;
let agent: RunningAgent;
let admin: ApiClient;
let source: string;
let dbFile: string;

beforeAll(async () => {
  if (!fs.existsSync(path.join(PROJECT_DIR, process.env.CUSTODIAN_DIST_DIR || ".next", "BUILD_ID"))) throw new Error("Build the UI first (npm run build); npm test does it for you.");
  source = tmpDir();
  fs.mkdirSync(path.join(source, "reports", "2026"), { recursive: true });
  fs.writeFileSync(path.join(source, "reports", "2026", "q3.txt"), "revenue up\n".repeat(20_000));
  fs.writeFileSync(path.join(source, "photo.jpg"), randomBytes(700_000));
  fs.writeFileSync(path.join(source, Buffer.from([0x6e, 0xff, 0x2e, 0x74]).toString("latin1")), "odd name");
  fs.symlinkSync("reports/2026/q3.txt", path.join(source, "latest-report"));
  dbFile = path.join(tmpDir(), "app.db");
  const db = new Database(dbFile);
  db.exec("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT); PRAGMA journal_mode = WAL;");
  const ins = db.prepare("INSERT INTO t (v) VALUES (?)");
  for (let i = 0; i < 2000; i++) ins.run(`row ${i}`);
  db.close();

  [server, agent] = await Promise.all([startServer(["--data", tmpDir(), "--no-demo"]), startAgent(["--data", tmpDir(), "--name", "file-server-1", "--folder", `files=${source}`, "--sqlite", `appdb=${dbFile}`])]);
  admin = new ApiClient(server.url);
  const setup = await admin.call("auth.setup", { username: "admin", password: "correct horse battery", displayName: "Admin" });
  expect(setup.error).toBeUndefined();
  const login = await admin.call("auth.login", { username: "admin", password: "correct horse battery" });
  expect(login.error).toBeUndefined();
}, 90_000);

afterAll(async () => {
  await Promise.all([server?.stop(), agent?.stop()]);
  tmpDirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true }));
});

describe("agent and server, as real processes", () => {
  let agentId: string;

  it("refuses a wrong pairing token, then pairs with the right one exactly once", async () => {
    const wrong = await admin.call("agents.pair", { url: agent.url, token: "not-the-token-at-all" });
    expect(wrong.error?.data.code).toBe("FORBIDDEN");
    const ok = await admin.call("agents.pair", { url: agent.url, token: agent.token });
    expect(ok.error).toBeUndefined();
    const paired = ok.data as { agentId: string; name: string; sources: { name: string }[] };
    expect(paired.name).toBe("file-server-1");
    expect(paired.sources.map((s) => s.name)).toEqual(["files", "appdb"]);
    agentId = paired.agentId;
    const again = await admin.call("agents.pair", { url: agent.url, token: agent.token });
    expect(again.error?.data.code).toBe("FORBIDDEN");
    const list = await admin.call("agents.list", undefined, "query");
    expect((list.data as { name: string; builtIn: boolean }[]).map((a) => [a.name, a.builtIn])).toContainEqual(["file-server-1", false]);
  });

  it("backs up a folder through the agent, sends nothing when nothing changed, and restores it byte-identical elsewhere", async () => {
    const first = await admin.call("agents.backupNow", { agentId, source: "files" });
    expect(first.error).toBeUndefined();
    const h1 = first.data as { id: string; stats: { files: number; newChunks: number } };
    expect(h1.stats.files).toBe(3);
    const second = await admin.call("agents.backupNow", { agentId, source: "files" });
    expect((second.data as { stats: { newChunks: number } }).stats.newChunks).toBe(0);

    const points = await admin.call("agents.recoveryPoints", { agentId, source: "files" }, "query");
    expect((points.data as { id: string }[]).length).toBe(2);

    const target = tmpDir();
    const restored = await admin.call("agents.restoreNow", { agentId, source: "files", recoveryPoint: h1.id, target, existing: "overwrite" });
    expect(restored.error).toBeUndefined();
    expect((restored.data as { counts: Record<string, number> }).counts.failed).toBe(0);
    for (const rel of [path.join("reports", "2026", "q3.txt"), "photo.jpg", Buffer.from([0x6e, 0xff, 0x2e, 0x74]).toString("latin1")]) {
      expect(fs.readFileSync(path.join(target, rel)).equals(fs.readFileSync(path.join(source, rel)))).toBe(true);
    }
    expect(fs.readlinkSync(path.join(target, "latest-report"))).toBe("reports/2026/q3.txt");
  });

  it("captures a SQLite database consistently and restores it to an alternate folder", async () => {
    const r = await admin.call("agents.backupNow", { agentId, source: "appdb" });
    expect(r.error).toBeUndefined();
    const h = r.data as { id: string };
    const target = tmpDir();
    const restored = await admin.call("agents.restoreNow", { agentId, source: "appdb", recoveryPoint: h.id, target });
    expect(restored.error).toBeUndefined();
    const copy = new Database(path.join(target, "app.db"), { readonly: true });
    expect(copy.prepare("SELECT count(*) AS n FROM t").get()).toEqual({ n: 2000 });
    expect(copy.pragma("integrity_check", { simple: true })).toBe("ok");
    copy.close();
  });

  it("refuses unsigned requests on both sides with 401", async () => {
    const toAgent = await fetch(`${agent.url}/v1/backup`, { method: "POST", body: JSON.stringify({ source: "files" }) });
    expect(toAgent.status).toBe(401);
    const toServer = await fetch(`${server.url}/agent-api/v1/sessions`, { method: "POST", body: JSON.stringify({ source: "files" }) });
    expect(toServer.status).toBe(401);
  });
});
