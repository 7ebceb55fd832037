/**
 * A progress bar: the share done when the total is known, otherwise an indeterminate bar
 * that only says work is going on (with what was done so far beside it).
 */
const INDETERMINATE_CSS = `@keyframes custodian-indeterminate{0%{transform:translateX(-100%)}100%{transform:translateX(300%)}}
.custodian-indeterminate{animation:custodian-indeterminate 1.4s ease-in-out infinite}
@media (prefers-reduced-motion:reduce){.custodian-indeterminate{animation:none;width:100%;opacity:.4}}`;

export function ProgressBar({ fraction, label }: { fraction: number | null; label: string }) {
  const known = fraction !== null;
  return (
    <div
      role="progressbar"
      aria-label={label}
      aria-valuemin={known ? 0 : undefined}
      aria-valuemax={known ? 100 : undefined}
      aria-valuenow={known ? Math.round(fraction * 100) : undefined}
      className="relative h-2 w-full overflow-hidden rounded-full bg-slate-200"
    >
      {known ? (
        <div className="h-full rounded-full bg-brand-600 transition-[width] duration-700" style={{ width: `${Math.max(2, fraction * 100)}%` }} />
      ) : (
        <>
          <style href="custodian-indeterminate" precedence="default">
            {INDETERMINATE_CSS}
          </style>
          <div className="custodian-indeterminate absolute inset-y-0 left-0 w-1/3 rounded-full bg-brand-500" />
        </>
      )}
    </div>
  );
}
