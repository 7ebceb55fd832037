import fs from "node:fs";
import path from "node:path";
import { expect, type APIRequestContext, type Page } from "@playwright/test";
import { DEMO_DATA } from "./playwright.config";

export type Role = "admin" | "manager" | "helpdesk" | "tape";

/** The demo users' passwords, read from the owner-only file the server wrote on first start. */
export function demoPassword(role: Role): string {
  const file = path.join(import.meta.dirname, "..", DEMO_DATA, "initial-passwords.txt");
  const line = fs
    .readFileSync(file, "utf8")
    .split("\n")
    .find((l) => l.startsWith(`${role}\t`));
  if (!line) throw new Error(`no demo password for ${role} in ${file}`);
  return line.split("\t")[2]!;
}

export async function signIn(page: Page, username: string, password: string) {
  await page.goto("/login");
  await expect(page.getByRole("heading", { name: "Sign in" })).toBeVisible();
  await page.getByLabel("User name").fill(username);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
}

export async function signInAs(page: Page, role: Role) {
  await signIn(page, role, demoPassword(role));
  await expect(page.getByTestId("current-user")).toBeVisible();
}

/** Calls a tRPC procedure over HTTP with the request context's cookies, as any script could. */
export async function trpc(request: APIRequestContext, procedure: string, input?: unknown, kind: "query" | "mutation" = "mutation") {
  const res =
    kind === "query"
      ? await request.get(`/api/trpc/${procedure}?input=${encodeURIComponent(JSON.stringify({ json: input }))}`)
      : await request.post(`/api/trpc/${procedure}`, { data: { json: input } });
  const body = (await res.json()) as { result?: { data: { json: unknown } }; error?: { json: { message: string; data: { code: string } } } };
  return { status: res.status(), data: body.result?.data.json, error: body.error?.json };
}
