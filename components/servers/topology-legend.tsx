import { LINK_STATES } from "./link-text";
import type { LinkState } from "./types";

/** What each arrow colour means; the same words as the links table's badges. */
export function TopologyLegend() {
  return (
    <dl aria-label="Legend" className="grid gap-x-6 gap-y-1.5 text-xs text-slate-600 sm:grid-cols-2 lg:grid-cols-3">
      {(Object.entries(LINK_STATES) as [LinkState, (typeof LINK_STATES)[LinkState]][]).map(([state, s]) => (
        <div key={state} className="flex items-start gap-2">
          <dt className="flex shrink-0 items-center gap-1.5 font-medium text-slate-800">
            <svg aria-hidden width="28" height="10" viewBox="0 0 28 10" className="mt-px">
              <line x1="1" y1="5" x2="21" y2="5" stroke={s.color} strokeWidth="2.5" strokeDasharray={s.dashed ? "4 3" : undefined} />
              <path d="M20 1 L27 5 L20 9 Z" fill={s.color} />
            </svg>
            {s.label}:
          </dt>
          <dd>{s.meaning}</dd>
        </div>
      ))}
    </dl>
  );
}
