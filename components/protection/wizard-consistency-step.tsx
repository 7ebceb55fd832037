import { TextField } from "@/components/ui/field";
import type { PolicyDraft } from "./policy-draft";
import { ScheduleDays } from "./schedule-days";
import type { Weekday } from "./types";

/** DPM's "Choose consistency check options" (DPM-REFERENCE §2.4). */
export function ConsistencyStep({ draft, set, weekdays, issues }: { draft: PolicyDraft; set: (patch: Partial<PolicyDraft>) => void; weekdays: readonly Weekday[]; issues: Record<string, string[]> }) {
  return (
    <div className="space-y-4">
      <p className="text-sm text-slate-600">
        A consistency check re-reads a data source completely and repairs its replica. While a replica is inconsistent no new recovery points are made for
        it (restores from the existing ones still work). You can also start a check by hand at any time from the group&apos;s actions.
      </p>
      <label className="flex items-start gap-2.5 text-sm text-slate-800">
        <input type="checkbox" className="mt-0.5" checked={draft.ccAutomatic} onChange={(e) => set({ ccAutomatic: e.target.checked })} />
        <span>
          <span className="font-medium">Run a consistency check automatically if a replica becomes inconsistent</span>
          <span className="block text-slate-500">Recommended for small data sources and fast links.</span>
        </span>
      </label>
      <label className="flex items-start gap-2.5 text-sm text-slate-800">
        <input type="checkbox" className="mt-0.5" checked={draft.ccWindow} onChange={(e) => set({ ccWindow: e.target.checked })} />
        <span>
          <span className="font-medium">Run a daily consistency check in a window</span>
          <span className="block text-slate-500">For large data sources: checks run off-peak and stop when the window ends.</span>
        </span>
      </label>
      {draft.ccWindow && (
        <fieldset className="space-y-3 rounded-md border border-slate-200 p-4">
          <legend className="px-1 text-sm font-medium text-slate-800">Consistency-check window</legend>
          <ScheduleDays label="Days for the consistency check" weekdays={weekdays} value={draft.ccWindowDays} onChange={(d) => set({ ccWindowDays: d })} errors={issues["consistencyCheck.window.days"]} />
          <div className="grid gap-4 md:grid-cols-2">
            <TextField label="Start time" name="ccStart" type="time" value={draft.ccWindowStart} onChange={(e) => set({ ccWindowStart: e.target.value })} errors={issues["consistencyCheck.window.start"]} />
            <TextField
              label="Maximum duration (hours)"
              name="ccMaxHours"
              inputMode="numeric"
              value={draft.ccWindowMaxHours}
              onChange={(e) => set({ ccWindowMaxHours: e.target.value })}
              errors={issues["consistencyCheck.window.maxHours"]}
              hint="1 to 24 hours."
            />
          </div>
        </fieldset>
      )}
      {issues.consistencyCheck && <p className="text-sm text-red-700">{issues.consistencyCheck.join(" ")}</p>}
    </div>
  );
}
