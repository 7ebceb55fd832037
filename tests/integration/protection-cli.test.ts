import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { defaultShortTermPolicy } from "@/server/domain/protection/short-term-policy";
import { ApiClient, PROJECT_DIR, runCli, startAgent, startServer, type RunningAgent, type RunningServer } from "./serve-process";

// The DPM-shell-style listings (`custodian recovery-points|jobs|alerts|protection-groups
// list`) read the catalog of a running server: a real server and agent, a group made through
// the API, its recovery point, a restore; then each command, while the server runs.

const tmpDirs: string[] = [];
const tmpDir = () => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), "custodian-protection-cli-"));
  tmpDirs.push(d);
  return d;
};

let server: RunningServer;
let agent: RunningAgent;
let admin: ApiClient;
let dataDir: string;
let sourceDir: string;
let sourceId: number;
let groupId: number;
let restoreTarget: string;
let recoveryPointTime: string;

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

interface Job {
  id: number;
  type: string;
  state: string;
  trigger: string;
}

async function jobEnded(id: number): Promise<Job> {
  return waitFor(`job ${id} to end`, async () => {
    const j = (await admin.call("monitoring.job", { id }, "query")).data as Job;
    return ["succeeded", "failed", "cancelled"].includes(j.state) ? j : undefined;
  });
}

/** Runs a listing on the server's data directory and parses its JSON. */
async function list<T = Record<string, unknown>>(args: string[]): Promise<T[]> {
  const r = await runCli([...args, "--data", dataDir, "--json"]);
  expect(r.stderr).toBe("");
  expect(r.code).toBe(0);
  const parsed = JSON.parse(r.stdout) as T[];
  expect(Array.isArray(parsed)).toBe(true);
  return parsed;
}

beforeAll(async () => {
  if (!fs.existsSync(path.join(PROJECT_DIR, process.env.CUSTODIAN_DIST_DIR || ".next", "BUILD_ID"))) throw new Error("Build the UI first (npm run build); npm test does it for you.");
  sourceDir = tmpDir();
  fs.mkdirSync(path.join(sourceDir, "reports"));
  fs.writeFileSync(path.join(sourceDir, "reports", "q3.txt"), "revenue up\n".repeat(5_000));
  fs.writeFileSync(path.join(sourceDir, "notes.md"), "# notes\n");
  dataDir = tmpDir();
  [server, agent] = await Promise.all([startServer(["--data", dataDir, "--no-demo"]), startAgent(["--data", tmpDir(), "--name", "file-server-1", "--folder", `docs=${sourceDir}`])]);
  admin = new ApiClient(server.url);
  expect((await admin.call("auth.setup", { username: "admin", password: "correct horse battery", displayName: "Admin" })).error).toBeUndefined();
  expect((await admin.call("auth.login", { username: "admin", password: "correct horse battery" })).error).toBeUndefined();
  expect((await admin.call("agents.pair", { url: agent.url, token: agent.token })).error).toBeUndefined();

  const computers = (await admin.call("protection.refreshSources")).data as { name: string; sources: { id: number; name: string }[] }[];
  sourceId = computers.find((c) => c.name === "file-server-1")!.sources.find((s) => s.name === "docs")!.id;
  // The schedule stays hours away, so that no scheduled job joins the ones the test expects.
  const at = new Date(Date.now() + 6 * 3600_000);
  recoveryPointTime = `${String(at.getHours()).padStart(2, "0")}:${String(at.getMinutes()).padStart(2, "0")}`;
  const policy = { ...defaultShortTermPolicy({ hasDatabases: false }), synchronization: { justBeforeRecoveryPoint: true }, recoveryPoints: { days: ["mon", "tue", "wed", "thu", "fri", "sat", "sun"], times: [recoveryPointTime] } };
  const created = await admin.call("protection.createGroup", { name: "File servers", policy, members: [sourceId] });
  expect(created.error).toBeUndefined();
  groupId = (created.data as { id: number }).id;
  const jobs = (await admin.call("monitoring.jobs", { groupId, limit: 5 }, "query")).data as Job[];
  expect((await jobEnded(jobs[0]!.id)).state).toBe("succeeded");

  // A restore to another folder: a second job type, and an informational alert.
  const rp = ((await admin.call("recovery.recoveryPoints", { dataSourceId: sourceId }, "query")).data as { id: number }[])[0]!;
  restoreTarget = path.join(tmpDir(), "restored");
  const restore = await admin.call("recovery.restore", { dataSourceId: sourceId, recoveryPointId: rp.id, target: restoreTarget });
  expect(restore.error).toBeUndefined();
  expect((await jobEnded((restore.data as { jobId: number }).jobId)).state).toBe("succeeded");
}, 120_000);

