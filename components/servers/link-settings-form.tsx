"use client";

import { useState, type FormEvent } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useTRPC } from "@/components/trpc/trpc-provider";
import { fieldSentencesOf, messageOf } from "@/components/trpc/errors";
import { Card } from "@/components/ui/card";
import { Button } from "@/components/ui/button";
import { Notice } from "@/components/ui/notice";
import { Skeleton } from "@/components/ui/skeleton";
import { SelectField, TextField } from "@/components/ui/field";
import { INTERVALS, intervalLabel } from "./link-text";
import { SourceSelection } from "./source-selection";
import type { LinkDetail, PrimarySource } from "./types";

/** A new link's defaults: DPM recommends a daily catalog copy; replicas hourly; the catalog's default retention and grace period. */
const DEFAULTS = { catalogEveryMinutes: 1440, replicaEveryMinutes: 60, catalogRetentionDays: 14, autoSwitch: false, graceMinutes: 15 };

function IntervalSelect({ label, value, onChange, errors, hint }: { label: string; value: number; onChange: (v: number) => void; errors?: string[]; hint: string }) {
  const options: number[] = INTERVALS.includes(value as (typeof INTERVALS)[number]) ? [...INTERVALS] : [...INTERVALS, value].sort((a, b) => a - b);
  return (
    <SelectField label={label} value={value} onChange={(e) => onChange(Number(e.target.value))} errors={errors} hint={hint}>
      {options.map((m) => (
        <option key={m} value={m}>
          every {intervalLabel(m)}
          {m === 1440 ? " (daily)" : ""}
        </option>
      ))}
    </SelectField>
  );
}

/** The secondary's settings for its primary: what to copy, how often, how long, and whether to switch by itself. */
export function LinkSettingsCard({ link }: { link: LinkDetail }) {
  const trpc = useTRPC();
  const sources = useQuery(trpc.servers.primarySources.queryOptions({ primaryId: link.primary.id }));
  return (
    <Card title="What this server protects of its primary">
      {sources.isPending ? (
        <Skeleton rows={3} />
      ) : sources.isError ? (
        <Notice tone="error">
          {link.primary.name}&apos;s data sources could not be read: {messageOf(sources.error)} The settings can be changed once it answers.
        </Notice>
      ) : (
        <LinkSettingsForm link={link} sources={sources.data} />
      )}
    </Card>
  );
}

function LinkSettingsForm({ link, sources }: { link: LinkDetail; sources: PrimarySource[] }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const initial = link.config ?? DEFAULTS;
  const [form, setForm] = useState({
    catalogEveryMinutes: initial.catalogEveryMinutes,
    replicaEveryMinutes: initial.replicaEveryMinutes,
    catalogRetentionDays: String(initial.catalogRetentionDays),
    autoSwitch: initial.autoSwitch,
    graceMinutes: String(initial.graceMinutes),
  });
  const [selected, setSelected] = useState<Set<number>>(() => new Set(sources.filter((s) => s.selected).map((s) => s.id)));
  const save = useMutation(
    trpc.servers.configureSecondaryProtection.mutationOptions({
      onSuccess: () => queryClient.invalidateQueries(trpc.servers.pathFilter()),
    }),
  );
  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    save.mutate({
      primaryId: link.primary.id,
      sourceIds: [...selected],
      catalogEveryMinutes: form.catalogEveryMinutes,
      replicaEveryMinutes: form.replicaEveryMinutes,
      catalogRetentionDays: Number(form.catalogRetentionDays),
      autoSwitch: form.autoSwitch,
      graceMinutes: Number(form.graceMinutes),
    });
  };
  const fields = fieldSentencesOf(save.error);
  const general = save.error && !Object.values(fields).some((v) => v?.length) ? messageOf(save.error) : null;
  const nameOf = (id: number) => {
    const s = sources.find((x) => x.id === id);
    return s ? `${s.computer} › ${s.name}` : `data source ${id}`;
  };

  return (
    <form onSubmit={onSubmit} noValidate aria-label="Secondary protection settings" className="space-y-6">
      <div className="space-y-2">
        <h3 className="text-sm font-medium text-slate-700">Data sources of {link.primary.name}</h3>
        <p className="text-xs text-slate-500">
          Their recovery points are copied here as missing chunks only, so restores work from this server too. The catalog of {link.primary.name} is copied
          whatever you select. A source you clear keeps the copies already made.
        </p>
        <SourceSelection sources={sources} primaryName={link.primary.name} selected={selected} onChange={setSelected} errors={fields.sourceIds} />
      </div>
      <div className="grid gap-4 md:grid-cols-3">
        <IntervalSelect
          label="Copy the catalog"
          value={form.catalogEveryMinutes}
          onChange={(v) => setForm({ ...form, catalogEveryMinutes: v })}
          errors={fields.catalogEveryMinutes}
          hint="DPM recommends a daily copy of the catalog."
        />
        <IntervalSelect
          label="Copy new recovery points"
          value={form.replicaEveryMinutes}
          onChange={(v) => setForm({ ...form, replicaEveryMinutes: v })}
          errors={fields.replicaEveryMinutes}
          hint="The link lags when its copies are more than two intervals old."
        />
        <TextField
          label="Keep catalog copies (days)"
          type="number"
          inputMode="numeric"
          min={1}
          max={365}
          value={form.catalogRetentionDays}
          onChange={(e) => setForm({ ...form, catalogRetentionDays: e.target.value })}
          errors={fields.catalogRetentionDays}
          hint="1 to 365 days."
        />
      </div>
      <fieldset className="space-y-3 rounded-md border border-slate-200 p-4">
        <legend className="px-1 text-sm font-medium text-slate-700">Automatic switch</legend>
        <label className="flex items-start gap-3 text-sm text-slate-700">
          <input
            type="checkbox"
            className="mt-0.5 h-4 w-4 rounded border-slate-300 text-brand-600 focus:ring-brand-500"
            checked={form.autoSwitch}
            onChange={(e) => setForm({ ...form, autoSwitch: e.target.checked })}
          />
          <span>
            Switch protection to this server by itself when {link.primary.name} stays silent longer than the grace period.
            <span className="block text-xs text-slate-500">
              Opt-in: DPM switches only when an admin asks. The grace period spans at least 3 heartbeats (one a minute), so one lost heartbeat never switches;
              the agents&apos; ownership fences off a primary that was only cut off.
            </span>
          </span>
        </label>
        <div className="max-w-xs">
          <TextField
            label="Grace period (minutes)"
            type="number"
            inputMode="numeric"
            min={3}
            max={10080}
            value={form.graceMinutes}
            onChange={(e) => setForm({ ...form, graceMinutes: e.target.value })}
            errors={fields.graceMinutes}
            hint="3 minutes to 7 days without contact; used only when the automatic switch is on."
          />
        </div>
      </fieldset>
      <div className="flex flex-wrap items-center gap-3">
        <Button type="submit" disabled={save.isPending}>
          {save.isPending ? "Saving…" : "Save settings"}
        </Button>
        {save.data && !save.isPending && (
          <span role="status" className="text-sm text-green-700">
            Saved: {save.data.selected} data source{save.data.selected === 1 ? "" : "s"} selected.
          </span>
        )}
      </div>
      {save.data && save.data.standbyFailed.length > 0 && (
        <Notice tone="warning">
          Copies are made, but {link.primary.name} could not name this server a standby on some agents, so a switch of these sources would be refused:{" "}
          {save.data.standbyFailed.map((f) => `${nameOf(f.id)} (${f.error})`).join("; ")}.
        </Notice>
      )}
      {general && <Notice tone="error">{general}</Notice>}
    </form>
  );
}
