import { formatBytes, formatDateTime } from "@/components/ui/format";
import type { RestoreDraft } from "./types";

/** What a restore brings back, in one line (the summary). */
export function WhatLine({ draft }: { draft: RestoreDraft }) {
  const w = draft.what;
  if (w.kind === "point") return <>Everything: {w.files.toLocaleString()} files, {formatBytes(w.sizeBytes)}</>;
  if (w.kind === "version")
    return (
      <span className="break-all">
        {w.path} ({formatBytes(w.size)}, modified {formatDateTime(new Date(w.mtimeMs))})
      </span>
    );
  return (
    <>
      {w.paths.length} item{w.paths.length === 1 ? "" : "s"}: <span className="break-all">{w.paths.slice(0, 3).join(", ")}</span>
      {w.paths.length > 3 && ` and ${w.paths.length - 3} more`}
    </>
  );
}

/** What a restore brings back, in full (the wizard's first step). */
export function WhatSummary({ draft }: { draft: RestoreDraft }) {
  const w = draft.what;
  if (w.kind === "point")
    return (
      <p className="text-sm text-slate-700">
        Everything in the recovery point of {formatDateTime(draft.recoveryPoint.createdAt)}: {w.files.toLocaleString()} files, {formatBytes(w.sizeBytes)}.
      </p>
    );
  if (w.kind === "version")
    return (
      <div className="space-y-1 text-sm text-slate-700">
        <p className="break-all font-medium text-slate-900">{w.path}</p>
        <p>
          The version kept from {formatDateTime(w.firstAt)} to {formatDateTime(w.lastAt)}: {formatBytes(w.size)}, modified {formatDateTime(new Date(w.mtimeMs))}.
        </p>
      </div>
    );
  const shown = w.paths.slice(0, 12);
  return (
    <div className="text-sm text-slate-700">
      <p>
        {w.paths.length} selected item{w.paths.length === 1 ? "" : "s"} (a folder brings back everything in it):
      </p>
      <ul className="mt-2 max-h-48 list-disc space-y-0.5 overflow-y-auto pl-5 font-mono text-xs">
        {shown.map((p) => (
          <li key={p} className="break-all">
            {p}
          </li>
        ))}
      </ul>
      {w.paths.length > shown.length && <p className="mt-1 text-slate-500">and {w.paths.length - shown.length} more</p>}
    </div>
  );
}
