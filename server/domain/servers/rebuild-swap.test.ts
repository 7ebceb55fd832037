import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ASIDE_PREFIX, STAGING_DIR, SWAP_MARKER, applyRebuildSwap, rebuildSwapPending, scheduleRebuildSwap } from "./rebuild-swap";

let dir: string;

/** A data folder as the wizard leaves it: the new server's files, and the rebuilt server in staging. */
function layOut(): void {
  fs.writeFileSync(path.join(dir, "catalog.db"), "new server's catalog");
  fs.writeFileSync(path.join(dir, "catalog.db-wal"), "new wal");
  fs.mkdirSync(path.join(dir, "pool", "data"), { recursive: true });
  fs.writeFileSync(path.join(dir, "pool", "config.json"), "new pool");
  fs.mkdirSync(path.join(dir, "secrets"));
  fs.writeFileSync(path.join(dir, "secrets", "server-key.pem"), "new key");
  const staging = path.join(dir, STAGING_DIR);
  fs.mkdirSync(path.join(staging, "pool", "data"), { recursive: true });
  fs.writeFileSync(path.join(staging, "catalog.db"), "rebuilt catalog");
  fs.writeFileSync(path.join(staging, "pool", "config.json"), "rebuilt pool");
  fs.writeFileSync(path.join(staging, "pool", "data", "pack-1"), "rebuilt pack");
  fs.mkdirSync(path.join(staging, "secrets"));
  fs.writeFileSync(path.join(staging, "secrets", "server-key.pem"), "rebuilt key");
  fs.writeFileSync(path.join(staging, "rebuild-report.json"), "{}");
}

function expectSwapped(aside: string): void {
  expect(fs.readFileSync(path.join(dir, "catalog.db"), "utf8")).toBe("rebuilt catalog");
  expect(fs.readFileSync(path.join(dir, "pool", "config.json"), "utf8")).toBe("rebuilt pool");
  expect(fs.readFileSync(path.join(dir, "pool", "data", "pack-1"), "utf8")).toBe("rebuilt pack");
  expect(fs.readFileSync(path.join(dir, "secrets", "server-key.pem"), "utf8")).toBe("rebuilt key");
  expect(fs.existsSync(path.join(dir, "catalog.db-wal")), "the new server's WAL must not meet the rebuilt catalog").toBe(false);
  expect(fs.existsSync(path.join(dir, STAGING_DIR))).toBe(false);
  expect(rebuildSwapPending(dir)).toBe(false);
  // Nothing of the new server is deleted: it is all in the aside folder.
  expect(fs.readFileSync(path.join(aside, "catalog.db"), "utf8")).toBe("new server's catalog");
  expect(fs.readFileSync(path.join(aside, "catalog.db-wal"), "utf8")).toBe("new wal");
  expect(fs.readFileSync(path.join(aside, "secrets", "server-key.pem"), "utf8")).toBe("new key");
}

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "custodian-swap-"));
});
afterEach(() => {
  vi.restoreAllMocks();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe("rebuild swap", () => {
  it("does nothing without a scheduled swap", () => {
    layOut();
    expect(applyRebuildSwap(dir)).toBeNull();
    expect(fs.readFileSync(path.join(dir, "catalog.db"), "utf8")).toBe("new server's catalog");
  });

  it("moves the new server's files aside and the rebuilt server's in", () => {
    layOut();
    scheduleRebuildSwap(dir, new Date("2026-11-25T10:00:00Z"));
    expect(rebuildSwapPending(dir)).toBe(true);
    const r = applyRebuildSwap(dir);
    expect(path.basename(r!.aside)).toBe(`${ASIDE_PREFIX}20261125T100000Z`);
    expectSwapped(r!.aside);
  });

  it("refuses to schedule a swap without a rebuilt server", () => {
    expect(() => scheduleRebuildSwap(dir, new Date())).toThrow(/no rebuilt server/);
    expect(rebuildSwapPending(dir)).toBe(false);
  });

  it("finishes after a crash between any two renames, whatever the phase", () => {
    // Count the renames of a whole swap, then crash after each of them in turn and finish.
    layOut();
    scheduleRebuildSwap(dir, new Date("2026-11-25T10:00:00Z"));
    const real = fs.renameSync.bind(fs);
    let total = 0;
    const spy = vi.spyOn(fs, "renameSync").mockImplementation((a, b) => {
      total++;
      real(a, b);
    });
    applyRebuildSwap(dir);
    spy.mockRestore();
    expect(total).toBeGreaterThan(5);

    for (let crashAfter = 0; crashAfter < total; crashAfter++) {
      fs.rmSync(dir, { recursive: true, force: true });
      fs.mkdirSync(dir);
      layOut();
      scheduleRebuildSwap(dir, new Date("2026-11-25T10:00:00Z"));
      let n = 0;
      const crashing = vi.spyOn(fs, "renameSync").mockImplementation((a, b) => {
        if (n++ === crashAfter) throw Object.assign(new Error("killed"), { code: "EKILLED" });
        real(a, b);
      });
      expect(() => applyRebuildSwap(dir)).toThrow("killed");
      crashing.mockRestore();
      expect(rebuildSwapPending(dir), `marker kept after a crash at rename ${crashAfter}`).toBe(true);
      const r = applyRebuildSwap(dir); // the next start
      expectSwapped(r!.aside);
    }
  });

  it("refuses a marker it does not understand rather than move files by it", () => {
    layOut();
    fs.writeFileSync(path.join(dir, SWAP_MARKER), JSON.stringify({ phase: "aside", aside: "../elsewhere", at: "x" }));
    expect(() => applyRebuildSwap(dir)).toThrow(/not a rebuild swap plan/);
    expect(fs.readFileSync(path.join(dir, "catalog.db"), "utf8")).toBe("new server's catalog");
  });
});
