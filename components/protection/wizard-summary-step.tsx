import { STEPS, stepOfField, type StepId } from "./policy-draft";
import { describeConsistencyCheck, describePolicy } from "./policy-summary";
import { KIND_LABEL } from "./status-badges";
import type { Computer, ShortTermPolicy } from "./types";

/** DPM's "Summary": what will be created, and anything still to fix (with a way back to it). */
export function SummaryStep({
  name,
  policy,
  members,
  computers,
  issues,
  goTo,
  mode,
}: {
  name: string;
  policy: ShortTermPolicy;
  members: number[];
  computers: Computer[];
  issues: Record<string, string[]>;
  goTo: (s: StepId) => void;
  mode: "create" | "edit";
}) {
  const chosen = computers.flatMap((c) => c.sources.filter((s) => members.includes(s.id)).map((s) => ({ ...s, computer: c.name })));
  const open = Object.entries(issues);
  return (
    <div className="space-y-5">
      {open.length > 0 && (
        <div role="alert" className="rounded-md border border-red-200 bg-red-50 px-4 py-3 text-sm text-red-800">
          <p className="font-medium">Fix these before the group can be {mode === "create" ? "created" : "saved"}:</p>
          <ul className="mt-1 list-disc space-y-1 pl-5">
            {open.flatMap(([field, messages]) =>
              messages.map((m) => (
                <li key={field + m}>
                  {m}{" "}
                  <button type="button" className="underline" onClick={() => goTo(stepOfField(field))}>
                    Go to {STEPS.find((s) => s.id === stepOfField(field))?.label}
                  </button>
                </li>
              )),
            )}
          </ul>
        </div>
      )}
      <dl className="grid gap-x-6 gap-y-3 text-sm md:grid-cols-[12rem_1fr]">
        <dt className="font-medium text-slate-500">Name</dt>
        <dd className="text-slate-900">{name.trim() || "—"}</dd>
        <dt className="font-medium text-slate-500">Members</dt>
        <dd>
          <ul className="space-y-0.5">
            {chosen.map((s) => (
              <li key={s.id}>
                <span className="font-medium text-slate-900">{s.name}</span> <span className="text-slate-500">on {s.computer} · {KIND_LABEL[s.kind]}</span>{" "}
                <span className="font-mono text-xs text-slate-500">{s.path}</span>
              </li>
            ))}
          </ul>
        </dd>
        <dt className="font-medium text-slate-500">Short-term goals</dt>
        <dd className="text-slate-900">{describePolicy(policy)}</dd>
        <dt className="font-medium text-slate-500">Consistency check</dt>
        <dd className="text-slate-900">{describeConsistencyCheck(policy.consistencyCheck)}</dd>
        <dt className="font-medium text-slate-500">Replica creation</dt>
        <dd className="text-slate-700">
          {mode === "create" ? "Now, over the network: " : "For new members, now: "}each new member&apos;s initial replica is made as soon as the group is saved; it is
          also its first recovery point.
        </dd>
      </dl>
    </div>
  );
}
