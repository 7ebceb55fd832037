/**
 * The rules for removing a link between a primary and its secondary (DPM's "stop protection"
 * of a primary server on its secondary), as a pure function of what one end of the link
 * knows. remove-link.ts gathers the facts, on the end an admin asked and again on the other.
 *
 * - switched-sources: while protection of any of the primary's data sources is switched to
 *   the secondary (its agent's owner is the secondary), the link stays: removing it would
 *   leave those sources protected by no server. The admin switches back first.
 * - copies-choice: the secondary's admin says what becomes of the copies held there: kept
 *   (read-only, restorable, expiring under their retention: DPM's "retain replica") or deleted.
 * - copies-on-secondary: the copies are the secondary's; the primary's admin cannot choose
 *   for it (a link removed from the primary leaves them kept on the secondary).
 */

export type LinkEnd = "primary" | "secondary";
export type CopiesChoice = "keep" | "delete";
export type LinkRemovalRule = "switched-sources" | "copies-choice" | "copies-on-secondary";

export interface LinkRemovalFacts {
  /** Which end of the link this server is. */
  end: LinkEnd;
  primary: string;
  secondary: string;
  /** The primary's data sources whose protection is switched to the secondary, as this end knows them. */
  switched: readonly { computer: string; name: string }[];
  /** What the admin chose for the secondary's copies (asked on the secondary only). */
  copies: CopiesChoice | undefined;
}

export interface LinkRemovalIssue {
  rule: LinkRemovalRule;
  message: string;
  /** The form field the issue belongs to, when it is one. */
  field?: "copies";
}

const MAX_NAMED = 5;

function namedSources(switched: LinkRemovalFacts["switched"]): string {
  const names = switched.slice(0, MAX_NAMED).map((s) => `${s.computer}: ${s.name}`);
  const more = switched.length - names.length;
  return names.join(", ") + (more > 0 ? ` and ${more} more` : "");
}

/** Why this end may not remove the link now; empty when it may. */
export function checkLinkRemoval(f: LinkRemovalFacts): LinkRemovalIssue[] {
  const issues: LinkRemovalIssue[] = [];
  if (f.switched.length) {
    const n = f.switched.length;
    issues.push({
      rule: "switched-sources",
      message:
        `Protection of ${n} of ${f.primary}'s data source${n > 1 ? "s" : ""} (${namedSources(f.switched)}) is switched to ${f.secondary}: ` +
        `removing the link would leave ${n > 1 ? "them" : "it"} protected by no server. ` +
        `Switch back first: on ${f.primary}, take ownership of ${n > 1 ? "them" : "it"} (Servers → the link), then remove the link.`,
    });
  }
  if (f.end === "secondary" && f.copies === undefined) {
    issues.push({ rule: "copies-choice", field: "copies", message: `Choose whether this server keeps or deletes the copies of ${f.primary}'s catalog and recovery points it holds.` });
  }
  if (f.end === "primary" && f.copies === "delete") {
    issues.push({
      rule: "copies-on-secondary",
      field: "copies",
      message: `The copies are ${f.secondary}'s: removing the link here leaves them kept there, and ${f.secondary}'s admin deletes them (or they expire under their retention).`,
    });
  }
  return issues;
}
