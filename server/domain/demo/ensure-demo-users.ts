import fs from "node:fs";
import path from "node:path";
import { ROLES, type Role } from "@/db/schema";
import type { Services } from "@/server/services";
import { hashPassword, generatePassword } from "../auth/passwords";
import { countUsers, insertUser } from "../users/manage-users";
import { writeFileAtomic } from "../../fs/write-file-atomic";

export const DEMO_CREDENTIALS_FILE = "initial-passwords.txt";

export interface DemoCredential {
  username: string;
  role: Role;
  password: string;
}

export type DemoUsersResult =
  | { kind: "created"; file: string; credentials: DemoCredential[] }
  | { kind: "existing"; file: string; credentials: DemoCredential[] }
  | { kind: "none" };

/**
 * Demo mode's users: on an empty catalog, one user per role with a random password, kept in
 * an owner-only file in the data directory (as Jenkins keeps its initial admin password) so
 * that a restart does not lock a newcomer out. There is never a fixed default password.
 * When users already exist, the file (if still there) is read back for the console.
 */
export async function ensureDemoUsers(s: Pick<Services, "db" | "clock">, dataDir: string): Promise<DemoUsersResult> {
  const file = path.join(dataDir, DEMO_CREDENTIALS_FILE);
  if (countUsers(s.db) > 0) {
    const credentials = readCredentialsFile(file);
    return credentials ? { kind: "existing", file, credentials } : { kind: "none" };
  }
  const credentials: DemoCredential[] = ROLES.map((role) => ({ username: role, role, password: generatePassword() }));
  const hashes = await Promise.all(credentials.map((c) => hashPassword(c.password)));
  // The file first, then the users: a crash in between leaves a file whose users do not exist
  // yet, which the next start overwrites; the reverse would leave users nobody knows the passwords of.
  writeFileAtomic(file, formatCredentialsFile(credentials), 0o600);
  const now = s.clock.now();
  s.db.transaction((tx) => {
    credentials.forEach((c, i) =>
      insertUser(tx, now, { username: c.username, displayName: `Demo ${c.role}`, role: c.role, passwordHash: hashes[i]! }),
    );
  });
  return { kind: "created", file, credentials };
}

function formatCredentialsFile(credentials: DemoCredential[]): string {
  return [
    "# Custodian demo users, created on first start. Change these passwords, or delete this",
    "# file once you have created your own admin account.",
    ...credentials.map((c) => `${c.username}\t${c.role}\t${c.password}`),
    "",
  ].join("\n");
}

/** The demo users as the file keeps them (null when there is no file); `custodian lab` signs in with them. */
export function readCredentialsFile(file: string): DemoCredential[] | null {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch {
    return null;
  }
  const out: DemoCredential[] = [];
  for (const line of text.split("\n")) {
    if (!line || line.startsWith("#")) continue;
    const [username, role, password] = line.split("\t");
    if (username && password && (ROLES as readonly string[]).includes(role ?? "")) {
      out.push({ username, role: role as Role, password });
    }
  }
  return out;
}
