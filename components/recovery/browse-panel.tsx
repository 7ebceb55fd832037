"use client";

import { useCallback, useState } from "react";
import { Card } from "@/components/ui/card";
import { Button } from "@/components/ui/button";
import { formatBytes, formatDateTime } from "@/components/ui/format";
import { SourcePicker } from "./source-picker";
import { SourceOrigin } from "./source-origin";
import { RecoveryCalendar } from "./recovery-calendar";
import { RecoveryTree } from "./recovery-tree";
import { selectedPaths, toggle } from "./tree-selection";
import { sourceRef, type RecoverableSource, type RecoveryPointRow, type RestoreDraft } from "./types";

/** Browse: a data source, a recovery point from its calendar, then what to restore from its tree. */
export function BrowsePanel({ sources, canRestore, onRestore }: { sources: RecoverableSource[]; canRestore: boolean; onRestore: (d: RestoreDraft) => void }) {
  const [sourceId, setSourceId] = useState<number>(sources[0]!.id);
  const [rp, setRp] = useState<RecoveryPointRow | null>(null);
  const [selection, setSelection] = useState<ReadonlySet<string>>(new Set());
  const source = sources.find((s) => s.id === sourceId) ?? sources[0]!;
  const ref = sourceRef(source);

  const pickRp = useCallback((next: RecoveryPointRow | null) => {
    setRp(next);
    setSelection(new Set());
  }, []);
  const paths = selectedPaths(selection);

  return (
    <div className="space-y-6">
      <div className="grid gap-6 xl:grid-cols-[minmax(0,2fr)_minmax(0,3fr)]">
        <Card title="Data source">
          <SourcePicker
            sources={sources}
            selectedId={source.id}
            onSelect={(id) => {
              if (id === source.id) return;
              setSourceId(id);
              pickRp(null);
            }}
          />
        </Card>
        <Card
          title={
            <>
              Recovery points of {ref.computer} › {ref.label} <SourceOrigin source={source} />
            </>
          }
        >
          <RecoveryCalendar key={source.id} sourceId={source.id} latest={source.latest} selected={rp} onSelect={pickRp} />
        </Card>
      </div>
      {rp && (
        <Card
          title={`Recovery point of ${formatDateTime(rp.createdAt)}`}
          actions={
            canRestore && (
              <div className="flex gap-2">
                <Button
                  variant="secondary"
                  onClick={() => onRestore({ source: ref, recoveryPoint: { id: rp.id, createdAt: rp.createdAt }, what: { kind: "point", files: rp.files, sizeBytes: rp.sizeBytes } })}
                >
                  Restore everything…
                </Button>
                <Button disabled={paths.length === 0} onClick={() => onRestore({ source: ref, recoveryPoint: { id: rp.id, createdAt: rp.createdAt }, what: { kind: "selection", paths } })}>
                  Restore selected{paths.length ? ` (${paths.length})` : ""}…
                </Button>
              </div>
            )
          }
        >
          <p className="mb-3 text-sm text-slate-600">
            {rp.files.toLocaleString()} file{rp.files === 1 ? "" : "s"}, {formatBytes(rp.sizeBytes)}. Open folders to see inside
            {canRestore ? "; tick the files and folders to restore (a ticked folder brings back everything in it)." : "."}
            {paths.length > 0 && (
              <>
                {" "}
                <button type="button" onClick={() => setSelection(new Set())} className="font-medium text-brand-700 hover:underline">
                  Clear the selection
                </button>
              </>
            )}
          </p>
          <RecoveryTree key={rp.id} recoveryPointId={rp.id} selectable={canRestore} selection={selection} onToggle={(p) => setSelection((s) => toggle(s, p))} />
        </Card>
      )}
    </div>
  );
}
