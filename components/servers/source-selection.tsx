"use client";

import { useId } from "react";
import { Badge } from "@/components/ui/badge";
import { formatDateTime } from "@/components/ui/format";
import type { PrimarySource } from "./types";

/** The primary's protection groups, each with its sources, in the primary's order. */
export function groupSources(sources: readonly PrimarySource[]) {
  const groups = new Map<number | null, { id: number | null; name: string; sources: PrimarySource[] }>();
  for (const s of sources) {
    const g = groups.get(s.groupId) ?? { id: s.groupId, name: s.group ?? "Not in a group", sources: [] };
    g.sources.push(s);
    groups.set(s.groupId, g);
  }
  return [...groups.values()];
}

const checkbox = "h-4 w-4 rounded border-slate-300 text-brand-600 focus:ring-brand-500";

/**
 * Which of the primary's data sources this server copies: grouped by the primary's protection
 * group, with a box that selects the whole group.
 */
export function SourceSelection({
  sources,
  primaryName,
  selected,
  onChange,
  errors,
}: {
  sources: readonly PrimarySource[];
  primaryName: string;
  selected: ReadonlySet<number>;
  onChange: (next: Set<number>) => void;
  errors?: string[];
}) {
  const errorId = useId();
  const set = (ids: number[], on: boolean) => {
    const next = new Set(selected);
    for (const id of ids) if (on) next.add(id);
    else next.delete(id);
    onChange(next);
  };
  if (sources.length === 0) return <p className="text-sm text-slate-600">{primaryName} protects no data source yet: there is only its catalog to copy.</p>;
  return (
    <div className="space-y-4" aria-describedby={errors?.length ? errorId : undefined}>
      {groupSources(sources).map((g) => {
        const ids = g.sources.map((s) => s.id);
        const count = ids.filter((id) => selected.has(id)).length;
        return (
          <fieldset key={g.id ?? "none"} className="rounded-md border border-slate-200">
            <legend className="sr-only">{g.name}</legend>
            <label className="flex items-center gap-3 border-b border-slate-100 bg-slate-50 px-3 py-2 text-sm font-medium text-slate-800">
              <input
                type="checkbox"
                className={checkbox}
                aria-label={`Select all in ${g.name}`}
                checked={count === ids.length}
                ref={(el) => {
                  if (el) el.indeterminate = count > 0 && count < ids.length;
                }}
                onChange={(e) => set(ids, e.target.checked)}
              />
              <span>
                {g.name} <span className="font-normal text-slate-500">· {count} of {ids.length} selected</span>
              </span>
            </label>
            <ul className="divide-y divide-slate-100">
              {g.sources.map((s) => (
                <li key={s.id}>
                  <label className="flex items-start gap-3 px-3 py-2 text-sm">
                    <input type="checkbox" className={`${checkbox} mt-0.5`} checked={selected.has(s.id)} onChange={(e) => set([s.id], e.target.checked)} />
                    <span className="min-w-0">
                      <span className="font-medium text-slate-900">
                        {s.computer} › {s.name}
                      </span>{" "}
                      {s.switched && <Badge tone="warning">switched</Badge>}
                      {!s.switchable && <Badge>copies only</Badge>}
                      <span className="block break-all text-xs text-slate-500">
                        {s.kind === "sqlite" ? "SQLite database" : "Folder"} {s.path} · {s.recoveryPoints} recovery point{s.recoveryPoints === 1 ? "" : "s"}
                        {s.latestRecoveryPointAt && `, latest ${formatDateTime(new Date(s.latestRecoveryPointAt))}`}
                      </span>

                    </span>
                  </label>
                </li>
              ))}
            </ul>
          </fieldset>
        );
      })}
      {sources.some((s) => !s.switchable) && (
        <p className="text-xs text-slate-500">
          Copies only: the source is on {primaryName}&apos;s own computer (its built-in agent). Its recovery points are copied and can be restored from here,
          but protection of it cannot be switched to this server.
        </p>
      )}
      {errors && errors.length > 0 && (
        <p id={errorId} role="alert" className="text-sm text-red-700">
          {errors.join(" ")}
        </p>
      )}
    </div>
  );
}
