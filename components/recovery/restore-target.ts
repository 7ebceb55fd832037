/**
 * The restore rules the wizard checks as the user types, so a mistake shows under the field
 * at once. The server checks the same rules again (server/domain/recovery/restore-request.ts)
 * and its per-field refusals are shown the same way; restore-target.test.ts keeps the two
 * in agreement.
 */

/** Why an alternate target folder is refused, or null. Same rules as the server's targetRefusal. */
export function targetProblem(target: string): string | null {
  const t = target.trim();
  if (t.length === 0) return "Give the folder to restore into, e.g. /srv/restores.";
  if (!t.startsWith("/")) return "Give an absolute path on the protected computer, starting with /, e.g. /srv/restores.";
  if (t.includes("\0")) return "The path may not contain NUL characters.";
  if (t.split("/").some((s) => s === ".." || s === ".")) return "No . or .. segments: a restore never leaves its target folder.";
  return null;
}

export type ExistingPolicy = "copy" | "skip" | "overwrite";

export const EXISTING_CHOICES: { value: ExistingPolicy; label: string; help: string }[] = [
  { value: "copy", label: "Create a copy", help: "Keep the file that is there and write the recovered one beside it under a new name." },
  { value: "skip", label: "Skip", help: "Leave the file that is there; do not recover that item." },
  { value: "overwrite", label: "Overwrite", help: "Replace the file that is there with the recovered version." },
];

/** Where a restore writes: the original location is an administrator's choice only (DPM's recovery operator restores elsewhere). */
export function originalLocationRefusal(role: string, kind: string, helpdeskMayRestoreToOriginal = false): string | null {
  if (kind === "sqlite") return "A database is always recovered to an alternate folder, never over the live file.";
  if (role !== "admin" && !helpdeskMayRestoreToOriginal) return "Help desk recovers to an alternate folder only, unless an administrator allows the original location (Recovery page).";
  return null;
}
