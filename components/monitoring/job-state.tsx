import { Badge, type BadgeTone } from "@/components/ui/badge";

const TONE: Record<string, BadgeTone> = { scheduled: "neutral", queued: "neutral", running: "info", succeeded: "ok", failed: "critical", cancelled: "warning" };

/** The job's state as a badge, with who ended it when it did not succeed. */
export function JobState({ state, endedBy, error }: { state: string; endedBy: string | null; error?: string | null }) {
  const by = state === "cancelled" ? (endedBy === "user" ? (error?.replace(/^cancelled /, "") ?? "by a user") : "by the system") : state === "failed" ? (endedBy === "user" ? "by a user" : "by the system") : null;
  return (
    <span className="inline-flex flex-wrap items-center gap-x-2 gap-y-0.5">
      <Badge tone={TONE[state] ?? "neutral"}>{state}</Badge>
      {by && <span className="text-xs text-slate-500">{by}</span>}
    </span>
  );
}
