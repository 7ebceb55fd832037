"use client";

import { useQuery } from "@tanstack/react-query";
import { useTRPC } from "@/components/trpc/trpc-provider";
import type { Job } from "./types";

/** How often the Protection pages re-read replica states, recovery points and running jobs. */
export const LIVE_REFRESH_MS = 3_000;

/** Jobs that have not ended yet, grouped by protection group, refreshed while the page is open. */
export function useActiveJobs(groupId?: number) {
  const trpc = useTRPC();
  const jobs = useQuery({ ...trpc.monitoring.jobs.queryOptions({ states: ["queued", "running"], groupId, limit: 200 }), refetchInterval: LIVE_REFRESH_MS });
  const byGroup = new Map<number, Job[]>();
  for (const j of jobs.data ?? []) if (j.groupId !== null) byGroup.set(j.groupId, [...(byGroup.get(j.groupId) ?? []), j].sort((a, b) => a.id - b.id));
  return (id: number) => byGroup.get(id) ?? [];
}
