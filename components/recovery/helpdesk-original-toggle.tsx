"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useTRPC } from "@/components/trpc/trpc-provider";
import { messageOf } from "@/components/trpc/errors";

/** Admins choose whether help desk may restore to the original location (DPM: recovery operators restore elsewhere). */
export function HelpdeskOriginalToggle() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const settings = useQuery(trpc.recovery.settings.queryOptions());
  const update = useMutation(
    trpc.recovery.updateSettings.mutationOptions({
      onSuccess: () => queryClient.invalidateQueries({ queryKey: trpc.recovery.settings.queryKey() }),
    }),
  );
  if (!settings.data) return null;
  return (
    <label className="flex items-start gap-2 text-sm text-slate-700">
      <input
        type="checkbox"
        className="mt-0.5"
        checked={settings.data.helpdeskMayRestoreToOriginal}
        disabled={update.isPending}
        onChange={(e) => update.mutate({ helpdeskMayRestoreToOriginal: e.target.checked })}
      />
      <span>
        Help desk may restore to the original location
        <span className="block text-xs text-slate-500">Off: help desk restores to an alternate folder only. Databases always go to an alternate folder.</span>
        {update.isError && <span className="block text-xs text-red-700">{messageOf(update.error)}</span>}
      </span>
    </label>
  );
}
