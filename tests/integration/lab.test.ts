/**
 * `custodian lab` as a real process on a fresh folder: it starts lab-primary (demo),
 * lab-secondary, lab-tertiary and the lab-workstation agent as its children on loopback,
 * configures protection through their APIs and replicates once on both links. Checked through
 * the API: the chain primary → secondary → tertiary, the secondary's catalog copy and replicated
 * recovery points, the workstation's sources protected on the primary. Then SIGTERM: every
 * child is gone by its PID and the lab exits 0.
 */
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePortBlock } from "@/server/lab/ports";
import { readLabCredentials } from "@/server/lab/lab-credentials";
import { ApiClient, CLI, PROJECT_DIR, pollUntil } from "./serve-process";

let dir: string;
let lab: ChildProcess;
let out = "";
let exited: Promise<number | null>;
const pids = new Map<string, number>();

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

beforeAll(async () => {
  if (!fs.existsSync(path.join(PROJECT_DIR, process.env.CUSTODIAN_DIST_DIR || ".next", "BUILD_ID"))) throw new Error("Build the UI first (npm run build); npm test does it for you.");
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "custodian-lab-"));
  const base = await freePortBlock("127.0.0.1", 4);
  lab = spawn(process.execPath, [CLI, "lab", "--data", dir, "--port", String(base)], { cwd: PROJECT_DIR, stdio: ["ignore", "pipe", "pipe"] });
  lab.stdout!.on("data", (d) => (out += d));
  lab.stderr!.on("data", (d) => (out += d));
  exited = new Promise((resolve) => lab.once("exit", (code) => resolve(code)));
  await pollUntil(
    "the lab to be ready",
    async () => {
      if (/Custodian lab is ready/.test(out)) return true;
      if (lab.exitCode !== null) throw new Error(`the lab exited with ${lab.exitCode}:\n${out}`);
      return undefined;
    },
    120_000,
    250,
  );
  for (const m of out.matchAll(/^\s+(lab-\S+)\s+up at \S+\s+\(pid (\d+)\)/gm)) pids.set(m[1]!, Number(m[2]));
}, 130_000);

afterAll(() => {
  // Only when a check failed half-way: nothing of the lab may outlive the test.
  if (lab?.exitCode === null) lab.kill("SIGKILL");
  for (const pid of pids.values()) if (alive(pid)) process.kill(pid, "SIGKILL");
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

async function signIn(server: string): Promise<ApiClient> {
  const admin = readLabCredentials(path.join(dir, "lab-credentials.txt")).find((c) => c.server === server && c.role === "admin")!;
  const api = new ApiClient(admin.url);
  await api.mutate("auth.login", { username: admin.username, password: admin.password });
  return api;
}

type Topology = { selfId: string; nodes: { id: string; name: string; roles: string[] }[]; edges: { primary: string; secondary: string; state: string }[] };
const chain = (t: Topology) => {
  const name = (id: string) => t.nodes.find((n) => n.id === id)!.name;
  return t.edges.map((e) => `${name(e.primary)} → ${name(e.secondary)}`).sort();
};

describe("custodian lab", () => {
  it("runs a configured, replicated chain of servers and an agent, and stops every child on SIGTERM", async () => {
    expect([...pids.keys()].sort()).toEqual(["lab-primary", "lab-secondary", "lab-tertiary", "lab-workstation"]);
    expect(fs.statSync(path.join(dir, "lab-credentials.txt")).mode & 0o777).toBe(0o600);
    const [primary, secondary, tertiary] = await Promise.all([signIn("lab-primary"), signIn("lab-secondary"), signIn("lab-tertiary")]);

    // The topology, as each server sees it.
    const fromPrimary = await primary.query<Topology>("servers.topology");
    expect(chain(fromPrimary)).toContain("lab-primary → lab-secondary");
    const fromSecondary = await secondary.query<Topology>("servers.topology");
    expect(chain(fromSecondary)).toEqual(["lab-primary → lab-secondary", "lab-secondary → lab-tertiary"]);
    const id = (name: string) => fromSecondary.nodes.find((n) => n.name === name)!.id;

    // The secondary holds the primary's catalog and its recovery points, the workstation's among them.
    type Link = { health: { state: string }; catalogSnapshots: unknown[]; sources: { name: string; computer: string; recoveryPoints: number }[] };
    const link = await secondary.query<Link>("servers.link", { primaryId: id("lab-primary"), secondaryId: id("lab-secondary") });
    expect(link.catalogSnapshots.length).toBeGreaterThanOrEqual(1);
    expect(link.health.state).toBe("healthy");
    const workstationCopies = link.sources.filter((s) => s.computer === "lab-workstation");
    expect(workstationCopies.map((s) => s.name).sort()).toEqual(["crm", "finance-share", "projects", "scans"]);
    expect(workstationCopies.every((s) => s.recoveryPoints >= 1)).toBe(true);
    // The tertiary holds the secondary's catalog.
    const tertiaryLink = await tertiary.query<Link>("servers.link", { primaryId: id("lab-secondary"), secondaryId: id("lab-tertiary") });
    expect(tertiaryLink.catalogSnapshots.length).toBeGreaterThanOrEqual(1);

    // The workstation's sources are protected on the primary, in the lab's group.
    type Computer = { name: string; sources: { name: string; group: string | null }[] };
    const workstation = (await primary.query<Computer[]>("protection.computers")).find((c) => c.name === "lab-workstation")!;
    expect(workstation.sources.map((s) => [s.name, s.group]).sort()).toEqual([
      ["crm", "Workstation"],
      ["finance-share", "Workstation"],
      ["projects", "Workstation"],
      ["scans", "Workstation"],
    ]);

    // SIGTERM: the lab stops its children by PID and exits cleanly.
    lab.kill("SIGTERM");
    expect(await exited).toBe(0);
    expect(out).toContain("The lab stopped cleanly.");
    for (const [name, pid] of pids) expect(alive(pid), `${name} (pid ${pid}) still runs`).toBe(false);
    expect(fs.existsSync(path.join(dir, "lab.pids"))).toBe(false);
  }, 60_000);
});
