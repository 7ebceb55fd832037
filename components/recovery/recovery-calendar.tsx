"use client";

import { useEffect, useState } from "react";
import { useQuery } from "@tanstack/react-query";
import { useTRPC } from "@/components/trpc/trpc-provider";
import { Notice } from "@/components/ui/notice";
import { formatBytes } from "@/components/ui/format";
import { messageOf } from "@/components/trpc/errors";
import { buildMonth, dayKey, groupByDay, monthOf, monthRange, sameMonth, shiftMonth, weekdayNames, type Month } from "./calendar-month";
import type { RecoveryPointRow } from "./types";

const KIND_LABEL: Record<string, string> = { incremental: "Incremental", "express-full": "Express full", tape: "Tape" };

/**
 * DPM's recovery calendar: a month with the days that have recovery points in bold, then the
 * times of the chosen day. Opens on the month of the latest recovery point and picks it.
 */
export function RecoveryCalendar({
  sourceId,
  latest,
  selected,
  onSelect,
}: {
  sourceId: number;
  latest: Date | null;
  selected: RecoveryPointRow | null;
  onSelect: (rp: RecoveryPointRow | null) => void;
}) {
  const trpc = useTRPC();
  const [month, setMonth] = useState<Month>(() => monthOf(latest ?? new Date()));
  const [day, setDay] = useState<string | null>(null);
  const points = useQuery(trpc.recovery.recoveryPoints.queryOptions({ dataSourceId: sourceId, ...monthRange(month) }));

  // Nothing chosen yet: the newest recovery point of the month shown (at first, the latest of all).
  useEffect(() => {
    const last = points.data?.at(-1);
    if (selected || !last) return;
    setDay(dayKey(last.createdAt));
    onSelect(last);
  }, [points.data, selected, onSelect]);

  const byDay = groupByDay(points.data ?? []);
  const weeks = buildMonth(month, points.data ?? []);
  const chosenDay = day ?? (selected ? dayKey(selected.createdAt) : null);
  const dayPoints = chosenDay ? (byDay.get(chosenDay) ?? []) : [];
  const monthLabel = new Date(month.year, month.month, 1).toLocaleDateString(undefined, { month: "long", year: "numeric" });
  const today = dayKey(new Date());
  const latestMonth = latest ? monthOf(latest) : null;

  const go = (m: Month) => {
    setMonth(m);
    setDay(null);
  };

  return (
    <div className="flex flex-col gap-5 sm:flex-row">
      <div className="w-72 shrink-0">
        <div className="mb-2 flex items-center justify-between">
          <button type="button" onClick={() => go(shiftMonth(month, -1))} aria-label="Previous month" className="rounded-md p-1.5 text-slate-600 hover:bg-slate-100">
            <svg aria-hidden viewBox="0 0 20 20" className="h-4 w-4" fill="none" stroke="currentColor" strokeWidth="2">
              <path d="M12 4l-6 6 6 6" />
            </svg>
          </button>
          <h3 aria-live="polite" className="text-sm font-semibold text-slate-800">
            {monthLabel}
          </h3>
          <button type="button" onClick={() => go(shiftMonth(month, 1))} aria-label="Next month" className="rounded-md p-1.5 text-slate-600 hover:bg-slate-100">
            <svg aria-hidden viewBox="0 0 20 20" className="h-4 w-4" fill="none" stroke="currentColor" strokeWidth="2">
              <path d="M8 4l6 6-6 6" />
            </svg>
          </button>
        </div>
        <table aria-label={`Recovery points in ${monthLabel}`} aria-busy={points.isPending} className="w-full table-fixed text-center text-sm">
          <thead>
            <tr>
              {weekdayNames(undefined).map((w) => (
                <th key={w} scope="col" className="pb-1 text-xs font-medium text-slate-500">
                  {w}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {weeks.map((week) => (
              <tr key={week[0]!.key}>
                {week.map((d) => (
                  <td key={d.key} className="p-0.5">
                    {!d.inMonth ? (
                      <span className="block py-1.5 text-slate-300">{d.day}</span>
                    ) : d.count === 0 ? (
                      <span className={`block rounded-md py-1.5 text-slate-500 ${d.key === today ? "ring-1 ring-slate-300" : ""}`}>{d.day}</span>
                    ) : (
                      <button
                        type="button"
                        aria-pressed={d.key === chosenDay}
                        aria-label={`${d.date.toLocaleDateString(undefined, { weekday: "long", month: "long", day: "numeric", year: "numeric" })}: ${d.count} recovery point${d.count === 1 ? "" : "s"}`}
                        onClick={() => setDay(d.key)}
                        className={`relative block w-full rounded-md py-1.5 font-bold ${d.key === chosenDay ? "bg-brand-600 text-white" : "bg-brand-50 text-brand-700 hover:bg-brand-100"} ${d.key === today ? "ring-1 ring-brand-500" : ""}`}
                      >
                        {d.day}
                        <span aria-hidden className={`absolute bottom-0.5 left-1/2 h-1 w-1 -translate-x-1/2 rounded-full ${d.key === chosenDay ? "bg-white" : "bg-brand-500"}`} />
                      </button>
                    )}
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
        <p className="mt-2 text-xs text-slate-500">Days in bold have recovery points.</p>
        {latestMonth && !sameMonth(latestMonth, month) && (
          <button
            type="button"
            onClick={() => {
              go(latestMonth);
              onSelect(null);
            }}
            className="mt-1 text-xs font-medium text-brand-700 hover:underline"
          >
            Go to the latest recovery point
          </button>
        )}
      </div>
      <div className="min-w-0 flex-1">
        {points.isError ? (
          <Notice tone="error">{messageOf(points.error)}</Notice>
        ) : points.isPending ? (
          <p className="text-sm text-slate-500">Loading recovery points…</p>
        ) : points.data.length === 0 ? (
          <p className="text-sm text-slate-600">No recovery points in {monthLabel}. Use the arrows to go to another month.</p>
        ) : !chosenDay || dayPoints.length === 0 ? (
          <p className="text-sm text-slate-600">Pick a day in bold to see its recovery points.</p>
        ) : (
          <>
            <h3 className="mb-2 text-sm font-semibold text-slate-800">
              {new Date(dayPoints[0]!.createdAt).toLocaleDateString(undefined, { weekday: "long", month: "long", day: "numeric" })}: pick a time
            </h3>
            <ul aria-label="Recovery points on this day" className="max-h-64 space-y-1 overflow-y-auto">
              {[...dayPoints].reverse().map((rp) => (
                <li key={rp.id}>
                  <button
                    type="button"
                    aria-pressed={rp.id === selected?.id}
                    onClick={() => onSelect(rp)}
                    className={`block w-full rounded-md px-3 py-1.5 text-left text-sm ${rp.id === selected?.id ? "bg-brand-600 text-white" : "text-slate-700 ring-1 ring-inset ring-slate-200 hover:bg-slate-50"}`}
                  >
                    <span className="block whitespace-nowrap font-medium tabular-nums">{rp.createdAt.toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit", second: "2-digit" })}</span>
                    <span className={`block text-xs ${rp.id === selected?.id ? "text-brand-50" : "text-slate-500"}`}>
                      {KIND_LABEL[rp.kind] ?? rp.kind} · {rp.files} file{rp.files === 1 ? "" : "s"} · {formatBytes(rp.sizeBytes)}
                    </span>
                  </button>
                </li>
              ))}
            </ul>
          </>
        )}
      </div>
    </div>
  );
}
