"use client";

import { useState } from "react";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useTRPC } from "@/components/trpc/trpc-provider";
import { messageOf } from "@/components/trpc/errors";
import { jobLabel } from "./job-progress";
import type { ProtectionGroup } from "./types";

export type RunKind = "synchronization" | "recovery-point" | "express-full" | "consistency-check";

export interface RunOutcome {
  tone: "success" | "warning" | "error";
  text: string;
  skipped: { name: string; reason: string }[];
}

/**
 * protection.runNow for a group or one member, and what came of it in words: which members
 * got a job, and which were skipped and why (DPM skips an inconsistent replica, for one).
 */
export function useRunNow(group: ProtectionGroup) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [outcome, setOutcome] = useState<RunOutcome | null>(null);
  const mutation = useMutation(
    trpc.protection.runNow.mutationOptions({
      onSuccess: async (r, input) => {
        const skippedIds = new Set(r.skipped.map((s) => s.dataSourceId));
        const started = group.members.filter((m) => (input.dataSourceId === undefined || m.id === input.dataSourceId) && !skippedIds.has(m.id)).map((m) => m.name);
        const what = jobLabel(input.type);
        const text = r.queued.length
          ? `${what} started for ${started.join(", ")} (${r.queued.length === 1 ? "job" : "jobs"} ${r.queued.map((id) => `#${id}`).join(", ")}).`
          : `${what}: no member could start one.`;
        setOutcome({ tone: r.skipped.length ? "warning" : "success", text, skipped: r.skipped.map((s) => ({ name: s.name, reason: s.reason })) });
        await queryClient.invalidateQueries(trpc.monitoring.jobs.pathFilter());
        await queryClient.invalidateQueries(trpc.protection.pathFilter());
      },
      onError: (e, input) => setOutcome({ tone: "error", text: `${jobLabel(input.type)} not started: ${messageOf(e)}`, skipped: [] }),
    }),
  );
  return {
    outcome,
    clear: () => setOutcome(null),
    pending: mutation.isPending,
    run: (type: RunKind, target: { groupId: number } | { dataSourceId: number }) => {
      setOutcome(null);
      mutation.mutate({ type, ...target });
    },
  };
}
