"use client";

import { useState, type FormEvent } from "react";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useTRPC } from "@/components/trpc/trpc-provider";
import { fieldErrorsOf, messageOf } from "@/components/trpc/errors";
import { SelectField, TextField } from "@/components/ui/field";
import { Button } from "@/components/ui/button";
import { Notice } from "@/components/ui/notice";

const EMPTY = { name: "", kind: "folder" as "folder" | "sqlite", path: "" };

/**
 * The built-in agent protects this server's own computer: an admin gives it a folder or a
 * SQLite database here (what `custodian agent --folder NAME=PATH` does for another computer).
 */
export function AddLocalSourceForm() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [form, setForm] = useState(EMPTY);
  const [added, setAdded] = useState<string | null>(null);
  const add = useMutation(
    trpc.agents.addLocalSource.mutationOptions({
      onSuccess: async (s) => {
        setAdded(`${s.name} (${s.path}) is ready to be added to a protection group.`);
        setForm(EMPTY);
        await queryClient.invalidateQueries(trpc.protection.pathFilter());
      },
    }),
  );
  const fields = fieldErrorsOf(add.error);
  const general = add.error && !fields.name && !fields.path ? messageOf(add.error) : null;
  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    setAdded(null);
    add.mutate({ name: form.name.trim(), kind: form.kind, path: form.path.trim() });
  };
  return (
    <form onSubmit={onSubmit} noValidate aria-label="Add a data source on this server" className="mt-4 space-y-3 border-t border-slate-100 pt-4">
      <p className="text-sm font-medium text-slate-800">Add a folder or database of this server</p>
      <div className="grid gap-3 md:grid-cols-[1fr_12rem_2fr]">
        <TextField label="Name" name="name" value={form.name} onChange={(e) => setForm({ ...form, name: e.target.value })} errors={fields.name} placeholder="documents" autoComplete="off" />
        <SelectField label="Kind" name="kind" value={form.kind} onChange={(e) => setForm({ ...form, kind: e.target.value as "folder" | "sqlite" })}>
          <option value="folder">Folder</option>
          <option value="sqlite">SQLite database</option>
        </SelectField>
        <TextField label="Path on this server" name="path" value={form.path} onChange={(e) => setForm({ ...form, path: e.target.value })} errors={fields.path} placeholder="/srv/documents" autoComplete="off" />
      </div>
      {general && <Notice tone="error">{general}</Notice>}
      {added && <Notice tone="success">{added}</Notice>}
      <Button type="submit" variant="secondary" disabled={add.isPending}>
        {add.isPending ? "Adding…" : "Add data source"}
      </Button>
    </form>
  );
}
