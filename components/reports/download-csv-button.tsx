"use client";

import { useState } from "react";
import { useQueryClient } from "@tanstack/react-query";
import { useTRPC } from "@/components/trpc/trpc-provider";
import { messageOf } from "@/components/trpc/errors";
import { Button } from "@/components/ui/button";
import type { RangeDays } from "./range-selector";

export type ReportDataset = "health" | "sla" | "jobs" | "storage" | "worst";

/**
 * Fetches one dataset as CSV (reports.exportCsv) and hands it to the browser as a file. The
 * byte-order mark lets spreadsheet programs read the UTF-8 names correctly.
 */
export function DownloadCsvButton({ dataset, days, what }: { dataset: ReportDataset; days: RangeDays; what: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function download() {
    setBusy(true);
    setError(null);
    try {
      const { filename, csv } = await queryClient.fetchQuery({ ...trpc.reports.exportCsv.queryOptions({ dataset, range: { days } }), staleTime: 0 });
      const url = URL.createObjectURL(new Blob(["\uFEFF", csv], { type: "text/csv;charset=utf-8" }));
      const a = document.createElement("a");
      a.href = url;
      a.download = filename;
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
    } catch (err) {
      setError(messageOf(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <span className="inline-flex items-center gap-2">
      {error && (
        <span role="alert" className="text-xs text-red-700">
          {error}
        </span>
      )}
      <Button variant="secondary" className="px-2.5 py-1 text-xs" onClick={download} disabled={busy} aria-label={`Download ${what} as CSV`}>
        <svg aria-hidden viewBox="0 0 20 20" className="h-3.5 w-3.5" fill="none" stroke="currentColor" strokeWidth="1.8">
          <path d="M10 3v10m0 0l-4-4m4 4l4-4M4 16h12" strokeLinecap="round" strokeLinejoin="round" />
        </svg>
        {busy ? "Preparing…" : "Download CSV"}
      </Button>
    </span>
  );
}