afterAll(async () => {
  await Promise.all([server?.stop(), agent?.stop()]);
  tmpDirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true }));
});

describe("catalog listings beside a running server", () => {
  it("protection-groups list: the group, its policy, and its member with its recovery point", async () => {
    const groups = await list<{ id: number; name: string; health: string; policy: { retentionDays: number }; members: Record<string, unknown>[] }>(["protection-groups", "list"]);
    expect(groups).toHaveLength(1);
    expect(groups[0]).toMatchObject({ id: groupId, name: "File servers", health: "ok", policy: { retentionDays: 5 } });
    expect(groups[0]!.members).toEqual([
      expect.objectContaining({ id: sourceId, name: "docs", kind: "folder", path: sourceDir, computer: "file-server-1", replicaState: "ok", recoveryPoints: 1, health: "ok" }),
    ]);

    const human = await runCli(["protection-groups", "list", "--data", dataDir]);
    expect(human.code).toBe(0);
    const [header, row, ...rest] = human.stdout.trimEnd().split("\n");
    expect(rest).toEqual([]);
    expect(header).toMatch(/^ID\s+NAME\s+HEALTH\s+RETENTION\s+SYNCHRONIZATION/);
    expect(row).toMatch(new RegExp(`^\\s*${groupId}\\s+File servers\\s+ok\\s+5 days\\s+just before a recovery point\\s+${recoveryPointTime} daily\\s+24 h`));
    expect(row).toContain(`file-server-1: docs (id ${sourceId}, replica ok)`);
    // Columns line up: each header starts where its column starts.
    expect(row!.indexOf("ok")).toBe(header!.indexOf("HEALTH"));
  });

  it("recovery-points list: the recovery point the group made, filtered by source, computer and time", async () => {
    const all = await list<Record<string, unknown>>(["recovery-points", "list"]);
    expect(all).toHaveLength(1);
    const rp = all[0]!;
    expect(rp).toMatchObject({ dataSourceId: sourceId, source: "docs", sourceKind: "folder", path: sourceDir, computer: "file-server-1", group: "File servers", kind: "incremental", files: 2 });
    expect(rp.sizeBytes).toBe(fs.statSync(path.join(sourceDir, "reports", "q3.txt")).size + fs.statSync(path.join(sourceDir, "notes.md")).size);
    expect(rp.manifestId).toMatch(/^\d{8}T\d{9}Z-[0-9a-f]{8}$/);
    expect(new Date(rp.createdAt as string).getTime()).toBeLessThanOrEqual(Date.now());

    const [bySource, byComputer, sinceBefore, sinceAfter, unknown, human] = await Promise.all([
      list(["recovery-points", "list", "--source", String(sourceId)]),
      list(["recovery-points", "list", "--computer", "file-server-1"]),
      list(["recovery-points", "list", "--since", new Date(Date.now() - 3600_000).toISOString()]),
      list(["recovery-points", "list", "--since", new Date(Date.now() + 3600_000).toISOString()]),
      runCli(["recovery-points", "list", "--data", dataDir, "--computer", "nowhere"]),
      runCli(["recovery-points", "list", "--data", dataDir]),
    ]);
    expect(bySource.map((r) => r.id)).toEqual([rp.id]);
    expect(byComputer.map((r) => r.id)).toEqual([rp.id]);
    expect(sinceBefore.map((r) => r.id)).toEqual([rp.id]);
    expect(sinceAfter).toEqual([]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/no protected computer named "nowhere".*file-server-1/);
    expect(human.stdout).toMatch(new RegExp(`^\\s*${rp.id}\\s+\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d\\s+file-server-1\\s+docs\\s+${sourceId}\\s+incremental\\s+2\\s`, "m"));
  });

  it("jobs list: the initial replica and the restore, succeeded, with filters", async () => {
    const jobs = await list<Record<string, unknown>>(["jobs", "list"]);
    expect(jobs.map((j) => [j.type, j.state, j.trigger])).toEqual([
      ["restore", "succeeded", "user"],
      ["recovery-point", "succeeded", "system"],
    ]);
    expect(jobs[1]).toMatchObject({ target: "docs", computer: "file-server-1", group: "File servers", dataSourceId: sourceId, groupId, attempt: 1, retryOf: null, error: null });
    expect(jobs[1]!.bytesDone).toBeGreaterThan(0);

    const [filtered, failed, limited, human] = await Promise.all([
      list(["jobs", "list", "--type", "recovery-point", "--state", "succeeded"]),
      list(["jobs", "list", "--state", "failed"]),
      list(["jobs", "list", "--limit", "1"]),
      runCli(["jobs", "list", "--data", dataDir, "--type", "recovery-point"]),
    ]);
    expect(filtered.map((j) => j.id)).toEqual([jobs[1]!.id]);
    expect(failed).toEqual([]);
    expect(limited.map((j) => j.id)).toEqual([jobs[0]!.id]);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(new RegExp(`^\\s*${jobs[1]!.id}\\s+recovery-point\\s+succeeded\\s+file-server-1: docs\\s+File servers\\s`, "m"));
  });

  it("alerts list: the restore's informational alert, active by default, filtered by severity", async () => {
    const active = await list<Record<string, unknown>>(["alerts", "list"]);
    expect(active).toEqual([expect.objectContaining({ severity: "info", active: true, type: "restore-succeeded", title: "Recovery succeeded: docs", computer: "file-server-1", dataSourceId: sourceId })]);
    expect(active[0]!.detail).toContain(restoreTarget);
    const [critical, allInfo, human] = await Promise.all([
      list(["alerts", "list", "--severity", "critical"]),
      list(["alerts", "list", "--all", "--severity", "info"]),
      runCli(["alerts", "list", "--data", dataDir]),
    ]);
    expect(critical).toEqual([]);
    expect(allInfo.map((a) => a.id)).toEqual([active[0]!.id]);
    expect(human.stdout).toMatch(new RegExp(`^\\s*${active[0]!.id}\\s+info\\s+active\\s+.*file-server-1: docs\\s+Recovery succeeded: docs`, "m"));
  });

  it("reading leaves the catalog to the server: it still writes after the listings", async () => {
    await list(["jobs", "list"]);
    const run = await admin.call("protection.runNow", { type: "synchronization", groupId });
    expect(run.error).toBeUndefined();
    const id = (run.data as { queued: number[] }).queued[0]!;
    expect((await jobEnded(id)).state).toBe("succeeded");
    expect((await list(["jobs", "list", "--type", "synchronization"])).map((j) => [j.id, j.state])).toEqual([[id, "succeeded"]]);
  });
});

