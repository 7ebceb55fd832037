"use client";

import { useState } from "react";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Table, Td, Th } from "@/components/ui/table";
import { formatDateTime } from "@/components/ui/format";
import { REPLICA_STATE, switchStateText } from "./link-text";
import { SwitchDialog, TakeOwnershipDialog, type SwitchTarget } from "./switch-dialogs";
import type { LinkDetail, LinkSource } from "./types";

const small = "px-2.5 py-1.5 text-xs";

function groupsOf(sources: LinkSource[]) {
  const groups = new Map<number | null, { id: number | null; name: string; sources: LinkSource[] }>();
  for (const s of sources) {
    const g = groups.get(s.groupId) ?? { id: s.groupId, name: s.group ?? "Not selected (the copies made so far are kept)", sources: [] };
    g.sources.push(s);
    groups.set(s.groupId, g);
  }
  // Selected groups first, the deselected copies last.
  return [...groups.values()].sort((a, b) => Number(a.id === null) - Number(b.id === null));
}

function SourceCells({ s, side }: { s: LinkSource; side: "primary" | "secondary" }) {
  const replica = REPLICA_STATE[s.replicaState] ?? { label: s.replicaState, tone: "neutral" as const };
  const sw = switchStateText(s.switch, side);
  return (
    <>
      <Td>
        <div className="max-w-72 whitespace-normal">
          <div className="font-medium text-slate-900">
            {s.computer} › {s.name}
          </div>
          <div className="break-all text-xs text-slate-500">
            {s.kind === "sqlite" ? "SQLite database" : "Folder"} {s.path}
            {!s.present && " · no longer reported by the primary"}
          </div>
        </div>
      </Td>
      <Td>
        <Badge tone={replica.tone}>{replica.label}</Badge>
      </Td>
      <Td>
        <Badge tone={sw.tone}>{sw.label}</Badge>
        {sw.detail && <div className="mt-0.5 text-xs text-slate-500">{sw.detail}</div>}
      </Td>
      <Td>
        <span className="tabular-nums">{s.recoveryPoints}</span>
        {s.latestRecoveryPointAt && <div className="text-xs text-slate-500">latest {formatDateTime(s.latestRecoveryPointAt)}</div>}
      </Td>
    </>
  );
}

const HEAD = (
  <>
    <Th>Data source</Th>
    <Th>Replica</Th>
    <Th>Switch state</Th>
    <Th>Recovery points</Th>
  </>
);

/** On the secondary: the primary's sources it holds copies of, by group, with switch protection per group and per source (admins). */
export function MirroredSources({ link, canSwitch }: { link: LinkDetail; canSwitch: boolean }) {
  const [target, setTarget] = useState<SwitchTarget | null>(null);
  if (link.sources.length === 0) return <p className="text-sm text-slate-600">No data source of {link.primary.name} is copied here yet. Select some in the settings above.</p>;
  const columns = canSwitch ? 5 : 4;
  return (
    <>
      <Table label={`Data sources of ${link.primary.name} copied here`}>
        <thead>
          <tr>
            {HEAD}
            {canSwitch && <Th className="text-right">Actions</Th>}
          </tr>
        </thead>
        {groupsOf(link.sources).map((g) => (
          <tbody key={g.id ?? "none"} className="divide-y divide-slate-100 border-t border-slate-200">
            <tr className="bg-slate-50/70">
              <td colSpan={canSwitch && g.id !== null ? columns - 1 : columns} className="px-4 py-2 text-sm font-semibold text-slate-800">
                {g.name}
              </td>
              {canSwitch && g.id !== null && (
                <td className="px-4 py-2 text-right">
                  <Button variant="danger" className={small} onClick={() => setTarget({ label: `the group ${g.name}`, groupId: g.id! })}>
                    Switch protection of group
                  </Button>
                </td>
              )}
            </tr>
            {g.sources.map((s) => (
              <tr key={s.id} className="align-top">
                <SourceCells s={s} side="secondary" />
                {canSwitch && (
                  <Td className="text-right">
                    {s.switch.kind === "primary" && (
                      <Button variant="danger" className={small} aria-label={`Switch protection of ${s.computer} › ${s.name}`} onClick={() => setTarget({ label: `${s.computer} › ${s.name}`, dataSourceIds: [s.id] })}>
                        Switch protection
                      </Button>
                    )}
                  </Td>
                )}
              </tr>
            ))}
          </tbody>
        ))}
      </Table>
      {target && <SwitchDialog primaryId={link.primary.id} primaryName={link.primary.name} target={target} onClose={() => setTarget(null)} />}
    </>
  );
}

/** On the primary: its sources that were switched to the secondary, and taking ownership back (switch back, admins). */
export function SwitchedSources({ link, canTakeOwnership }: { link: LinkDetail; canTakeOwnership: boolean }) {
  const [target, setTarget] = useState<{ label: string; dataSourceIds: number[] } | null>(null);
  const switched = link.sources.filter((s) => s.switch.kind !== "primary");
  if (link.sources.length === 0)
    return <p className="text-sm text-slate-600">No data source of this server has been switched to {link.secondary.name}: this server protects all of them.</p>;
  return (
    <>
      {canTakeOwnership && switched.length > 1 && (
        <div className="mb-3 flex justify-end">
          <Button onClick={() => setTarget({ label: `all ${switched.length} switched data sources`, dataSourceIds: switched.map((s) => s.id) })}>Take ownership of all</Button>
        </div>
      )}
      <Table label={`Data sources switched to ${link.secondary.name}`}>
        <thead>
          <tr>
            {HEAD}
            {canTakeOwnership && <Th className="text-right">Actions</Th>}
          </tr>
        </thead>
        <tbody className="divide-y divide-slate-100">
          {link.sources.map((s) => (
            <tr key={s.id} className="align-top">
              <SourceCells s={s} side="primary" />
              {canTakeOwnership && (
                <Td className="text-right">
                  {s.switch.kind !== "primary" && (
                    <Button className={small} aria-label={`Take ownership of ${s.computer} › ${s.name}`} onClick={() => setTarget({ label: `${s.computer} › ${s.name}`, dataSourceIds: [s.id] })}>
                      Take ownership
                    </Button>
                  )}
                </Td>
              )}
            </tr>
          ))}
        </tbody>
      </Table>
      {target && <TakeOwnershipDialog secondaryName={link.secondary.name} target={target} onClose={() => setTarget(null)} />}
    </>
  );
}
