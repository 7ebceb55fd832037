import { Badge, type BadgeTone } from "@/components/ui/badge";
import type { GroupMember } from "./types";

const HEALTH: Record<GroupMember["health"], { tone: BadgeTone; label: string }> = {
  ok: { tone: "ok", label: "OK" },
  warning: { tone: "warning", label: "Warning" },
  critical: { tone: "critical", label: "Critical" },
};

/** A member's or a group's health (a group's is typed as a plain string by listGroups). */
export function HealthBadge({ health }: { health: GroupMember["health"] | (string & {}) }) {
  const h = HEALTH[health as GroupMember["health"]] ?? { tone: "neutral" as const, label: health };
  return <Badge tone={h.tone}>{h.label}</Badge>;
}

/** DPM's replica states, in its words (DPM-REFERENCE §3.2). */
export const REPLICA_STATE: Record<GroupMember["replicaState"], { tone: BadgeTone; label: string; hint: string }> = {
  "creation-pending": { tone: "info", label: "Creation pending", hint: "Replica creation pending: the initial replica has not been made yet; the first recovery point makes it." },
  ok: { tone: "ok", label: "OK", hint: "The replica is consistent; synchronizations and recovery points run on schedule." },
  inconsistent: { tone: "critical", label: "Inconsistent", hint: "Replica inconsistent: no new recovery points until a consistency check succeeds; restores from existing ones still work." },
  checking: { tone: "warning", label: "Checking", hint: "Consistency check running: the replica is being compared with the data source." },
  missing: { tone: "critical", label: "Missing", hint: "Replica missing: the replica is gone; run a consistency check to make it again." },
};

export function ReplicaBadge({ state }: { state: GroupMember["replicaState"] }) {
  const s = REPLICA_STATE[state];
  return (
    <span title={s.hint}>
      <Badge tone={s.tone}>{s.label}</Badge>
    </span>
  );
}

export const KIND_LABEL: Record<GroupMember["kind"], string> = { folder: "Folder", sqlite: "SQLite database" };
