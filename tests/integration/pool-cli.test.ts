import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runCli } from "./serve-process";

const tmpDirs: string[] = [];
const tmpDir = () => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), "custodian-pool-cli-"));
  tmpDirs.push(d);
  return d;
};
afterAll(() => tmpDirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

describe("custodian pool", () => {
  it("backs a folder up and restores it so that TARGET equals SOURCE", async () => {
    const src = tmpDir();
    fs.mkdirSync(path.join(src, "sub"));
    fs.writeFileSync(path.join(src, "sub", "a.txt"), "alpha\n".repeat(10_000));
    fs.writeFileSync(Buffer.from(`${src}/\xff\xfe-raw`, "latin1"), "non-UTF-8 name");
    fs.symlinkSync("sub/a.txt", path.join(src, "link"));
    const pool = path.join(tmpDir(), "pool");

    expect((await runCli(["pool", "init", pool])).code).toBe(0);
    const backup = await runCli(["pool", "backup", pool, src, "--json"]);
    expect(backup.code).toBe(0);
    const made = JSON.parse(backup.stdout) as { id: string; files: number; symlinks: number };
    expect(made).toMatchObject({ files: 2, symlinks: 1 });

    const ls = JSON.parse((await runCli(["pool", "ls", pool, "--json"])).stdout) as { id: string }[];
    expect(ls.map((r) => r.id)).toEqual([made.id]);

    const target = path.join(tmpDir(), "restored");
    const restored = await runCli(["pool", "restore", pool, "latest", target, "--json"]);
    expect(restored.code).toBe(0);
    expect(JSON.parse(restored.stdout)).toMatchObject({ id: made.id, counts: { restored: 4 }, problems: [] });
    expect(fs.readFileSync(path.join(target, "sub", "a.txt"), "utf8")).toBe("alpha\n".repeat(10_000));
    expect(fs.readlinkSync(path.join(target, "link"))).toBe("sub/a.txt");
    expect(fs.readFileSync(Buffer.from(`${target}/\xff\xfe-raw`, "latin1"), "utf8")).toBe("non-UTF-8 name");

    const stats = JSON.parse((await runCli(["pool", "stats", pool, "--json"])).stdout) as { recoveryPoints: number; chunks: number };
    expect(stats.recoveryPoints).toBe(1);
    expect(stats.chunks).toBeGreaterThan(0);
  });

  it("says clearly when DIR is not a pool or the arguments are wrong", async () => {
    const missing = await runCli(["pool", "ls", path.join(tmpDir(), "nothing")]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/no pool here/);
    const pool = path.join(tmpDir(), "pool");
    await runCli(["pool", "init", pool]);
    expect((await runCli(["pool", "init", pool])).stderr).toMatch(/already exists/);
    const none = await runCli(["pool", "restore", pool, "latest", tmpDir()]);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/no recovery point/);
    const badPolicy = await runCli(["pool", "restore", pool, "latest", tmpDir(), "--existing", "clobber"]);
    expect(badPolicy.code).toBe(2);
    expect((await runCli(["pool", "backup", pool, path.join(tmpDir(), "absent")])).code).toBe(2);
    for (const sub of ["init", "backup", "restore", "ls", "stats"]) expect((await runCli(["pool", sub, "--help"])).code).toBe(0);
  });
});
