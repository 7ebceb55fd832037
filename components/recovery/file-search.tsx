"use client";

import { useEffect, useRef, useState } from "react";
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useTRPC } from "@/components/trpc/trpc-provider";
import { Card } from "@/components/ui/card";
import { SelectField, TextField } from "@/components/ui/field";
import { Notice } from "@/components/ui/notice";
import { Td, Th } from "@/components/ui/table";
import { formatDateTime } from "@/components/ui/format";
import { messageOf } from "@/components/trpc/errors";
import { VersionTimeline } from "./version-timeline";
import { sourceRef, type RecoverableSource, type RestoreDraft, type SearchHit } from "./types";

const LIMIT = 100;

/** Search file names across the recovery points of one data source or of all, then a file's versions. */
export function FileSearch({ sources, canRestore, onRestore }: { sources: RecoverableSource[]; canRestore: boolean; onRestore: (d: RestoreDraft) => void }) {
  const trpc = useTRPC();
  const [text, setText] = useState("");
  const [query, setQuery] = useState("");
  const [scope, setScope] = useState("");
  const [picked, setPicked] = useState<SearchHit | null>(null);
  const timelineRef = useRef<HTMLDivElement>(null);

  useEffect(() => {
    const t = setTimeout(() => setQuery(text.trim()), 300);
    return () => clearTimeout(t);
  }, [text]);

  const hits = useQuery({
    ...trpc.recovery.search.queryOptions({ query, dataSourceId: scope ? Number(scope) : undefined, limit: LIMIT }),
    enabled: query.length > 0,
    placeholderData: keepPreviousData,
  });

  const pick = (h: SearchHit) => {
    setPicked(h);
    requestAnimationFrame(() => timelineRef.current?.scrollIntoView({ behavior: "smooth", block: "start" }));
  };

  return (
    <div className="space-y-6">
      <Card>
        <form
          role="search"
          onSubmit={(e) => {
            e.preventDefault();
            setQuery(text.trim());
          }}
          className="grid gap-4 sm:grid-cols-[minmax(0,2fr)_minmax(0,1fr)]"
        >
          <TextField
            label="File name or path"
            type="search"
            value={text}
            onChange={(e) => setText(e.target.value)}
            placeholder="e.g. budget or reports/q3"
            hint="Part of a name or path, in any recovery point. Words of three letters or more use the search index; several words must all match."
            autoFocus
          />
          <SelectField label="Look in" value={scope} onChange={(e) => setScope(e.target.value)}>
            <option value="">All data sources</option>
            {sources.map((s) => {
              const r = sourceRef(s);
              return (
                <option key={s.id} value={s.id}>
                  {r.computer} › {r.label}
                  {s.originServer !== null && ` (copy of ${s.originServer})`}
                </option>
              );
            })}
          </SelectField>
        </form>
      </Card>

      {query.length === 0 ? null : hits.isError ? (
        <Notice tone="error">{messageOf(hits.error)}</Notice>
      ) : hits.isPending ? (
        <p className="text-sm text-slate-500">Searching…</p>
      ) : hits.data.length === 0 ? (
        <Notice tone="info">
          No file in {scope ? "this data source's" : "any"} recovery points matches “{query}”. Try part of the name, or look in all data sources.
        </Notice>
      ) : (
        <div className="space-y-2">
          <p className="text-sm text-slate-600" aria-live="polite">
            {hits.data.length === LIMIT ? `The first ${LIMIT} matches; add words to narrow the search.` : `${hits.data.length} file${hits.data.length === 1 ? "" : "s"} match “${query}”.`} Pick one
            to see its versions.
          </p>
          <div className="overflow-x-auto rounded-lg border border-slate-200 bg-white shadow-sm">
            <table aria-label="Matching files" className="min-w-full divide-y divide-slate-200 text-sm">
              <thead>
                <tr>
                  <Th className="w-full">File</Th>
                  <Th>Computer › data source</Th>
                  <Th className="text-right">Versions</Th>
                  <Th>Latest version in</Th>
                </tr>
              </thead>
              <tbody className="divide-y divide-slate-100">
                {hits.data.map((h) => (
                  <tr key={h.fileId} className={picked?.fileId === h.fileId ? "bg-brand-50" : "hover:bg-slate-50"}>
                    <Td className="max-w-0 whitespace-normal">
                      <button type="button" onClick={() => pick(h)} aria-pressed={picked?.fileId === h.fileId} className="break-all text-left font-medium text-brand-700 hover:underline">
                        {h.path}
                      </button>
                    </Td>
                    <Td>
                      {h.computer} <span className="text-slate-400">›</span> {h.source}
                    </Td>
                    <Td className="text-right tabular-nums">{h.versions}</Td>
                    <Td>{formatDateTime(h.latestAt)}</Td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </div>
      )}

      <div ref={timelineRef} className="scroll-mt-6">
        {picked && <VersionTimeline key={picked.fileId} hit={picked} sources={sources} canRestore={canRestore} onRestore={onRestore} />}
      </div>
    </div>
  );
}
