import { describe, expect, it } from "vitest";
import { TRPCError } from "@trpc/server";
import { appRouter } from "./root";
import type { ProcedureMeta } from "./trpc";
import { ROLES, users, auditEvents } from "@/db/schema";
import { createTestServices, signedInAs, callerFor } from "@/server/testing/test-services";
import { NAVIGATION } from "@/components/shell/navigation";

type AnyProcedure = { _def: { meta?: ProcedureMeta; type: "query" | "mutation" | "subscription" } };
const procedures = Object.entries(appRouter._def.procedures as unknown as Record<string, AnyProcedure>);

async function call(caller: unknown, path: string, input: unknown): Promise<unknown> {
  const fn = path.split(".").reduce<any>((o, k) => o[k], caller); // eslint-disable-line @typescript-eslint/no-explicit-any
  return fn(input);
}

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return "OK";
  } catch (err) {
    return err instanceof TRPCError ? err.code : `THREW ${(err as Error).message}`;
  }
}

describe("every procedure declares who may call it", () => {
  it("has procedures to check", () => expect(procedures.length).toBeGreaterThan(10));

  it.each(procedures)("%s declares its access", (_path, proc) => {
    const access = proc._def.meta?.access;
    expect(access, "declare access with publicProcedure, authedProcedure or requireRole(...)").toBeDefined();
    if (Array.isArray(access)) {
      expect(access.length).toBeGreaterThan(0);
      for (const r of access) expect(ROLES).toContain(r);
    }
  });

  it("keeps the public surface to the sign-in essentials", () => {
    const publicOnes = procedures.filter(([, p]) => p._def.meta?.access === "public").map(([path]) => path);
    // The rebuild wizard's are public like the set-up, and like it work only on a server with no users.
    expect(publicOnes.sort()).toEqual(["auth.login", "auth.me", "auth.setup", "auth.status", "rebuild.check", "rebuild.fresh", "rebuild.start", "rebuild.status"]);
  });
});

describe("the server enforces each procedure's roles", () => {
  it("refuses every role outside a procedure's access with FORBIDDEN, before reading its input", async () => {
    const { services } = createTestServices();
    const callers = Object.fromEntries(await Promise.all(ROLES.map(async (r) => [r, (await signedInAs(services, r)).caller] as const)));
    const usersBefore = services.db.select().from(users).all();
    for (const [path, proc] of procedures) {
      const access = proc._def.meta?.access;
      if (!Array.isArray(access)) continue;
      for (const role of ROLES) {
        const code = await codeOf(call(callers[role]!(), path, undefined));
        if (access.includes(role)) expect(code, `${role} → ${path}`).not.toBe("FORBIDDEN");
        else expect(code, `${role} → ${path}`).toBe("FORBIDDEN");
      }
    }
    expect(services.db.select().from(users).all()).toEqual(usersBefore);
  });

  it("refuses anonymous callers everywhere but the public procedures", async () => {
    const { services } = createTestServices();
    for (const [path, proc] of procedures) {
      if (proc._def.meta?.access === "public") continue;
      expect(await codeOf(call(callerFor(services), path, undefined)), path).toBe("UNAUTHORIZED");
    }
  });

  it("records refused mutations in the audit log as denied", async () => {
    const { services } = createTestServices();
    const helpdesk = await signedInAs(services, "helpdesk");
    const code = await codeOf(helpdesk.caller().users.create({ username: "eve", role: "admin", password: "0123456789ab", mustChangePassword: false }));
    expect(code).toBe("FORBIDDEN");
    const events = services.db.select().from(auditEvents).all();
    expect(events.at(-1)).toMatchObject({ username: "helpdesk", action: "users.create", target: "eve", outcome: "denied", clientAddress: "127.0.0.1" });
    expect(services.db.select().from(users).all().map((u) => u.username)).not.toContain("eve");
  });
});

describe("navigation", () => {
  const byPath = new Map(procedures);
  it.each(NAVIGATION.flatMap((s) => s.items))("$href shows to exactly the roles its API allows", (item) => {
    const access = byPath.get(item.procedure)?._def.meta?.access;
    expect(Array.isArray(access), `${item.procedure} exists and names roles`).toBe(true);
    expect([...item.roles].sort()).toEqual([...(access as string[])].sort());
  });
});
