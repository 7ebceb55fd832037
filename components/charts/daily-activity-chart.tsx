"use client";

import { Bar, BarChart, CartesianGrid, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";

export interface DailyActivity {
  day: string;
  recoveryPoints: number;
  jobsSucceeded: number;
  jobsFailed: number;
}

// Job outcomes stack into one bar per day (its height is the day's jobs); recovery points stand beside it.
const SERIES = [
  { key: "recoveryPoints", name: "Recovery points", color: "var(--color-brand-500)", stack: undefined },
  { key: "jobsSucceeded", name: "Jobs succeeded", color: "var(--color-ok)", stack: "jobs" },
  { key: "jobsFailed", name: "Jobs failed", color: "var(--color-crit)", stack: "jobs" },
] as const;

/** Recovery points and job outcomes per day. Presentational: data comes shaped from reports.history. */
export function DailyActivityChart({ data }: { data: DailyActivity[] }) {
  return (
    <div className="h-72 w-full" role="img" aria-label="Recovery points and jobs per day">
      <ResponsiveContainer width="100%" height="100%">
        <BarChart data={data} margin={{ top: 8, right: 8, bottom: 0, left: -16 }}>
          <CartesianGrid strokeDasharray="3 3" stroke="#e2e8f0" vertical={false} />
          <XAxis dataKey="day" tick={{ fontSize: 11, fill: "#64748b" }} tickFormatter={(d: string) => d.slice(5)} minTickGap={12} />
          <YAxis allowDecimals={false} tick={{ fontSize: 11, fill: "#64748b" }} />
          <Tooltip />
          <Legend wrapperStyle={{ fontSize: 12 }} />
          {SERIES.map((s) => (
            <Bar key={s.key} dataKey={s.key} name={s.name} fill={s.color} stackId={s.stack} isAnimationActive={false} maxBarSize={18} />
          ))}
        </BarChart>
      </ResponsiveContainer>
    </div>
  );
}
