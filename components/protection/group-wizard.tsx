"use client";

import Link from "next/link";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useTRPC } from "@/components/trpc/trpc-provider";
import { fieldErrorsOf, messageOf } from "@/components/trpc/errors";
import { Button } from "@/components/ui/button";
import { TextField } from "@/components/ui/field";
import { Notice } from "@/components/ui/notice";
import { draftOf, issuesByField, policyOf, STEPS, stepOfField, type PolicyDraft, type StepId } from "./policy-draft";
import { useDebounced, newRequestKey } from "./use-debounced";
import { MembersStep } from "./wizard-members-step";
import { PolicyStep, type PolicyLimits } from "./wizard-policy-step";
import { ConsistencyStep } from "./wizard-consistency-step";
import { SummaryStep } from "./wizard-summary-step";
import { WizardSteps } from "./wizard-steps";
import type { Computer, PolicyIssue, ProtectionGroup, ShortTermPolicy, Weekday } from "./types";

export interface GroupWizardProps {
  mode: "create" | "edit";
  /** The group being changed (edit mode). */
  group?: ProtectionGroup;
  computers: Computer[];
  /** Other groups' names (a name is unique per server). */
  takenNames: string[];
  limits: PolicyLimits;
  initialPolicy: ShortTermPolicy;
  defaultExpressFull: { days: Weekday[]; times: string[] } | null;
  preselect?: number[];
}

/**
 * DPM's Create (or Modify) Protection Group wizard: Members → Name → Short-term goals →
 * Consistency check → Summary. Every value is checked by the server as it is typed
 * (protection.checkPolicy, debounced) and each issue is shown under its field; a refusal
 * on submit is shown the same way. One submission key per wizard makes a double submit
 * return the first group instead of a second one.
 */
