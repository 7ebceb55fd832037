"use client";

import { useEffect, useState, type FormEvent } from "react";
import Link from "next/link";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useTRPC } from "@/components/trpc/trpc-provider";
import { fieldErrorsOf, messageOf } from "@/components/trpc/errors";
import { TextField } from "@/components/ui/field";
import { Button } from "@/components/ui/button";
import { Notice } from "@/components/ui/notice";
import { formatBytes, formatDateTime } from "@/components/ui/format";
import { ProgressBar } from "@/components/monitoring/progress-bar";
import { AuthFrame } from "./auth-frame";

/** The ticket of a running rebuild survives a reload of the page (not the browser's session). */
const TICKET_KEY = "custodian.rebuild-ticket";
const STEPS = [
  { step: "secondary", label: "Contact the secondary" },
  { step: "token", label: "Redeem the rebuild token and take the primary's agents" },
  { step: "catalog", label: "Copy, verify and restore the catalog" },
  { step: "replicas", label: "Restore the recovery points" },
  { step: "done", label: "Restart on the rebuilt catalog" },
] as const;

/**
 * Rebuild a lost primary from its secondary, on a new server (SPEC §4): pre-checks, then the
 * rebuild with its progress, then the report. The server restarts on the rebuilt catalog at
 * the end; the page keeps polling through the restart.
 */
export function RebuildWizard() {
  const [ticket, setTicket] = useState<string | null>(null);
  const [loaded, setLoaded] = useState(false);
  useEffect(() => {
    setTicket(sessionStorage.getItem(TICKET_KEY));
    setLoaded(true);
  }, []);
  const remember = (t: string | null) => {
    if (t) sessionStorage.setItem(TICKET_KEY, t);
    else sessionStorage.removeItem(TICKET_KEY);
    setTicket(t);
  };
  return (
    <AuthFrame
      wide
      title="Rebuild a lost server"
      subtitle="This new server takes the identity of a lost primary: its catalog, its recovery points and its agents come from the secondary that protected it."
    >
      {!loaded ? null : ticket ? <RebuildProgress ticket={ticket} onRestart={() => remember(null)} /> : <RebuildForm onStarted={remember} />}
    </AuthFrame>
  );
}

function CheckMark({ ok }: { ok: boolean }) {
  return ok ? (
    <span aria-label="passed" className="mt-0.5 inline-flex h-5 w-5 shrink-0 items-center justify-center rounded-full bg-green-100 text-xs font-bold text-green-700">
      ✓
    </span>
  ) : (
    <span aria-label="failed" className="mt-0.5 inline-flex h-5 w-5 shrink-0 items-center justify-center rounded-full bg-red-100 text-xs font-bold text-red-700">
      ✕
    </span>
  );
}

