"use client";

import { Bar, BarChart, CartesianGrid, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { formatDay } from "@/components/reports/report-text";
import { AXIS_LABEL, AXIS_TICK, GRID_STROKE, HEALTH_COLORS, legendOrder } from "./chart-theme";

export interface HealthDay {
  day: string;
  ok: number;
  warning: number;
  critical: number;
}

const SERIES = [
  { key: "ok", name: "OK", color: HEALTH_COLORS.ok },
  { key: "warning", name: "Warning", color: HEALTH_COLORS.warning },
  { key: "critical", name: "Critical", color: HEALTH_COLORS.critical },
] as const;

/** Protected data sources per day, stacked by recovery-point health (OK at the bottom). */
export function HealthChart({ data, label }: { data: HealthDay[]; label: string }) {
  return (
    <div className="h-80 w-full" role="img" aria-label={label}>
      <ResponsiveContainer width="100%" height="100%">
        <BarChart data={data} margin={{ top: 8, right: 12, bottom: 8, left: 8 }} barCategoryGap={data.length > 120 ? 0 : "15%"}>
          <CartesianGrid strokeDasharray="3 3" stroke={GRID_STROKE} vertical={false} />
          <XAxis dataKey="day" tick={AXIS_TICK} tickFormatter={(d: string) => formatDay(d)} minTickGap={24} />
          <YAxis allowDecimals={false} tick={AXIS_TICK} width={56} label={{ value: "Data sources", angle: -90, position: "insideLeft", style: AXIS_LABEL, dy: 40 }} />
          <Tooltip labelFormatter={(d) => formatDay(String(d), { year: true })} cursor={{ fill: "#f1f5f9" }} itemSorter={legendOrder(SERIES.map((s) => s.key))} />
          <Legend wrapperStyle={{ fontSize: 13 }} itemSorter={legendOrder(SERIES.map((s) => s.key))} />
          {SERIES.map((s) => (
            <Bar key={s.key} dataKey={s.key} name={s.name} fill={s.color} stackId="health" isAnimationActive={false} />
          ))}
        </BarChart>
      </ResponsiveContainer>
    </div>
  );
}
