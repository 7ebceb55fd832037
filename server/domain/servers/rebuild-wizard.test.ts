import fs from "node:fs";
import path from "node:path";
import { createHash } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { callerFor, createTestServices, signedInAs } from "@/server/testing/test-services";
import type { Services } from "@/server/services";
import { ensureSelfServer } from "./ensure-self-server";
import { REPORT_FILE, RebuildWizard } from "./rebuild-wizard";
import type { RebuildReport } from "./rebuild";

const made: string[] = [];
afterEach(() => made.splice(0).forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

function setUp() {
  const { services } = createTestServices();
  fs.mkdirSync(services.protection.dataDir, { recursive: true });
  made.push(services.protection.dataDir);
  ensureSelfServer(services.db, { name: "new-server", now: services.clock.now() });
  let restarts = 0;
  const wizard = new RebuildWizard({ dataDir: services.protection.dataDir, openServices: () => services, requestRestart: () => restarts++ });
  services.rebuildWizard = wizard;
  return { services, wizard, restarts: () => restarts };
}

const input = { secondaryUrl: "http://127.0.0.1:1", token: "t".repeat(43), url: "http://127.0.0.1:2" };

async function refusal(p: Promise<unknown>) {
  try {
    await p;
  } catch (err) {
    return err as { code?: string; message: string; fieldErrors?: Record<string, string[]> };
  }
  throw new Error("expected a refusal");
}

describe("the rebuild wizard", () => {
  it("finds a new server fit, and says nothing more than 'set up already' of a server in use", async () => {
    const { services, wizard } = setUp();
    const fresh = wizard.freshServer(services);
    expect(fresh.problems).toEqual([]);
    expect(fresh.freeBytes).toBeGreaterThan(0);
    await signedInAs(services, "admin");
    expect(wizard.freshServer(services)).toEqual({ problems: [expect.stringMatching(/set up already/)], freeBytes: null });
  });

  it("refuses the pre-checks and the start on a server in use, before asking anyone", async () => {
    const { services, wizard } = setUp();
    await signedInAs(services, "admin");
    const err = await refusal(wizard.check(services, input));
    expect([err.code, err.message]).toEqual(["PRECONDITION", expect.stringMatching(/a rebuild needs a new server/)]);
    expect((await refusal(wizard.start(services, input))).code).toBe("PRECONDITION");
  });

  it("answers a bad address at its field, and an unreachable secondary as such", async () => {
    const { services, wizard } = setUp();
    expect((await refusal(wizard.check(services, { ...input, secondaryUrl: "backup2:3100" }))).fieldErrors).toEqual({ secondaryUrl: [expect.stringMatching(/http\(s\) address/)] });
    expect((await refusal(wizard.check(services, { ...input, url: "ftp://x" }))).fieldErrors).toEqual({ url: [expect.stringMatching(/http\(s\) address/)] });
    const down = await refusal(wizard.check(services, input));
    expect(down.fieldErrors?.secondaryUrl?.[0]).toMatch(/cannot reach/);
    expect(wizard.busy).toBe(false);
  });

  it("takes one start at a time: a second start while the first checks with the secondary is refused", async () => {
    const { services, wizard } = setUp();
    const first = wizard.start(services, input);
    expect(wizard.busy).toBe(true);
    expect((await refusal(wizard.start(services, input))).message).toMatch(/already running/);
    expect((await refusal(first)).fieldErrors?.secondaryUrl?.[0]).toMatch(/cannot reach/);
    expect(wizard.busy, "a start that failed its checks leaves the wizard free").toBe(false);
  });

  it("shows a report only to the holder of the rebuild's ticket", () => {
    const { services, wizard } = setUp();
    const ticket = "the-ticket-the-start-returned";
    const report = { primary: { id: "p", name: "lost" }, recoveryPointsRestored: 3 } as unknown as RebuildReport;
    fs.writeFileSync(path.join(services.protection.dataDir, REPORT_FILE), JSON.stringify({ ticketHash: createHash("sha256").update(ticket).digest("hex"), finishedAt: "2026-11-25T10:00:00.000Z", report }));
    expect(wizard.status(ticket)).toMatchObject({ state: "done", report: { primary: { name: "lost" } } });
    expect(() => wizard.status("somebody-else-s-ticket")).toThrow(/no rebuild with this ticket/);
  });

  it("is public through the API, and the set-up of a first admin still works when no rebuild runs", async () => {
    const { services } = setUp();
    const anon = callerFor(services as Services);
    expect((await anon.rebuild.fresh()).problems).toEqual([]);
    await expect(anon.rebuild.status({ ticket: "x".repeat(20) })).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect(anon.auth.setup({ username: "alice", password: "a long enough password" })).resolves.toBeTruthy();
  });
});
