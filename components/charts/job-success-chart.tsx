"use client";

import { CartesianGrid, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis, type TooltipContentProps } from "recharts";
import type { NameType, ValueType } from "recharts/types/component/DefaultTooltipContent";
import { formatDay, formatShare } from "@/components/reports/report-text";
import { AXIS_LABEL, AXIS_TICK, GRID_STROKE, SERIES_COLORS } from "./chart-theme";

export interface JobSuccessDay {
  day: string;
  succeeded: number;
  failed: number;
  /** Percent 0..100; null on a day without finished jobs (a gap in the line). */
  ratePct: number | null;
}

function JobTooltip({ active, payload }: TooltipContentProps<ValueType, NameType>) {
  const d = active ? (payload?.[0]?.payload as JobSuccessDay | undefined) : undefined;
  if (!d) return null;
  return (
    <div className="rounded-md border border-slate-200 bg-white px-3 py-2 text-xs shadow-md">
      <p className="font-medium text-slate-800">{formatDay(d.day, { year: true })}</p>
      <p className="text-slate-600">Success rate: {d.ratePct === null ? "no finished jobs" : formatShare(d.ratePct / 100)}</p>
      <p className="text-slate-600">
        {d.succeeded.toLocaleString()} succeeded, {d.failed.toLocaleString()} failed
      </p>
    </div>
  );
}

/** The share of finished jobs that succeeded, per day. */
export function JobSuccessChart({ data, label }: { data: JobSuccessDay[]; label: string }) {
  const lowest = Math.min(100, ...data.map((d) => d.ratePct ?? 100));
  // Start the axis at the ten below the worst day, so that a dip from 99% to 90% is visible.
  const floor = Math.max(0, Math.min(90, Math.floor((lowest - 1) / 10) * 10));
  const ticks = Array.from({ length: (100 - floor) / 10 + 1 }, (_, i) => floor + i * 10);
  return (
    <div className="h-72 w-full" role="img" aria-label={label}>
      <ResponsiveContainer width="100%" height="100%">
        <LineChart data={data} margin={{ top: 8, right: 12, bottom: 8, left: 8 }}>
          <CartesianGrid strokeDasharray="3 3" stroke={GRID_STROKE} vertical={false} />
          <XAxis dataKey="day" tick={AXIS_TICK} tickFormatter={(d: string) => formatDay(d)} minTickGap={24} />
          <YAxis domain={[floor, 100]} ticks={ticks} tickFormatter={(v: number) => `${v}%`} tick={AXIS_TICK} width={56} label={{ value: "Succeeded", angle: -90, position: "insideLeft", style: AXIS_LABEL, dy: 30 }} />
          <Tooltip content={JobTooltip} />
          <Line type="monotone" dataKey="ratePct" name="Success rate" stroke={SERIES_COLORS.line} strokeWidth={2} dot={data.length <= 31} connectNulls={false} isAnimationActive={false} />
        </LineChart>
      </ResponsiveContainer>
    </div>
  );
}
