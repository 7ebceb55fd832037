"use client";

import Link from "next/link";
import { useState, type FormEvent } from "react";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useTRPC } from "@/components/trpc/trpc-provider";
import { fieldSentencesOf, messageOf } from "@/components/trpc/errors";
import { Card } from "@/components/ui/card";
import { AddressTokenFields } from "@/components/ui/address-token-fields";
import { Button } from "@/components/ui/button";
import { Notice } from "@/components/ui/notice";
import { linkHref } from "./link-text";

const EMPTY = { url: "", token: "" };

/**
 * "Protect a primary server": this server becomes the secondary of the server at the address,
 * with the one-time token that server's admin created. Both servers check DPM's topology
 * rules; a refusal names the rule, under the field it concerns.
 */
export function LinkPrimaryForm({ selfId }: { selfId: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [form, setForm] = useState(EMPTY);
  const link = useMutation(
    trpc.servers.linkPrimary.mutationOptions({
      onSuccess: async () => {
        setForm(EMPTY);
        await queryClient.invalidateQueries(trpc.servers.pathFilter());
      },
    }),
  );
  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    link.mutate({ url: form.url.trim(), token: form.token.trim() });
  };
  const fields = fieldSentencesOf(link.error);
  const general = link.error && !fields.url?.length && !fields.token?.length ? messageOf(link.error) : null;

  return (
    <Card title="Protect a primary server">
      <form onSubmit={onSubmit} method="post" noValidate aria-label="Protect a primary server" className="space-y-4">
        <p className="text-sm text-slate-700">
          This server becomes the <strong>secondary</strong> of another Custodian server: on that server, an admin opens Servers → <em>Protect this server</em> and
          creates an enrolment token. Then you choose here what to copy of it, and how often.
        </p>
        <AddressTokenFields
          value={form}
          onChange={setForm}
          errors={fields}
          address={{ label: "Primary server's address", placeholder: "http://dpm-east:3100", hint: "The address its users open, as its Protect this server panel shows it." }}
          token={{ label: "Enrolment token", hint: "The one-time token its admin created (valid 24 h)." }}
        />
        <div className="flex flex-wrap items-center gap-3">
          <Button type="submit" disabled={link.isPending}>
            {link.isPending ? "Linking…" : "Link to primary"}
          </Button>
          {link.data && (
            <span role="status" className="text-sm text-green-700">
              This server is now the secondary of {link.data.primary.name}.{" "}
              <Link href={linkHref(link.data.primary.id, selfId)} className="font-medium underline">
                Choose what to protect
              </Link>
            </span>
          )}
        </div>
        {general && <Notice tone="error">{general}</Notice>}
      </form>
    </Card>
  );
}
