import Link from "next/link";
import { KIND_LABEL } from "./status-badges";
import type { Computer } from "./types";

/** DPM's "Select group members": data sources grouped by computer; a source in another group is shown, disabled. */
export function MembersStep({
  computers,
  selected,
  onToggle,
  groupId,
  errors,
}: {
  computers: Computer[];
  selected: ReadonlySet<number>;
  onToggle: (id: number) => void;
  /** In edit mode: this group's id (its members are shown checked and fixed). */
  groupId?: number;
  errors?: string[];
}) {
  const withSources = computers.filter((c) => c.sources.length > 0);
  if (withSources.length === 0) {
    return (
      <p className="text-sm text-slate-600">
        No data sources are known yet. Pair a computer&apos;s protection agent on the <Link href="/protection" className="text-brand-700 underline">Protection page</Link>; its
        folders and databases then appear here.
      </p>
    );
  }
  return (
    <div className="space-y-4">
      <p className="text-sm text-slate-600">
        Choose the folders and databases this group protects. A data source belongs to one group; to move one, remove it from its group first.
      </p>
      {errors?.length ? (
        <p role="alert" className="text-sm text-red-700">
          {errors.join(" ")}
        </p>
      ) : null}
      {withSources.map((c) => (
        <fieldset key={c.id} className="rounded-md border border-slate-200 p-4">
          <legend className="px-1 text-sm font-semibold text-slate-800">{c.name}</legend>
          <ul className="space-y-1.5">
            {c.sources.map((s) => {
              const own = groupId !== undefined && s.groupId === groupId;
              const elsewhere = s.groupId !== null && !own;
              const disabled = own || elsewhere || !s.present;
              return (
                <li key={s.id}>
                  <label className={`flex items-start gap-2.5 text-sm ${disabled ? "text-slate-400" : "cursor-pointer text-slate-800"}`}>
                    <input type="checkbox" className="mt-0.5" checked={own || selected.has(s.id)} disabled={disabled} onChange={() => onToggle(s.id)} />
                    <span>
                      <span className="font-medium">{s.name}</span> <span className="text-slate-500">{KIND_LABEL[s.kind]}</span>
                      <span className="block font-mono text-xs text-slate-500">{s.path}</span>
                    </span>
                    {own && <span className="ml-auto text-xs text-slate-500">in this group</span>}
                    {elsewhere && <span className="ml-auto text-xs text-slate-500">in group {s.group}</span>}
                    {!s.present && !own && !elsewhere && <span className="ml-auto text-xs text-red-700">not found on the computer</span>}
                  </label>
                </li>
              );
            })}
          </ul>
        </fieldset>
      ))}
    </div>
  );
}
