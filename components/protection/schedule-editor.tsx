"use client";

import { useId } from "react";
import { ScheduleDays } from "./schedule-days";
import type { Weekday } from "./types";

function Errors({ id, messages }: { id: string; messages?: string[] }) {
  if (!messages?.length) return null;
  return (
    <p id={id} role="alert" className="text-sm text-red-700">
      {messages.join(" ")}
    </p>
  );
}

/** Days of the week × times of day (a recovery-point or express-full schedule), with each part's issues under it. */
export function ScheduleEditor({
  legend,
  what,
  value,
  onChange,
  weekdays,
  maxTimes,
  errors,
}: {
  legend: string;
  /** "recovery point", for the controls' names. */
  what: string;
  value: { days: Weekday[]; times: string[] };
  onChange: (v: { days: Weekday[]; times: string[] }) => void;
  weekdays: readonly Weekday[];
  maxTimes: number;
  errors: { general?: string[]; days?: string[]; times?: string[] };
}) {
  const id = useId();
  const setTime = (i: number, t: string) => onChange({ ...value, times: value.times.map((x, j) => (j === i ? t : x)) });
  return (
    <fieldset className="space-y-3 rounded-md border border-slate-200 p-4">
      <legend className="px-1 text-sm font-medium text-slate-800">{legend}</legend>
      <Errors id={`${id}-general`} messages={errors.general} />
      <ScheduleDays label={`Days for ${what}s`} weekdays={weekdays} value={value.days} onChange={(days) => onChange({ ...value, days })} errors={errors.days} />
      <div role="group" aria-label={`Times for ${what}s`} className="space-y-1">
        <p className="text-xs font-medium uppercase tracking-wide text-slate-500">
          Times of day <span className="font-normal normal-case">(at most {maxTimes})</span>
        </p>
        <div className="flex flex-wrap items-center gap-2">
          {value.times.map((t, i) => (
            <span key={i} className="inline-flex items-center rounded-md ring-1 ring-inset ring-slate-300">
              <input
                type="time"
                aria-label={`${what[0]!.toUpperCase()}${what.slice(1)} time ${i + 1}`}
                value={t}
                onChange={(e) => setTime(i, e.target.value)}
                className="rounded-l-md border-0 bg-transparent px-2 py-1 text-sm focus:ring-2 focus:ring-brand-500"
              />
              <button
                type="button"
                aria-label={`Remove ${what} time ${t || i + 1}`}
                onClick={() => onChange({ ...value, times: value.times.filter((_, j) => j !== i) })}
                className="px-2 py-1 text-slate-400 hover:text-red-700"
              >
                ×
              </button>
            </span>
          ))}
          <button
            type="button"
            disabled={value.times.length >= maxTimes}
            onClick={() => onChange({ ...value, times: [...value.times, nextTime(value.times)] })}
            className="rounded-md px-2.5 py-1 text-sm text-brand-700 ring-1 ring-inset ring-brand-100 hover:bg-brand-50 disabled:cursor-not-allowed disabled:text-slate-400"
          >
            Add a time
          </button>
        </div>
        <Errors id={`${id}-times`} messages={errors.times} />
      </div>
    </fieldset>
  );
}

/** A sensible next time: two hours after the latest one, or 08:00. */
function nextTime(times: string[]): string {
  const valid = times.filter((t) => /^\d\d:\d\d$/.test(t)).sort();
  if (!valid.length) return "08:00";
  const [h, m] = valid.at(-1)!.split(":").map(Number) as [number, number];
  return `${String((h + 2) % 24).padStart(2, "0")}:${String(m).padStart(2, "0")}`;
}
