import { STEPS, type StepId } from "./policy-draft";

/** The wizard's pages down the side, as in DPM: the current one marked, visited ones reachable, ones with issues flagged. */
export function WizardSteps({ current, visited, withIssues, onSelect }: { current: StepId; visited: ReadonlySet<StepId>; withIssues: ReadonlySet<StepId>; onSelect: (s: StepId) => void }) {
  return (
    <nav aria-label="Wizard steps" className="lg:w-52 lg:shrink-0">
      <ol className="space-y-1">
        {STEPS.map((s, i) => {
          const here = s.id === current;
          return (
            <li key={s.id}>
              <button
                type="button"
                aria-current={here ? "step" : undefined}
                disabled={!visited.has(s.id)}
                onClick={() => onSelect(s.id)}
                className={`flex w-full items-center gap-2 rounded-md px-3 py-2 text-left text-sm ${here ? "bg-brand-50 font-medium text-brand-700" : "text-slate-700 hover:bg-slate-100"} disabled:cursor-default disabled:text-slate-400 disabled:hover:bg-transparent`}
              >
                <span className={`flex h-5 w-5 items-center justify-center rounded-full text-xs ${here ? "bg-brand-600 text-white" : "bg-slate-200 text-slate-600"}`}>{i + 1}</span>
                {s.label}
                {withIssues.has(s.id) && <span className="ml-auto h-2 w-2 rounded-full bg-red-500" title="has issues" aria-label="has issues" />}
              </button>
            </li>
          );
        })}
      </ol>
    </nav>
  );
}
