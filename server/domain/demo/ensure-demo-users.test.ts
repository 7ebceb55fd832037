import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ROLES, users } from "@/db/schema";
import { createTestServices } from "@/server/testing/test-services";
import { createUser, listUsers } from "@/server/domain/users/manage-users";
import { logIn } from "@/server/domain/auth/log-in";
import { verifyPassword } from "@/server/domain/auth/passwords";
import { DEMO_CREDENTIALS_FILE, ensureDemoUsers } from "./ensure-demo-users";

let dataDir: string;
beforeEach(() => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "custodian-demo-"));
});
afterEach(() => {
  fs.rmSync(dataDir, { recursive: true, force: true });
});

describe("ensureDemoUsers", () => {
  it("creates one user per role with distinct random passwords, kept in an owner-only file", async () => {
    const { services } = createTestServices();
    const result = await ensureDemoUsers(services, dataDir);
    if (result.kind !== "created") throw new Error(`expected "created", got ${result.kind}`);

    expect(result.file).toBe(path.join(dataDir, DEMO_CREDENTIALS_FILE));
    expect(result.credentials.map((c) => c.role)).toEqual([...ROLES]);
    expect(result.credentials.map((c) => c.username)).toEqual([...ROLES]);
    const passwords = result.credentials.map((c) => c.password);
    expect(new Set(passwords).size).toBe(4);
    for (const p of passwords) expect(p).toMatch(/^[A-Za-z0-9]{20}$/);

    const rows = listUsers(services.db);
    expect(rows).toHaveLength(4);
    for (const c of result.credentials) {
      const row = rows.find((r) => r.username === c.username)!;
      expect(row.role).toBe(c.role);
      expect(row.displayName).toBe(`Demo ${c.role}`);
      expect(row.disabled).toBe(false);
    }
    // hashes, not passwords, in the catalog
    const stored = services.db.select({ username: users.username, passwordHash: users.passwordHash }).from(users).all();
    for (const s of stored) {
      const c = result.credentials.find((x) => x.username === s.username)!;
      expect(s.passwordHash.startsWith("$argon2id$")).toBe(true);
      expect(s.passwordHash).not.toContain(c.password);
    }

    expect(fs.statSync(result.file).mode & 0o777).toBe(0o600);
    const text = fs.readFileSync(result.file, "utf8");
    for (const c of result.credentials) expect(text).toContain(`${c.username}\t${c.role}\t${c.password}\n`);
    expect(fs.readdirSync(dataDir)).toEqual([DEMO_CREDENTIALS_FILE]);
  });

  it("a second call reads the same credentials back and changes nothing", async () => {
    const { services } = createTestServices();
    const first = await ensureDemoUsers(services, dataDir);
    const before = fs.readFileSync(path.join(dataDir, DEMO_CREDENTIALS_FILE), "utf8");
    const second = await ensureDemoUsers(services, dataDir);
    expect(second.kind).toBe("existing");
    if (first.kind === "none" || second.kind === "none") throw new Error("unreachable");
    expect(second.file).toBe(first.file);
    expect(second.credentials).toEqual(first.credentials);
    expect(listUsers(services.db)).toHaveLength(4);
    expect(fs.readFileSync(second.file, "utf8")).toBe(before);
  });

  it("the passwords really sign in", async () => {
    const { services } = createTestServices();
    const result = await ensureDemoUsers(services, dataDir);
    if (result.kind === "none") throw new Error("expected credentials");
    for (const c of result.credentials) {
      const { token, user } = await logIn(services, {
        username: c.username,
        password: c.password,
        clientAddress: "127.0.0.1",
        userAgent: "vitest",
      });
      expect(token).toBeTruthy();
      expect(user).toMatchObject({ username: c.username, role: c.role, mustChangePassword: false });
    }
    // and they are not interchangeable
    const [a, b] = result.credentials;
    await expect(
      logIn(services, { username: a!.username, password: b!.password, clientAddress: "127.0.0.1", userAgent: "vitest" }),
    ).rejects.toMatchObject({ code: "UNAUTHENTICATED" });
  });

  it("returns none when users exist and there is no credentials file, creating nothing", async () => {
    const { services } = createTestServices();
    await createUser(services, { username: "root", role: "admin", password: "pw-1234567890" });
    expect(await ensureDemoUsers(services, dataDir)).toEqual({ kind: "none" });
    expect(listUsers(services.db).map((u) => u.username)).toEqual(["root"]);
    expect(fs.readdirSync(dataDir)).toEqual([]);
  });

  it("when users exist, reads back whatever valid lines the file has", async () => {
    const { services } = createTestServices();
    await createUser(services, { username: "root", role: "admin", password: "pw-1234567890" });
    fs.writeFileSync(
      path.join(dataDir, DEMO_CREDENTIALS_FILE),
      "# comment\nadmin\tadmin\tsecret-a\nbogus\tsuperuser\tx\n\ntape\ttape\tsecret-t\n",
    );
    const result = await ensureDemoUsers(services, dataDir);
    expect(result).toEqual({
      kind: "existing",
      file: path.join(dataDir, DEMO_CREDENTIALS_FILE),
      credentials: [
        { username: "admin", role: "admin", password: "secret-a" },
        { username: "tape", role: "tape", password: "secret-t" },
      ],
    });
  });

  it("creates the data directory when it does not exist yet", async () => {
    const { services } = createTestServices();
    const nested = path.join(dataDir, "not", "yet");
    const result = await ensureDemoUsers(services, nested);
    expect(result.kind).toBe("created");
    expect(fs.existsSync(path.join(nested, DEMO_CREDENTIALS_FILE))).toBe(true);
    const admin = services.db.select().from(users).all().find((u) => u.role === "admin")!;
    if (result.kind === "none") throw new Error("unreachable");
    expect(await verifyPassword(admin.passwordHash, result.credentials[0]!.password)).toBe(true);
  });
});
