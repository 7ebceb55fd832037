"use client";

import { Bar, BarChart, CartesianGrid, LabelList, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { formatShare } from "@/components/reports/report-text";
import { AXIS_TICK, GRID_STROKE, SERIES_COLORS, legendOrder } from "./chart-theme";

export interface SlaBar {
  name: string;
  /** Percentages 0..100. */
  now: number;
  inRange: number;
}

/** Per protection group: sources within their SLA now, and OK source-days over the range, as horizontal bars. */
export function SlaChart({ data, label }: { data: SlaBar[]; label: string }) {
  const height = 56 + data.length * 46;
  return (
    <div className="w-full" style={{ height }} role="img" aria-label={label}>
      <ResponsiveContainer width="100%" height="100%">
        <BarChart data={data} layout="vertical" margin={{ top: 4, right: 56, bottom: 4, left: 8 }} barGap={2} barCategoryGap="22%">
          <CartesianGrid strokeDasharray="3 3" stroke={GRID_STROKE} horizontal={false} />
          <XAxis type="number" domain={[0, 100]} ticks={[0, 25, 50, 75, 100]} tickFormatter={(v: number) => `${v}%`} tick={AXIS_TICK} />
          <YAxis type="category" dataKey="name" width={230} tick={AXIS_TICK} interval={0} />
          <Tooltip formatter={(v) => formatShare(Number(v) / 100)} cursor={{ fill: "#f1f5f9" }} itemSorter={legendOrder(["now", "inRange"])} />
          <Legend wrapperStyle={{ fontSize: 13 }} itemSorter={legendOrder(["now", "inRange"])} />
          <Bar dataKey="now" name="Within SLA now" fill={SERIES_COLORS.primary} isAnimationActive={false} maxBarSize={16}>
            <LabelList dataKey="now" position="right" formatter={(v) => formatShare(Number(v) / 100)} style={{ fontSize: 11, fill: "#334155" }} />
          </Bar>
          <Bar dataKey="inRange" name="OK source-days in the range" fill={SERIES_COLORS.secondary} isAnimationActive={false} maxBarSize={16}>
            <LabelList dataKey="inRange" position="right" formatter={(v) => formatShare(Number(v) / 100)} style={{ fontSize: 11, fill: "#334155" }} />
          </Bar>
        </BarChart>
      </ResponsiveContainer>
    </div>
  );
}
