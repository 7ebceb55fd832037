"use client";

import { useState, type FormEvent } from "react";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useTRPC } from "@/components/trpc/trpc-provider";
import { codeOf, fieldSentencesOf, messageOf, sentence } from "@/components/trpc/errors";
import { AddressTokenFields } from "@/components/ui/address-token-fields";
import { Button } from "@/components/ui/button";
import { Notice } from "@/components/ui/notice";

const EMPTY = { url: "", token: "" };

/**
 * Pairs a protection agent with this server: its address and the one-time token it printed.
 * The agent's data sources are read right after, so they can be protected at once.
 */
export function PairComputerForm() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [form, setForm] = useState(EMPTY);
  const [paired, setPaired] = useState<{ name: string; sources: string[] } | null>(null);
  const refresh = useMutation(trpc.protection.refreshSources.mutationOptions());
  const pair = useMutation(
    trpc.agents.pair.mutationOptions({
      onSuccess: async (r) => {
        setPaired({ name: r.name, sources: r.sources.map((s) => `${s.name} (${s.path})`) });
        setForm(EMPTY);
        // The catalog learns an agent's sources when it next reads them: read them now.
        await refresh.mutateAsync().catch(() => undefined);
        await queryClient.invalidateQueries(trpc.protection.pathFilter());
        await queryClient.invalidateQueries(trpc.agents.pathFilter());
      },
    }),
  );
  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    setPaired(null);
    pair.mutate({ url: form.url.trim(), token: form.token.trim() });
  };
  // Zod names the field; the agent's own refusals are placed where the admin can fix them.
  const fields = fieldSentencesOf(pair.error);
  const code = codeOf(pair.error);
  if (pair.error && !fields.url && !fields.token) {
    const message = sentence(messageOf(pair.error));
    if (code === "FORBIDDEN") fields.token = [`${message} A token works once and for 24 hours; start the agent with --new-token for a fresh one.`];
    else if (code === "PRECONDITION_FAILED" && /cannot reach/.test(message)) fields.url = [`${message} Is the agent running, and is this its address?`];
  }
  const general = pair.error && !fields.url && !fields.token ? messageOf(pair.error) : null;

  return (
    <form onSubmit={onSubmit} method="post" noValidate aria-label="Pair a computer" className="space-y-4">
      <AddressTokenFields
        value={form}
        onChange={setForm}
        errors={fields}
        address={{ label: "Agent address", placeholder: "http://fileserver:3200", hint: "Where the agent listens, as it printed: “is running at …”." }}
        token={{ label: "Pairing token", hint: "The one-time token the agent printed when it started (valid 24 h)." }}
      />
      <div className="flex flex-wrap items-center gap-3">
        <Button type="submit" disabled={pair.isPending || refresh.isPending}>
          {pair.isPending ? "Pairing…" : "Pair computer"}
        </Button>
        {paired && (
          <span role="status" className="text-sm text-green-700">
            Paired with {paired.name}
            {paired.sources.length ? `: ${paired.sources.join(", ")}` : " (it declares no data sources yet)"}.
          </span>
        )}
      </div>
      {general && <Notice tone="error">{general}</Notice>}
    </form>
  );
}
