"use client";

import { useQuery } from "@tanstack/react-query";
import { useTRPC } from "@/components/trpc/trpc-provider";
import { Card } from "@/components/ui/card";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Notice } from "@/components/ui/notice";
import { Skeleton } from "@/components/ui/skeleton";
import { formatBytes, formatDateTime } from "@/components/ui/format";
import { messageOf } from "@/components/trpc/errors";
import type { RecoverableSource, RestoreDraft, SearchHit } from "./types";

/** Every version of one file, newest first: when it was in the recovery points, its size and time, and a restore. */
export function VersionTimeline({ hit, sources, canRestore, onRestore }: { hit: SearchHit; sources: RecoverableSource[]; canRestore: boolean; onRestore: (d: RestoreDraft) => void }) {
  const trpc = useTRPC();
  const timeline = useQuery(trpc.recovery.fileVersions.queryOptions({ fileId: hit.fileId }));
  const known = sources.find((s) => s.id === hit.dataSourceId);
  const source = { id: hit.dataSourceId, computer: hit.computer, label: hit.source, kind: known?.kind ?? "folder", path: known?.path };

  return (
    <Card title={<span className="break-all">Versions of {hit.path}</span>}>
      <p className="-mt-1 mb-4 text-sm text-slate-600">
        On {hit.computer} › {hit.source}. A version is the file&apos;s content as long as it stayed the same from one recovery point to the next; newest first.
      </p>
      {timeline.isPending ? (
        <Skeleton rows={2} />
      ) : timeline.isError ? (
        <Notice tone="error">{messageOf(timeline.error)}</Notice>
      ) : timeline.data.versions.length === 0 ? (
        <Notice tone="info">No recovery point holds this file any more: the ones that did have expired.</Notice>
      ) : (
        <ol aria-label="Versions" className="relative space-y-4 border-l-2 border-slate-200 pl-6">
          {timeline.data.versions.map((v, i) => {
            const n = timeline.data.versions.length - i;
            const single = v.firstAt.getTime() === v.lastAt.getTime();
            return (
              <li key={v.id} className="relative">
                <span aria-hidden className={`absolute -left-[1.95rem] top-1.5 h-3.5 w-3.5 rounded-full border-2 border-white ${i === 0 ? "bg-brand-600" : "bg-slate-400"}`} />
                <div className="flex flex-wrap items-start justify-between gap-3 rounded-md border border-slate-200 px-4 py-3">
                  <div className="min-w-0 space-y-1 text-sm">
                    <p className="flex items-center gap-2 font-semibold text-slate-900">
                      Version {n} {i === 0 && <Badge tone="info">newest</Badge>}
                    </p>
                    <p className="text-slate-700">
                      {single ? (
                        <>In the recovery point of {formatDateTime(v.firstAt)}</>
                      ) : (
                        <>
                          From {formatDateTime(v.firstAt)} to {formatDateTime(v.lastAt)}
                        </>
                      )}{" "}
                      <span className="text-slate-500">
                        ({v.points} recovery point{v.points === 1 ? "" : "s"})
                      </span>
                    </p>
                    <p className="text-slate-600">
                      {formatBytes(v.size)} · modified {formatDateTime(new Date(v.mtimeMs))} ·{" "}
                      <span className="font-mono text-xs text-slate-500" title={v.contentHash}>
                        {v.contentHash.slice(0, 12)}
                      </span>
                    </p>
                  </div>
                  {canRestore && (
                    <Button
                      variant={i === 0 ? "primary" : "secondary"}
                      onClick={() =>
                        onRestore({
                          source,
                          recoveryPoint: { id: v.restoreFrom, createdAt: v.lastAt },
                          what: { kind: "version", path: timeline.data.path, firstAt: v.firstAt, lastAt: v.lastAt, size: v.size, mtimeMs: v.mtimeMs },
                        })
                      }
                    >
                      Restore this version
                    </Button>
                  )}
                </div>
              </li>
            );
          })}
        </ol>
      )}
    </Card>
  );
}