describe("catalogs the listings refuse, and bad options", () => {
  it("no catalog: exit 1 with what to check, and nothing created", async () => {
    const missing = path.join(tmpDir(), "not-here");
    const r = await runCli(["jobs", "list", "--data", missing]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`custodian: no catalog at ${path.join(missing, "catalog.db")}: is --data right? (custodian serve creates it)\n`);
    expect(fs.existsSync(missing)).toBe(false);
    const fromEnv = await runCli(["alerts", "list"], { CUSTODIAN_DATA: missing });
    expect(fromEnv.code).toBe(1);
    expect(fromEnv.stderr).toContain(path.join(missing, "catalog.db"));
  });

  it("a damaged, a newer and an older catalog: exit 1 with the reason, the file untouched", async () => {
    const damaged = tmpDir();
    const garbage = Buffer.from("not a database, someone's data ".repeat(100));
    fs.writeFileSync(path.join(damaged, "catalog.db"), garbage);
    const bad = await runCli(["recovery-points", "list", "--data", damaged]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/not a SQLite database/);
    expect(bad.stderr.split("\n")).toHaveLength(2); // one line, no stack
    expect(fs.readFileSync(path.join(damaged, "catalog.db")).equals(garbage)).toBe(true);

    // A consistent copy of the live catalog, then marked as migrated by a newer version.
    const newer = tmpDir();
    const live = new Database(path.join(dataDir, "catalog.db"), { readonly: true });
    await live.backup(path.join(newer, "catalog.db"));
    live.close();
    const older = tmpDir();
    fs.copyFileSync(path.join(newer, "catalog.db"), path.join(older, "catalog.db"));
    const n = new Database(path.join(newer, "catalog.db"));
    n.prepare("INSERT INTO __drizzle_migrations (hash, created_at) VALUES ('future', 9999999999999)").run();
    n.close();
    const r = await runCli(["protection-groups", "list", "--data", newer]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^custodian: The catalog .* was written by a newer version of Custodian/);

    const o = new Database(path.join(older, "catalog.db"));
    o.prepare("DELETE FROM __drizzle_migrations WHERE created_at = (SELECT MAX(created_at) FROM __drizzle_migrations)").run();
    o.close();
    const old = await runCli(["jobs", "list", "--data", older]);
    expect(old.code).toBe(1);
    expect(old.stderr).toMatch(/older version of Custodian: start `custodian serve --data .*` once/);
  });

  it("bad option values exit 2 with a clear line", async () => {
    const cases: [string[], RegExp][] = [
      [["jobs", "list", "--state", "exploded"], /--state.*'exploded' is invalid\. Allowed choices are scheduled, queued, running, succeeded, failed, cancelled/],
      [["jobs", "list", "--type", "backup"], /--type.*Allowed choices are synchronization/],
      [["alerts", "list", "--severity", "error"], /Allowed choices are critical, warning, info/],
      [["alerts", "list", "--active", "--all"], /'--active' cannot be used with option '--all'/],
      [["recovery-points", "list", "--limit", "0"], /--limit.*must be at least 1/],
      [["recovery-points", "list", "--limit", "ten"], /--limit.*must be a whole number/],
      [["recovery-points", "list", "--since", "yesterday"], /--since.*must be an ISO date/],
      [["recovery-points", "list", "--source", "-3"], /--source.*must be a data source id/],
      [["recovery-points", "list", "--source", "1", "--computer", "x"], /cannot be used with option '--computer/],
      [["recovery-points", "list", "--source", "999999"], /no data source 999999/],
    ];
    const results = await Promise.all(cases.map(([args]) => runCli([...args, "--data", dataDir])));
    cases.forEach(([args, message], i) => {
      const r = results[i]!;
      expect(r.code, args.join(" ")).toBe(2);
      expect(r.stderr, args.join(" ")).toMatch(message);
      expect(r.stdout).toBe("");
    });
    const helps = await Promise.all(["recovery-points", "jobs", "alerts", "protection-groups"].map((cmd) => runCli([cmd, "list", "--help"])));
    for (const help of helps) {
      expect(help.code).toBe(0);
      expect(help.stdout).toContain("--json");
      expect(help.stdout).toContain("--data <dir>");
    }
  });
});
