"use client";

import { Bar, CartesianGrid, ComposedChart, Legend, Line, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { formatBytes } from "@/components/ui/format";
import { formatDay } from "@/components/reports/report-text";
import { AXIS_LABEL, AXIS_TICK, GRID_STROKE, SERIES_COLORS, legendOrder } from "./chart-theme";

export interface StorageDay {
  day: string;
  addedBytes: number;
  cumulativeBytes: number;
}

/** Bytes recovery points added to the pool per day (bars), and their running total (line, right axis). */
export function StorageGrowthChart({ data, label }: { data: StorageDay[]; label: string }) {
  return (
    <div className="h-72 w-full" role="img" aria-label={label}>
      <ResponsiveContainer width="100%" height="100%">
        <ComposedChart data={data} margin={{ top: 8, right: 8, bottom: 8, left: 8 }} barCategoryGap={data.length > 120 ? 0 : "15%"}>
          <CartesianGrid strokeDasharray="3 3" stroke={GRID_STROKE} vertical={false} />
          <XAxis dataKey="day" tick={AXIS_TICK} tickFormatter={(d: string) => formatDay(d)} minTickGap={24} />
          <YAxis yAxisId="day" tick={AXIS_TICK} tickFormatter={(v: number) => formatBytes(v)} width={72} label={{ value: "Added per day", angle: -90, position: "insideLeft", style: AXIS_LABEL, dy: 40 }} />
          <YAxis yAxisId="total" orientation="right" tick={AXIS_TICK} tickFormatter={(v: number) => formatBytes(v)} width={72} label={{ value: "Total added", angle: 90, position: "insideRight", style: AXIS_LABEL, dy: -30 }} />
          <Tooltip labelFormatter={(d) => formatDay(String(d), { year: true })} formatter={(v) => formatBytes(Number(v))} cursor={{ fill: "#f1f5f9" }} itemSorter={legendOrder(["addedBytes", "cumulativeBytes"])} />
          <Legend wrapperStyle={{ fontSize: 13 }} itemSorter={legendOrder(["addedBytes", "cumulativeBytes"])} />
          <Bar yAxisId="day" dataKey="addedBytes" name="Added to the pool" fill={SERIES_COLORS.primary} isAnimationActive={false} />
          <Line yAxisId="total" type="monotone" dataKey="cumulativeBytes" name="Total added in the range" stroke={SERIES_COLORS.line} strokeWidth={2} dot={false} isAnimationActive={false} />
        </ComposedChart>
      </ResponsiveContainer>
    </div>
  );
}
