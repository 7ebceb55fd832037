import { DAY_NAMES } from "./policy-summary";
import type { Weekday } from "./types";

/** Day-of-week checkboxes, with their issue under them. */
export function ScheduleDays({ label, weekdays, value, onChange, errors }: { label: string; weekdays: readonly Weekday[]; value: Weekday[]; onChange: (days: Weekday[]) => void; errors?: string[] }) {
  const toggle = (d: Weekday) => onChange(value.includes(d) ? value.filter((x) => x !== d) : [...value, d]);
  return (
    <div role="group" aria-label={label} className="space-y-1">
      <p className="text-xs font-medium uppercase tracking-wide text-slate-500">Days</p>
      <div className="flex flex-wrap gap-2">
        {weekdays.map((d) => (
          <label key={d} className={`flex cursor-pointer items-center gap-1.5 rounded-md px-2.5 py-1 text-sm ring-1 ring-inset ${value.includes(d) ? "bg-brand-50 ring-brand-500" : "ring-slate-300"}`}>
            <input type="checkbox" checked={value.includes(d)} onChange={() => toggle(d)} />
            {DAY_NAMES[d]}
          </label>
        ))}
      </div>
      {errors?.length ? (
        <p role="alert" className="text-sm text-red-700">
          {errors.join(" ")}
        </p>
      ) : null}
    </div>
  );
}
