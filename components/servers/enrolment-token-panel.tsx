"use client";

import { useState } from "react";
import { useMutation } from "@tanstack/react-query";
import { useTRPC } from "@/components/trpc/trpc-provider";
import { messageOf } from "@/components/trpc/errors";
import { Card } from "@/components/ui/card";
import { Button } from "@/components/ui/button";
import { Notice } from "@/components/ui/notice";
import { formatDateTime } from "@/components/ui/format";
import { useOrigin } from "./use-origin";

/**
 * "Protect this server": a one-time enrolment token another Custodian server presents to
 * become this server's secondary. Only its hash is kept, so it is shown once, here.
 */
export function EnrolmentTokenPanel({ protectedBy }: { protectedBy: string | null }) {
  const selfUrl = useOrigin();
  const trpc = useTRPC();
  const create = useMutation(trpc.servers.createEnrolmentToken.mutationOptions());
  const [copied, setCopied] = useState(false);
  const copy = async (token: string) => {
    try {
      await navigator.clipboard.writeText(token);
      setCopied(true);
    } catch {
      // No clipboard (plain HTTP on another host): the field is selected for a manual copy.
      document.getElementById("enrolment-token")?.focus();
    }
  };
  return (
    <Card title="Protect this server">
      <div className="space-y-4 text-sm text-slate-700">
        <p>
          Another Custodian server can be this server&apos;s <strong>secondary</strong>: it keeps copies of this server&apos;s catalog and of the replicas its
          admin selects, and can take over protection if this server is lost. Create a one-time token here, then on the other server open Servers →
          <em> Protect a primary server</em> and enter this server&apos;s address
          {selfUrl && (
            <>
              {" "}
              (<code className="rounded bg-slate-100 px-1 font-mono text-xs">{selfUrl}</code>)
            </>
          )}{" "}
          and the token.
        </p>
        {protectedBy ? (
          <Notice tone="info">
            This server is protected by {protectedBy}, and a server has one secondary at most. It can still protect other servers, {protectedBy} too (a
            mutual pair): under Protect a primary server.
          </Notice>
        ) : (
          <>
            <Button
              variant={create.data ? "secondary" : "primary"}
              disabled={create.isPending}
              onClick={() => {
                setCopied(false);
                create.mutate();
              }}
            >
              {create.isPending ? "Creating…" : create.data ? "Create a new token" : "Create enrolment token"}
            </Button>
            {create.error && <Notice tone="error">{messageOf(create.error)}</Notice>}
            {create.data && (
              <div role="status" className="space-y-2 rounded-md border border-amber-200 bg-amber-50 p-4">
                <label htmlFor="enrolment-token" className="block font-medium text-amber-900">
                  Enrolment token (shown only now)
                </label>
                <div className="flex flex-wrap items-center gap-2">
                  <input
                    id="enrolment-token"
                    readOnly
                    value={create.data.token}
                    onFocus={(e) => e.currentTarget.select()}
                    spellCheck={false}
                    className="min-w-0 flex-1 rounded-md border-0 bg-white px-3 py-2 font-mono text-sm text-slate-900 ring-1 ring-inset ring-amber-300"
                  />
                  <Button variant="secondary" onClick={() => void copy(create.data.token)}>
                    {copied ? "Copied" : "Copy"}
                  </Button>
                </div>
                <p className="text-xs text-amber-900">
                  Works once, until {formatDateTime(create.data.expiresAt)} (24 hours). A new token replaces this one; after five wrong tries it is burnt. Copy it now:
                  this server keeps only its hash.
                </p>
              </div>
            )}
          </>
        )}
      </div>
    </Card>
  );
}
