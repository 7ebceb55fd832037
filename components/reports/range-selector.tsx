"use client";

export const RANGE_CHOICES = [7, 30, 90, 365] as const;
export type RangeDays = (typeof RANGE_CHOICES)[number];

/** The report's time range: the last 7, 30, 90 or 365 days. */
export function RangeSelector({ value, onChange }: { value: RangeDays; onChange: (days: RangeDays) => void }) {
  return (
    <div role="group" aria-label="Time range" className="inline-flex rounded-md shadow-sm ring-1 ring-slate-300">
      {RANGE_CHOICES.map((r) => (
        <button
          key={r}
          type="button"
          aria-pressed={value === r}
          onClick={() => onChange(r)}
          className={`px-3 py-1.5 text-sm first:rounded-l-md last:rounded-r-md focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-brand-500 ${value === r ? "bg-slate-800 text-white" : "bg-white text-slate-700 hover:bg-slate-50"}`}
        >
          {r} days
        </button>
      ))}
    </div>
  );
}