function RebuildForm({ onStarted }: { onStarted: (ticket: string) => void }) {
  const trpc = useTRPC();
  const fresh = useQuery(trpc.rebuild.fresh.queryOptions());
  const [form, setForm] = useState({ secondaryUrl: "", token: "", url: "" });
  const [checkedFor, setCheckedFor] = useState<string | null>(null);
  useEffect(() => setForm((f) => (f.url ? f : { ...f, url: window.location.origin })), []);
  const check = useMutation(trpc.rebuild.check.mutationOptions({ onSuccess: () => setCheckedFor(JSON.stringify(form)) }));
  const start = useMutation(trpc.rebuild.start.mutationOptions({ onSuccess: (r) => onStarted(r.ticket) }));
  const set = (k: keyof typeof form) => (e: { target: { value: string } }) => setForm({ ...form, [k]: e.target.value });

  if (fresh.isPending) return <p className="text-sm text-slate-500">Checking this server…</p>;
  if (fresh.error) return <Notice tone="error">{messageOf(fresh.error)}</Notice>;
  if (fresh.data.problems.length) {
    return (
      <div className="space-y-4">
        <Notice tone="warning">
          This server cannot take a rebuilt catalog: {fresh.data.problems.join("; ")}. Start a new server on an empty data folder (
          <code>custodian serve --data NEW-FOLDER</code>) and open this page there.
        </Notice>
        <Link href="/login" className="text-sm font-medium text-brand-700 hover:underline">
          Sign in to this server instead
        </Link>
      </div>
    );
  }

  const onCheck = (e: FormEvent) => {
    e.preventDefault();
    start.reset();
    check.mutate(form);
  };
  const result = check.data && checkedFor === JSON.stringify(form) ? check.data : null;
  const ready = result !== null && result.checks.every((c) => c.ok);
  const fields = fieldErrorsOf(check.error ?? start.error);

  return (
    <div className="space-y-6">
      <section aria-labelledby="rebuild-step-1" className="space-y-2">
        <h2 id="rebuild-step-1" className="text-sm font-semibold text-slate-900">
          1. This server
        </h2>
        <ul className="space-y-1 text-sm text-slate-700">
          <li className="flex gap-2">
            <CheckMark ok /> New: no users, no protection, no recovery points, no links.
          </li>
          <li className="flex gap-2">
            <CheckMark ok /> {fresh.data.freeBytes === null ? "Free space unknown on this file system." : `${formatBytes(fresh.data.freeBytes)} free in its data folder.`}
          </li>
        </ul>
      </section>

      <form onSubmit={onCheck} method="post" noValidate className="space-y-4">
        <h2 className="text-sm font-semibold text-slate-900">2. The secondary and the rebuild token</h2>
        {(check.error || start.error) && Object.keys(fields).length === 0 && <Notice tone="error">{messageOf(check.error ?? start.error)}</Notice>}
        <TextField label="Secondary server's address" name="secondaryUrl" placeholder="http://backup2:3100" autoFocus value={form.secondaryUrl} onChange={set("secondaryUrl")} errors={fields.secondaryUrl} hint="The server that protected the lost primary." />
        <TextField
          label="Rebuild token"
          name="token"
          autoComplete="off"
          spellCheck={false}
          value={form.token}
          onChange={set("token")}
          errors={fields.token}
          hint="On the secondary: Servers → the link to the lost primary → Rebuild token. It works once, for 24 hours."
        />
        <TextField label="This server's address" name="url" value={form.url} onChange={set("url")} errors={fields.url} hint="Where the agents and the secondary will reach the rebuilt server." />
        <Button type="submit" variant={ready ? "secondary" : "primary"} disabled={check.isPending}>
          {check.isPending ? "Checking…" : "Run the pre-checks"}
        </Button>
      </form>

      {result && (
        <section aria-labelledby="rebuild-step-3" className="space-y-3">
          <h2 id="rebuild-step-3" className="text-sm font-semibold text-slate-900">
            3. Rebuild {result.primary.name} from {result.secondary.name}
          </h2>
          <ul className="space-y-1.5 text-sm text-slate-700" aria-label="Pre-checks">
            {result.checks.map((c) => (
              <li key={c.name} className="flex gap-2">
                <CheckMark ok={c.ok} />
                <span>
                  <span className="font-medium text-slate-900">{c.name}:</span> {c.detail}
                </span>
              </li>
            ))}
          </ul>
          <p className="text-sm text-slate-600">
            The rebuild restores {result.primary.name}&apos;s catalog{result.catalog ? ` of ${formatDateTime(new Date(result.catalog.takenAt))}` : ""}, then {result.recoveryPoints} recovery point(s) of {result.sources} data source(s), about {formatBytes(result.storedBytes)}; the
            agents move to this server. This server then restarts as {result.primary.name}, and you sign in with {result.primary.name}&apos;s accounts.
          </p>
          <Button disabled={!ready || start.isPending} onClick={() => start.mutate(form)}>
            {start.isPending ? "Starting…" : `Rebuild ${result.primary.name} here`}
          </Button>
          {!ready && <p className="text-sm text-red-700">Fix what the pre-checks found, then run them again.</p>}
        </section>
      )}
    </div>
  );
}

