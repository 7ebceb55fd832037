"use client";

import { useState } from "react";
import { useMutation } from "@tanstack/react-query";
import { useTRPC } from "@/components/trpc/trpc-provider";
import { fieldErrorsOf, messageOf } from "@/components/trpc/errors";
import { Modal } from "@/components/ui/modal";
import { Button } from "@/components/ui/button";
import { Notice } from "@/components/ui/notice";
import type { LinkDetail, RemoveLinkOutcome } from "./types";

type Copies = "keep" | "delete";

const COPY_CHOICES: { value: Copies; label: string; help: (primary: string) => string }[] = [
  {
    value: "keep",
    label: "Keep the copies",
    help: (p) => `${p}'s recovery points and catalog copies stay on this server, read-only: they can still be restored (to a folder on this server) and expire under their retention.`,
  },
  { value: "delete", label: "Delete the copies", help: (p) => `${p}'s data sources, recovery points and catalog copies are removed from this server now; a prune job frees their space.` },
];

/** The primary's sources protected by the secondary after a switch, as this end of the link knows them. */
export function switchedSources(link: LinkDetail) {
  return link.role === "secondary" ? link.sources.filter((s) => s.protectedHere) : link.sources.filter((s) => s.switch.kind !== "primary");
}

/** DPM's "stop protection" of a primary, from either end: what it does, the secondary's copies kept or deleted, then done. */
export function RemoveLinkDialog({ link, onClose, onRemoved }: { link: LinkDetail; onClose: () => void; onRemoved: (outcome: RemoveLinkOutcome) => void }) {
  const trpc = useTRPC();
  const [copies, setCopies] = useState<Copies | null>(null);
  const remove = useMutation(trpc.servers.removeLink.mutationOptions({ onSuccess: onRemoved }));
  const onSecondary = link.role === "secondary";
  const { primary, secondary } = link;
  const peer = onSecondary ? primary : secondary;
  const switched = switchedSources(link);
  const copiesErrors = remove.error ? fieldErrorsOf(remove.error).copies : undefined;
  return (
    <Modal
      title={`Remove the link ${primary.name} → ${secondary.name}`}
      subtitle={onSecondary ? `This server stops protecting ${primary.name}` : `${secondary.name} stops protecting this server`}
      onClose={onClose}
      footer={
        <>
          <Button variant="ghost" onClick={onClose}>
            Cancel
          </Button>
          <Button variant="danger" disabled={remove.isPending} onClick={() => remove.mutate({ primaryId: primary.id, secondaryId: secondary.id, ...(copies && { copies }) })}>
            {remove.isPending ? "Removing…" : "Remove link"}
          </Button>
        </>
      }
    >
      <div className="space-y-4 text-sm text-slate-700">
        {switched.length > 0 && (
          <Notice tone="warning">
            Protection of {switched.length} of {primary.name}&apos;s data source{switched.length > 1 ? "s" : ""} is switched to {secondary.name}. The link cannot be removed until{" "}
            {primary.name} takes ownership of {switched.length > 1 ? "them" : "it"} back: otherwise nobody would protect {switched.length > 1 ? "them" : "it"}.
          </Notice>
        )}
        <ul className="list-inside list-disc space-y-1">
          <li>
            {onSecondary ? `This server no longer copies ${primary.name}'s` : `${secondary.name} no longer copies this server's`} catalog and replicas and can no longer
            switch protection to itself: the link&apos;s scheduled catalog copies and replications stop, and one that is running is cancelled.
          </li>
          <li>{onSecondary ? `${primary.name}'s protection agents drop this server` : `This server's protection agents drop ${secondary.name}`} from their standby servers.</li>
          <li>
            {peer.name} is told and removes its half of the link. If it cannot be reached, this server removes its half anyway and {peer.name}&apos;s admin removes the other
            half there.
          </li>
          <li>
            {onSecondary
              ? `Nothing of ${primary.name}'s own data is touched. ${primary.name} can then be protected by another server.`
              : "Nothing of this server's own data is touched. This server can then be protected by another server."}
          </li>
        </ul>
        {onSecondary ? (
          <fieldset className="space-y-2" aria-describedby={copiesErrors ? "copies-errors" : undefined}>
            <legend className="mb-1 font-semibold text-slate-800">The copies of {primary.name} on this server</legend>
            {COPY_CHOICES.map((c) => (
              <label key={c.value} className="flex cursor-pointer gap-3 rounded-md border border-slate-200 px-3 py-2 hover:bg-slate-50 has-[:checked]:border-brand-300 has-[:checked]:bg-brand-50">
                <input type="radio" name="copies" className="mt-1" checked={copies === c.value} onChange={() => setCopies(c.value)} />
                <span>
                  <span className="block font-medium text-slate-900">{c.label}</span>
                  <span className="block text-slate-600">{c.help(primary.name)}</span>
                </span>
              </label>
            ))}
            {copiesErrors && (
              <p id="copies-errors" className="text-sm text-red-700">
                {copiesErrors.join(" ")}
              </p>
            )}
          </fieldset>
        ) : (
          <p>{secondary.name} keeps the copies it holds of this server&apos;s catalog and recovery points; its admin can delete them there.</p>
        )}
        {remove.error && !copiesErrors && <Notice tone="error">{messageOf(remove.error)}</Notice>}
      </div>
    </Modal>
  );
}
