import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ApiClient, PROJECT_DIR, runCli, startServer, type RunningServer } from "./serve-process";

const tmpDirs: string[] = [];
function tmpDir() {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), "custodian-it-"));
  tmpDirs.push(d);
  return d;
}
afterAll(() => tmpDirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

function demoPasswords(dataDir: string): Record<string, string> {
  const text = fs.readFileSync(path.join(dataDir, "initial-passwords.txt"), "utf8");
  return Object.fromEntries(text.split("\n").filter((l) => l && !l.startsWith("#")).map((l) => [l.split("\t")[0], l.split("\t")[2]]));
}

beforeAll(() => {
  if (!fs.existsSync(path.join(PROJECT_DIR, process.env.CUSTODIAN_DIST_DIR || ".next", "BUILD_ID"))) throw new Error("Build the UI first (npm run build); npm test does it for you.");
});

describe("custodian CLI", () => {
  it("prints help for the command and for serve", async () => {
    const top = await runCli(["--help"]);
    expect(top.code).toBe(0);
    expect(top.stdout).toMatch(/serve/);
    const serve = await runCli(["serve", "--help"]);
    expect(serve.code).toBe(0);
    for (const flag of ["--data", "--port", "--host", "--name", "--demo", "--no-demo"]) expect(serve.stdout).toContain(flag);
  });

  it("refuses bad options with a clear message and exit code 2", async () => {
    const r = await runCli(["serve", "--data", tmpDir(), "--port", "99999"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/port/i);
    const unknown = await runCli(["frobnicate"]);
    expect(unknown.code).toBe(2);
  });
});

describe("catalog safety at start-up", () => {
  it("refuses a corrupt catalog, names the file, and leaves it untouched", async () => {
    const dir = tmpDir();
    const file = path.join(dir, "catalog.db");
    const garbage = Buffer.from("this is not a database, but it is someone's data".repeat(100));
    fs.writeFileSync(file, garbage);
    const r = await runCli(["serve", "--data", dir, "--port", "0"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(file);
    expect(r.stderr).toMatch(/not a SQLite database/);
    expect(fs.readFileSync(file).equals(garbage)).toBe(true);
  });

  it("refuses a catalog written by a newer version", async () => {
    const dir = tmpDir();
    const server = await startServer(["--data", dir, "--no-demo"]);
    expect(await server.stop()).toBe(0);
    const db = new Database(path.join(dir, "catalog.db"));
    db.prepare("INSERT INTO __drizzle_migrations (hash, created_at) VALUES ('future', 9999999999999)").run();
    db.close();
    const r = await runCli(["serve", "--data", dir, "--port", "0"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/newer version of Custodian/);
    expect(r.stderr).toContain(path.join(dir, "catalog.db"));
  });
});

describe("a running server", () => {
  let dir: string;
  let server: RunningServer;
  beforeAll(async () => {
    dir = tmpDir();
    server = await startServer(["--data", dir, "--demo", "--name", "it-server"]);
  }, 90_000);
  afterAll(async () => {
    if (server.child.exitCode === null) await server.stop();
  });

  it("prints the demo users and keeps their passwords in an owner-only file", () => {
    const file = path.join(dir, "initial-passwords.txt");
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    const passwords = demoPasswords(dir);
    expect(Object.keys(passwords).sort()).toEqual(["admin", "helpdesk", "manager", "tape"]);
    for (const p of Object.values(passwords)) expect(server.output()).toContain(p);
  });

  it("answers health checks and serves the UI with a 404 page for unknown paths", async () => {
    expect(await (await fetch(`${server.url}/healthz`)).json()).toEqual({ status: "ok", server: "it-server" });
    const login = await fetch(`${server.url}/login`);
    expect(login.status).toBe(200);
    expect(login.headers.get("x-frame-options")).toBe("DENY");
    const missing = await fetch(`${server.url}/no/such/page`);
    expect(missing.status).toBe(404);
    expect(await missing.text()).toContain("This page does not exist");
  });

  it("sets an httpOnly SameSite session cookie and enforces roles over HTTP", async () => {
    const passwords = demoPasswords(dir);
    const helpdesk = new ApiClient(server.url);
    const res = await fetch(`${server.url}/api/trpc/auth.login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ json: { username: "helpdesk", password: passwords.helpdesk } }),
    });
    const cookie = res.headers.get("set-cookie") ?? "";
    expect(cookie).toMatch(/custodian_session=/);
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Lax/i);
    helpdesk.cookie = cookie.split(";")[0]!;

    const forbidden = await helpdesk.call("users.create", { username: "intruder", role: "admin", password: "0123456789abc" });
    expect(forbidden.status).toBe(403);
    expect(forbidden.error?.data.code).toBe("FORBIDDEN");

    const admin = new ApiClient(server.url);
    await admin.call("auth.login", { username: "admin", password: passwords.admin });
    const list = await admin.call("users.list", undefined, "query");
    expect((list.data as { username: string }[]).map((u) => u.username)).not.toContain("intruder");
  });

  it("refuses API writes from another site's pages", async () => {
    const res = await fetch(`${server.url}/api/trpc/auth.login`, {
      method: "POST",
      headers: { "content-type": "application/json", origin: "http://evil.example" },
      body: JSON.stringify({ json: { username: "admin", password: demoPasswords(dir).admin } }),
    });
    expect(res.status).toBe(403);
    expect(res.headers.get("set-cookie")).toBeNull();
  });

  it("answers bad input with per-field messages and never with a stack trace", async () => {
    const admin = new ApiClient(server.url);
    await admin.call("auth.login", { username: "admin", password: demoPasswords(dir).admin });
    const bad = await admin.call("users.create", { username: "Bad Name", role: "root", password: "x" });
    expect(bad.status).toBe(400);
    const fields = bad.error?.data.fieldErrors as Record<string, string[]>;
    expect(Object.keys(fields).sort()).toEqual(["password", "role", "username"]);
    expect(JSON.stringify(bad.error)).not.toMatch(/stack|\.ts:\d+/);
  });

  it("stops cleanly on SIGTERM and keeps the demo users across a restart", async () => {
    const before = demoPasswords(dir);
    expect(await server.stop("SIGTERM")).toBe(0);
    server = await startServer(["--data", dir, "--demo", "--name", "it-server"]);
    expect(demoPasswords(dir)).toEqual(before);
    const api = new ApiClient(server.url);
    const login = await api.call("auth.login", { username: "manager", password: before.manager });
    expect(login.status).toBe(200);
  }, 90_000);
});
