"use client";

import { useEffect, useState } from "react";
import { formatDateTime } from "@/components/ui/format";
import { formatRelative } from "./format";

/** The current time, refreshed every `everyMs`, so relative times move on by themselves. */
export function useNow(everyMs = 15_000): Date {
  const [now, setNow] = useState(() => new Date());
  useEffect(() => {
    const t = setInterval(() => setNow(new Date()), everyMs);
    return () => clearInterval(t);
  }, [everyMs]);
  return now;
}

/** "5 min ago", with the exact time on hover. */
export function RelativeTime({ date, now }: { date: Date | null | undefined; now: Date }) {
  if (!date) return <span className="text-slate-400">—</span>;
  return (
    <time dateTime={date.toISOString()} title={formatDateTime(date)} className="cursor-help underline decoration-slate-300 decoration-dotted underline-offset-2">
      {formatRelative(date, now)}
    </time>
  );
}
