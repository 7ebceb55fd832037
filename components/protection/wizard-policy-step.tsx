import { SelectField, TextField } from "@/components/ui/field";
import { JUST_BEFORE_RP, type PolicyDraft } from "./policy-draft";
import { describeInterval } from "./policy-summary";
import { ScheduleEditor } from "./schedule-editor";
import type { Weekday } from "./types";

export interface PolicyLimits {
  syncIntervals: readonly number[];
  weekdays: readonly Weekday[];
  maxRetentionDays: number;
  maxRecoveryPointsPerDay: number;
}

/** DPM's "Specify short-term goals": retention, synchronization, recovery points, express full (databases), SLA. */
export function PolicyStep({
  draft,
  set,
  limits,
  hasDatabases,
  issues,
}: {
  draft: PolicyDraft;
  set: (patch: Partial<PolicyDraft>) => void;
  limits: PolicyLimits;
  hasDatabases: boolean;
  issues: Record<string, string[]>;
}) {
  return (
    <div className="space-y-5">
      <div className="grid gap-4 md:grid-cols-3">
        <TextField
          label="Retention range (days)"
          name="retentionDays"
          inputMode="numeric"
          value={draft.retentionDays}
          onChange={(e) => set({ retentionDays: e.target.value })}
          errors={issues.retentionDays}
          hint={`How long recovery points are kept: 1 to ${limits.maxRetentionDays} days.`}
        />
        <SelectField label="Synchronization frequency" name="synchronization" value={draft.sync} onChange={(e) => set({ sync: e.target.value })} errors={issues.synchronization} hint="How often the replica is brought up to date.">
          {limits.syncIntervals.map((m) => (
            <option key={m} value={String(m)}>
              Every {describeInterval(m)}
            </option>
          ))}
          <option value={JUST_BEFORE_RP}>Just before a recovery point</option>
        </SelectField>
        <TextField
          label="SLA (hours)"
          name="slaHours"
          inputMode="numeric"
          value={draft.slaHours}
          onChange={(e) => set({ slaHours: e.target.value })}
          errors={issues.slaHours}
          hint="A member with no recovery point this recent raises a “recovery point missed” alert."
        />
      </div>
      <ScheduleEditor
        legend="Recovery points"
        what="recovery point"
        value={draft.recoveryPoints}
        onChange={(v) => set({ recoveryPoints: v })}
        weekdays={limits.weekdays}
        maxTimes={limits.maxRecoveryPointsPerDay}
        errors={{ general: issues.recoveryPoints, days: issues["recoveryPoints.days"], times: issues["recoveryPoints.times"] }}
      />
      {hasDatabases ? (
        <ScheduleEditor
          legend="Express full backups (databases)"
          what="express full"
          value={draft.expressFull}
          onChange={(v) => set({ expressFull: v })}
          weekdays={limits.weekdays}
          maxTimes={limits.maxRecoveryPointsPerDay}
          errors={{ general: issues.expressFull, days: issues["expressFull.days"], times: issues["expressFull.times"] }}
        />
      ) : (
        issues.expressFull && <p className="text-sm text-red-700">{issues.expressFull.join(" ")}</p>
      )}
    </div>
  );
}