export function GroupWizard({ mode, group, computers, takenNames, limits, initialPolicy, defaultExpressFull, preselect = [] }: GroupWizardProps) {
  const trpc = useTRPC();
  const router = useRouter();
  const queryClient = useQueryClient();
  const sources = computers.flatMap((c) => c.sources);
  const [step, setStep] = useState<StepId>("members");
  const [visited, setVisited] = useState<Set<StepId>>(() => new Set(["members"]));
  const [attempted, setAttempted] = useState<Set<StepId>>(() => new Set());
  const [selected, setSelected] = useState<Set<number>>(() => new Set(preselect.filter((id) => sources.some((s) => s.id === id && s.groupId === null && s.present))));
  const [name, setName] = useState(group?.name ?? "");
  const [nameTouched, setNameTouched] = useState(false);
  const [draft, setDraft] = useState<PolicyDraft>(() => draftOf(initialPolicy, defaultExpressFull));
  const [submitErrors, setSubmitErrors] = useState<Record<string, string[] | undefined>>({});
  const [requestKey] = useState(newRequestKey);

  const members = [...(group?.members.map((m) => m.id) ?? []), ...selected];
  const hasDatabases = sources.some((s) => members.includes(s.id) && s.kind === "sqlite");
  const policy = policyOf(draft, hasDatabases);
  const checkInput = { name: name.slice(0, 200), policy, hasDatabases };
  const settledInput = useDebounced(checkInput, 300);
  const check = useQuery({ ...trpc.protection.checkPolicy.queryOptions(settledInput), placeholderData: keepPreviousData });

  const localIssues = (): PolicyIssue[] => [
    ...(members.length === 0 ? [{ field: "members", rule: "members-required", message: "Choose at least one data source to protect." }] : []),
    ...(takenNames.includes(name.trim()) ? [{ field: "name", rule: "name-unique", message: `A protection group named ${name.trim()} exists already.` }] : []),
  ];
  const all = issuesByField(check.data, localIssues(), submitErrors);
  const shown = Object.fromEntries(Object.entries(all).filter(([f]) => (f === "name" ? nameTouched || attempted.has("name") : f === "members" ? attempted.has("members") : true)));

  const edited = () => setSubmitErrors({});
  const setDraftPart = (patch: Partial<PolicyDraft>) => {
    edited();
    setDraft((d) => ({ ...d, ...patch }));
  };
  const goTo = (s: StepId) => {
    setVisited((v) => new Set(v).add(s));
    setStep(s);
  };
  const index = STEPS.findIndex((s) => s.id === step);

  const next = async () => {
    setAttempted((a) => new Set(a).add(step));
    const fresh = await queryClient.fetchQuery(trpc.protection.checkPolicy.queryOptions(checkInput)).catch(() => []);
    if ([...fresh, ...localIssues()].some((i) => stepOfField(i.field) === step)) return;
    goTo(STEPS[index + 1]!.id);
  };

  const onSaved = async (id: number, flag: string) => {
    await queryClient.invalidateQueries(trpc.protection.pathFilter());
    await queryClient.invalidateQueries(trpc.monitoring.jobs.pathFilter());
    router.push(`/protection/groups/${id}?${flag}=1`);
  };
  const refused = (e: unknown) => setSubmitErrors(fieldErrorsOf(e));
  const create = useMutation(trpc.protection.createGroup.mutationOptions({ onSuccess: (r) => onSaved(r.id, "created"), onError: refused }));
  const update = useMutation(trpc.protection.updateGroup.mutationOptions({ onError: refused }));
  const add = useMutation(trpc.protection.addMembers.mutationOptions({ onError: refused }));
  const pending = create.isPending || update.isPending || add.isPending || create.isSuccess;
  const failure = create.error ?? update.error ?? add.error;

  const submit = async () => {
    setAttempted(new Set(STEPS.map((s) => s.id)));
    if (mode === "create") return create.mutate({ name, policy, members, requestKey });
    try {
      await update.mutateAsync({ id: group!.id, name, policy });
      if (selected.size) await add.mutateAsync({ id: group!.id, members: [...selected] });
      await onSaved(group!.id, "updated");
    } catch {
      // shown per field by `refused`
    }
  };

  return (
    <div className="flex flex-col gap-6 lg:flex-row">
      <WizardSteps current={step} visited={visited} withIssues={new Set(Object.keys(shown).map(stepOfField))} onSelect={goTo} />
      <form
        aria-label={mode === "create" ? "Create a protection group" : `Modify ${group?.name}`}
        noValidate
        className="min-w-0 flex-1 rounded-lg border border-slate-200 bg-white shadow-sm"
        onSubmit={(e) => {
          e.preventDefault();
          if (step === "summary") void submit();
          else void next();
        }}
      >
        <header className="border-b border-slate-100 px-5 py-3">
          <h2 className="text-sm font-semibold text-slate-800">
            Step {index + 1} of {STEPS.length}: {STEPS[index]!.label}
          </h2>
        </header>
        <div className="p-5">
          {step === "members" && (
            <MembersStep
              computers={computers}
              selected={selected}
              groupId={group?.id}
              errors={shown.members}
              onToggle={(id) => {
                edited();
                setSelected((s) => {
                  const n = new Set(s);
                  if (!n.delete(id)) n.add(id);
                  return n;
                });
              }}
            />
          )}
          {step === "name" && (
            <div className="max-w-md">
              <TextField
                label="Protection group name"
                name="name"
                value={name}
                maxLength={100}
                autoFocus
                onChange={(e) => {
                  edited();
                  setNameTouched(true);
                  setName(e.target.value);
                }}
                errors={shown.name}
                hint="Up to 64 letters, digits and spaces, unique on this server."
              />
            </div>
          )}
          {step === "short-term" && <PolicyStep draft={draft} set={setDraftPart} limits={limits} hasDatabases={hasDatabases} issues={shown} />}
          {step === "consistency" && <ConsistencyStep draft={draft} set={setDraftPart} weekdays={limits.weekdays} issues={shown} />}
          {step === "summary" && <SummaryStep mode={mode} name={name} policy={policy} members={members} computers={computers} issues={shown} goTo={goTo} />}
          {failure && Object.keys(fieldErrorsOf(failure)).length === 0 && (
            <div className="mt-4">
              <Notice tone="error">{messageOf(failure)}</Notice>
            </div>
          )}
        </div>
        <footer className="flex items-center justify-between gap-3 border-t border-slate-100 px-5 py-3">
          <Link href={group ? `/protection/groups/${group.id}` : "/protection"} className="text-sm text-slate-600 hover:underline">
            Cancel
          </Link>
          <div className="flex gap-2">
            {index > 0 && (
              <Button variant="secondary" onClick={() => goTo(STEPS[index - 1]!.id)} disabled={pending}>
                Back
              </Button>
            )}
            <Button type="submit" disabled={pending}>
              {step !== "summary" ? "Next" : pending ? (mode === "create" ? "Creating…" : "Saving…") : mode === "create" ? "Create group" : "Save changes"}
            </Button>
          </div>
        </footer>
      </form>
    </div>
  );
}
