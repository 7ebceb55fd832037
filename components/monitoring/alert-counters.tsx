"use client";

const SEVERITIES = ["critical", "warning", "info"] as const;
const LABEL = { critical: "Active critical", warning: "Active warnings", info: "Active informational" } as const;
const STYLE = {
  critical: { on: "border-red-200 bg-red-50 text-red-800", dot: "bg-red-500" },
  warning: { on: "border-amber-200 bg-amber-50 text-amber-800", dot: "bg-amber-400" },
  info: { on: "border-brand-100 bg-brand-50 text-brand-700", dot: "bg-brand-500" },
} as const;

/**
 * Active alerts by severity, at a glance; each counter filters the list to its severity.
 * `counts` are the active alerts per severity, counted by the server.
 */
export function AlertCounters({ counts, selected, onSelect }: { counts: Record<(typeof SEVERITIES)[number], number> | undefined; selected: string; onSelect: (severity: (typeof SEVERITIES)[number]) => void }) {
  return (
    <div className="mb-6 grid gap-3 sm:grid-cols-3" aria-label="Active alerts by severity" role="group">
      {SEVERITIES.map((s) => {
        const n = counts?.[s];
        const label = n === undefined ? "…" : String(n);
        const lit = (n ?? 0) > 0;
        return (
          <button
            key={s}
            type="button"
            onClick={() => onSelect(s)}
            aria-pressed={selected === s}
            data-testid={`count-${s}`}
            className={`flex items-center justify-between rounded-lg border px-4 py-3 text-left shadow-sm transition-colors hover:border-slate-300 ${lit ? STYLE[s].on : "border-slate-200 bg-white text-slate-500"} ${selected === s ? "ring-2 ring-slate-800/70" : ""}`}
          >
            <span className="flex items-center gap-2 text-sm font-medium">
              <span aria-hidden className={`h-2.5 w-2.5 rounded-full ${lit ? STYLE[s].dot : "bg-slate-300"}`} />
              {LABEL[s]}
            </span>
            <span className="text-2xl font-semibold tabular-nums">{label}</span>
          </button>
        );
      })}
    </div>
  );
}