function RebuildProgress({ ticket, onRestart }: { ticket: string; onRestart: () => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  // Polls through the restart: while the server is down the last answer stays on screen.
  const status = useQuery({ ...trpc.rebuild.status.queryOptions({ ticket }), refetchInterval: (q) => (q.state.data?.state === "done" || q.state.data?.state === "failed" ? false : 1000), retry: false });
  const s = status.data;
  if (!s) {
    if (status.error) {
      return (
        <div className="space-y-3">
          <Notice tone="error">{messageOf(status.error)}</Notice>
          <Button variant="secondary" onClick={onRestart}>
            Start a new rebuild
          </Button>
        </div>
      );
    }
    return <p className="text-sm text-slate-500">Reading the rebuild&apos;s progress…</p>;
  }
  if (s.state === "done") {
    const r = s.report;
    return (
      <div className="space-y-4">
        <Notice tone="success">
          {r.primary.name} is rebuilt from its catalog of {formatDateTime(new Date(r.catalogTakenAt))} and runs on this server.
        </Notice>
        <dl className="grid grid-cols-[auto_1fr] gap-x-4 gap-y-1 text-sm">
          <dt className="text-slate-500">Recovery points</dt>
          <dd className="text-slate-900">
            {r.recoveryPointsRestored} restored, {r.recoveryPointsAdded} made since the catalog copy added, {r.recoveryPointsLost} lost (the secondary held no copy)
          </dd>
          <dt className="text-slate-500">Copied</dt>
          <dd className="text-slate-900">
            {formatBytes(r.storedBytesCopied)} from {r.secondary.name}, every chunk checked against its hash
          </dd>
          <dt className="text-slate-500">Agents</dt>
          <dd className="text-slate-900">
            {r.agents.handedOver} handed to this server, {r.agents.standby} still protected by {r.secondary.name}
            {r.agents.failed.length > 0 && `, ${r.agents.failed.length} unreachable (${r.agents.failed.map((f) => f.error).join("; ")})`}
          </dd>
          <dt className="text-slate-500">Checks</dt>
          <dd className="text-slate-900">{r.sourcesToCheck} replica(s) queued for a consistency check</dd>
          {r.peerCopiesToRecopy > 0 && (
            <>
              <dt className="text-slate-500">Other servers</dt>
              <dd className="text-slate-900">{r.peerCopiesToRecopy} recovery point(s) this server held as another server&apos;s secondary went with the lost disk: they are being copied again</dd>
            </>
          )}
        </dl>
        <div className="text-sm text-slate-700">
          <p className="font-medium text-slate-900">Next</p>
          <ul className="mt-1 list-disc space-y-1 pl-5">
            <li>Sign in with one of {r.primary.name}&apos;s accounts.</li>
            {r.agents.standby > 0 && <li>For data sources {r.secondary.name} still protects: Servers → the link → Take ownership.</li>}
            {s.aside && (
              <li>
                This server&apos;s own start-up files were kept in the data folder&apos;s <code>{s.aside}</code>: remove it when you no longer need it.
              </li>
            )}
          </ul>
        </div>
        <Button
          onClick={() => {
            sessionStorage.removeItem(TICKET_KEY);
            queryClient.clear();
            window.location.assign("/login");
          }}
        >
          Sign in to {r.primary.name}
        </Button>
      </div>
    );
  }
  const current = STEPS.findIndex((x) => x.step === s.step);
  const failed = s.state === "failed";
  const restarting = s.state === "restarting";
  return (
    <div className="space-y-4">
      <ol className="space-y-1.5 text-sm" aria-label="Rebuild steps">
        {STEPS.map((x, i) => {
          const state = i < current || (restarting && i <= current) ? "done" : i === current ? (failed ? "failed" : "running") : "pending";
          return (
            <li key={x.step} className="flex items-center gap-2" data-state={state}>
              <span
                aria-hidden
                className={`inline-flex h-5 w-5 shrink-0 items-center justify-center rounded-full text-xs font-bold ${
                  state === "done" ? "bg-green-100 text-green-700" : state === "failed" ? "bg-red-100 text-red-700" : state === "running" ? "bg-brand-100 text-brand-700" : "bg-slate-100 text-slate-400"
                }`}
              >
                {state === "done" ? "✓" : state === "failed" ? "✕" : i + 1}
              </span>
              <span className={state === "pending" ? "text-slate-500" : "text-slate-900"}>
                {x.label}
                <span className="sr-only"> ({state})</span>
              </span>
            </li>
          );
        })}
      </ol>
      {failed ? (
        <>
          <Notice tone="error">The rebuild failed: {s.error}. Nothing was changed on this server. The token is spent: ask the secondary&apos;s admin for a new one, then start again.</Notice>
          <Button variant="secondary" onClick={onRestart}>
            Start again
          </Button>
        </>
      ) : (
        <div className="space-y-2">
          <ProgressBar fraction={s.fraction} label="Rebuild progress" />
          <div className="flex flex-wrap justify-between gap-2 text-sm text-slate-600">
            <span>{restarting ? "The server is restarting on the rebuilt catalog…" : status.error ? `No answer from the server (${messageOf(status.error)}); still asking…` : s.detail}</span>
            <span>
              {Math.round(s.fraction * 100)}%{s.total ? ` · ${s.done ?? 0} of ${s.total} recovery points` : ""} · {formatBytes(s.bytesCopied)} copied
            </span>
          </div>
        </div>
      )}
      {s.log.length > 0 && (
        <details className="text-xs" open={failed}>
          <summary className="cursor-pointer text-slate-600">Log</summary>
          <pre className="mt-2 max-h-56 overflow-auto whitespace-pre-wrap rounded bg-slate-50 p-2 text-slate-700">{s.log.join("\n")}</pre>
        </details>
      )}
    </div>
  );
}
