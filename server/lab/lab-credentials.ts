/**
 * DIR/lab-credentials.txt: who signs in where in the lab (owner-only, 0600). One line per user:
 * server, address, user name, role and password, separated by tabs. The primary's lines are
 * its demo users (the primary keeps them in its own initial-passwords.txt too); the secondary's
 * and tertiary's admins are made by the lab with random passwords, and read back from this file
 * when the lab starts again on the same folder.
 */
import fs from "node:fs";
import { writeFileAtomic } from "@/server/fs/write-file-atomic";

export const LAB_CREDENTIALS_FILE = "lab-credentials.txt";

export interface LabCredential {
  server: string;
  url: string;
  username: string;
  role: string;
  password: string;
}

export function readLabCredentials(file: string): LabCredential[] {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw err;
  }
  const out: LabCredential[] = [];
  for (const line of text.split("\n")) {
    if (!line || line.startsWith("#")) continue;
    const [server, url, username, role, password] = line.split("\t");
    if (server && url && username && role && password) out.push({ server, url, username, role, password });
  }
  return out;
}

export function writeLabCredentials(file: string, credentials: LabCredential[]): void {
  const lines = [
    "# Custodian lab: who signs in where (written by `custodian lab`; readable by you only).",
    "# server\taddress\tuser\trole\tpassword",
    ...credentials.map((c) => [c.server, c.url, c.username, c.role, c.password].join("\t")),
    "",
  ];
  writeFileAtomic(file, lines.join("\n"), 0o600);
}
