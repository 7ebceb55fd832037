"use client";

import { useState } from "react";
import { formatDateTime } from "@/components/ui/format";
import { SourceOrigin } from "./source-origin";
import { sourceRef, type RecoverableSource } from "./types";

const FILTER_FROM = 8;

/** The data sources that have recovery points, as computer › source, with how many and the latest. */
export function SourcePicker({ sources, selectedId, onSelect }: { sources: RecoverableSource[]; selectedId: number | null; onSelect: (id: number) => void }) {
  const [filter, setFilter] = useState("");
  const f = filter.trim().toLowerCase();
  const shown = f ? sources.filter((s) => `${s.computer} ${sourceRef(s).label} ${s.path}`.toLowerCase().includes(f)) : sources;
  return (
    <div className="space-y-3">
      {sources.length >= FILTER_FROM && (
        <input
          type="search"
          value={filter}
          onChange={(e) => setFilter(e.target.value)}
          placeholder="Filter by computer or data source"
          aria-label="Filter data sources"
          className="block w-full rounded-md border-0 px-3 py-1.5 text-sm shadow-sm ring-1 ring-inset ring-slate-300 placeholder:text-slate-400 focus:ring-2 focus:ring-brand-500"
        />
      )}
      <ul aria-label="Data sources" className="max-h-80 divide-y divide-slate-100 overflow-y-auto rounded-md border border-slate-200">
        {shown.map((s) => {
          const ref = sourceRef(s);
          const selected = s.id === selectedId;
          return (
            <li key={s.id}>
              <button
                type="button"
                aria-pressed={selected}
                onClick={() => onSelect(s.id)}
                className={`block w-full px-3 py-2.5 text-left text-sm ${selected ? "bg-brand-50 ring-1 ring-inset ring-brand-500" : "hover:bg-slate-50"}`}
              >
                <span className="block break-all font-medium text-slate-900">
                  {s.computer} <span className="text-slate-400">›</span> {ref.label}
                </span>
                <span className="mt-0.5 block text-xs text-slate-600">
                  {s.kind === "sqlite" ? "SQLite database" : "Folder"}
                  {ref.label !== s.path && <> {s.path}</>} · <span className="font-medium text-slate-800">{s.recoveryPoints} recovery point{s.recoveryPoints === 1 ? "" : "s"}</span> ·
                  latest {formatDateTime(s.latest)}
                </span>
                {s.originServer !== null && (
                  <span className="mt-1 block">
                    <SourceOrigin source={s} />
                  </span>
                )}
              </button>
            </li>
          );
        })}
        {shown.length === 0 && <li className="px-3 py-4 text-sm text-slate-500">No data source matches “{filter}”.</li>}
      </ul>
    </div>
  );
}
