"use client";

import { useMutation } from "@tanstack/react-query";
import { useTRPC } from "@/components/trpc/trpc-provider";
import { messageOf } from "@/components/trpc/errors";
import { Button } from "@/components/ui/button";
import { Notice } from "@/components/ui/notice";
import { formatDateTime } from "@/components/ui/format";
import { useOrigin } from "./use-origin";

/**
 * On the secondary: a one-time rebuild token for a lost primary, and the two ways to rebuild it on
 * a new machine: the browser's wizard on the new server (/setup/rebuild), or `custodian rebuild`.
 */
export function RebuildTokenPanel({ primary }: { primary: { id: string; name: string; url: string } }) {
  const trpc = useTRPC();
  const selfUrl = useOrigin();
  const create = useMutation(trpc.servers.createRebuildToken.mutationOptions());
  return (
    <div className="space-y-3 text-sm text-slate-700">
      <p>
        If {primary.name} is lost for good, a new, empty server can take its identity and be rebuilt from the copies held here: its catalog, then its
        recovery points. Create a one-time token (valid 24 hours), start a new server on an empty data folder, open its set-up page and choose &quot;Rebuild it
        from its secondary&quot; (or use the commands below instead). Data sources this server protects after a switch stay here until the rebuilt{" "}
        {primary.name} takes ownership of them.
      </p>
      <Button variant="secondary" disabled={create.isPending} onClick={() => create.mutate({ primaryId: primary.id })}>
        {create.isPending ? "Creating…" : create.data ? "Create a new rebuild token" : "Create rebuild token"}
      </Button>
      {create.error && <Notice tone="error">{messageOf(create.error)}</Notice>}
      {create.data && (
        <div role="status" className="space-y-2 rounded-md border border-amber-200 bg-amber-50 p-4">
          <p className="font-medium text-amber-900">
            Rebuild token for {create.data.primary} (shown only now; expires {formatDateTime(create.data.expiresAt)}). The catalog it restores is the copy of{" "}
            {formatDateTime(create.data.snapshotTakenAt)}.
          </p>
          <p>
            In the browser: <code>custodian serve --data ./rebuilt --port {portOf(primary.url)}</code> on the new machine, then open its{" "}
            <code>/setup/rebuild</code> page with this server&apos;s address ({selfUrl || "this server's address"}) and the token. Or in a terminal:
          </p>
          <pre className="overflow-x-auto whitespace-pre-wrap break-all rounded bg-white p-3 font-mono text-xs text-slate-900 ring-1 ring-inset ring-amber-300">
            {`custodian rebuild --data ./rebuilt --secondary ${selfUrl || "<this server's address>"} --token ${create.data.token} --url ${primary.url || "<the new server's address>"}\ncustodian serve --data ./rebuilt --port ${portOf(primary.url)}`}
          </pre>
        </div>
      )}
    </div>
  );
}

function portOf(url: string): string {
  try {
    return new URL(url).port || "80";
  } catch {
    return "3000";
  }
}
