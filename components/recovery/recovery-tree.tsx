"use client";

import { useState } from "react";
import { useQuery } from "@tanstack/react-query";
import { useTRPC } from "@/components/trpc/trpc-provider";
import { Th } from "@/components/ui/table";
import { formatBytes, formatDateTime } from "@/components/ui/format";
import { messageOf } from "@/components/trpc/errors";
import { coveringAncestor } from "./tree-selection";
import type { TreeNode } from "./types";

interface TreeState {
  recoveryPointId: number;
  selectable: boolean;
  expanded: ReadonlySet<string>;
  onExpand: (path: string) => void;
  selection: ReadonlySet<string>;
  onToggle: (path: string) => void;
}

/**
 * A recovery point's tree, loaded one folder at a time as folders are opened
 * (recovery.browse), with a tick box per file and folder.
 */
export function RecoveryTree({
  recoveryPointId,
  selectable,
  selection,
  onToggle,
}: {
  recoveryPointId: number;
  /** Tick boxes for those who may restore. */
  selectable: boolean;
  selection: ReadonlySet<string>;
  onToggle: (path: string) => void;
}) {
  const [expanded, setExpanded] = useState<ReadonlySet<string>>(new Set());
  const onExpand = (path: string) =>
    setExpanded((prev) => {
      const next = new Set(prev);
      if (next.has(path)) next.delete(path);
      else next.add(path);
      return next;
    });
  return (
    <div className="overflow-x-auto rounded-md border border-slate-200">
      <table aria-label="Contents of the recovery point" className="min-w-full divide-y divide-slate-200 text-sm">
        <thead>
          <tr>
            <Th className="w-full">Name</Th>
            <Th className="text-right">Size</Th>
            <Th>Modified</Th>
          </tr>
        </thead>
        <tbody className="divide-y divide-slate-100">
          <FolderRows dir="" depth={0} state={{ recoveryPointId, selectable, expanded, onExpand, selection, onToggle }} />
        </tbody>
      </table>
    </div>
  );
}

function FolderRows({ dir, depth, state }: { dir: string; depth: number; state: TreeState }) {
  const trpc = useTRPC();
  const folder = useQuery({ ...trpc.recovery.browse.queryOptions({ recoveryPointId: state.recoveryPointId, dir }), staleTime: Infinity });
  const indent = { paddingLeft: `${0.75 + depth * 1.25}rem` };
  if (folder.isPending)
    return (
      <tr>
        <td colSpan={3} className="py-2 text-slate-500" style={indent}>
          Loading…
        </td>
      </tr>
    );
  if (folder.isError)
    return (
      <tr>
        <td colSpan={3} className="py-2 text-red-700" style={indent} role="alert">
          {messageOf(folder.error)}
        </td>
      </tr>
    );
  if (folder.data.children.length === 0)
    return (
      <tr>
        <td colSpan={3} className="py-2 italic text-slate-500" style={indent}>
          {dir ? "This folder is empty." : "This recovery point holds no files."}
        </td>
      </tr>
    );
  return (
    <>
      {folder.data.children.map((n) => (
        <NodeRows key={n.path} node={n} depth={depth} state={state} />
      ))}
      {folder.data.truncated && (
        <tr>
          <td colSpan={3} className="py-2 text-amber-800" style={indent}>
            Only the first {folder.data.children.length.toLocaleString()} entries are shown. Search for a name to find the others, or tick this folder to restore all of it.
          </td>
        </tr>
      )}
    </>
  );
}

function NodeRows({ node, depth, state }: { node: TreeNode; depth: number; state: TreeState }) {
  const isDir = node.type === "dir";
  const open = isDir && state.expanded.has(node.path);
  const implied = coveringAncestor(state.selection, node.path) !== undefined;
  const checked = implied || state.selection.has(node.path);
  return (
    <>
      <tr className={checked ? "bg-brand-50/60" : "hover:bg-slate-50"}>
        <td className="py-1.5 pr-4" style={{ paddingLeft: `${0.75 + depth * 1.25}rem` }}>
          <div className="flex items-center gap-2">
            {state.selectable && (
              <input
                type="checkbox"
                checked={checked}
                disabled={implied}
                onChange={() => state.onToggle(node.path)}
                aria-label={`Select ${node.path}`}
                title={implied ? "Included with its folder" : undefined}
                className="h-4 w-4 rounded border-slate-300 accent-brand-600"
              />
            )}
            {isDir ? (
              <button type="button" aria-expanded={open} onClick={() => state.onExpand(node.path)} className="flex items-center gap-1.5 font-medium text-slate-900 hover:text-brand-700">
                <svg aria-hidden viewBox="0 0 20 20" className={`h-3.5 w-3.5 text-slate-500 transition-transform ${open ? "rotate-90" : ""}`} fill="currentColor">
                  <path d="M7 4l7 6-7 6V4z" />
                </svg>
                <FolderIcon />
                {node.name}
              </button>
            ) : (
              <span className="flex items-center gap-1.5 pl-5 text-slate-800">
                <FileIcon />
                {node.name}
                {node.type === "symlink" && <span className="text-xs text-slate-500">(link)</span>}
              </span>
            )}
          </div>
        </td>
        <td className="whitespace-nowrap px-4 py-1.5 text-right tabular-nums text-slate-600">{isDir ? "" : formatBytes(node.size)}</td>
        <td className="whitespace-nowrap px-4 py-1.5 text-slate-600">{formatDateTime(new Date(node.mtimeMs))}</td>
      </tr>
      {open && <FolderRows dir={node.path} depth={depth + 1} state={state} />}
    </>
  );
}

function FolderIcon() {
  return (
    <svg aria-hidden viewBox="0 0 20 20" className="h-4 w-4 text-amber-500" fill="currentColor">
      <path d="M2 5a2 2 0 012-2h4l2 2h6a2 2 0 012 2v8a2 2 0 01-2 2H4a2 2 0 01-2-2V5z" />
    </svg>
  );
}

function FileIcon() {
  return (
    <svg aria-hidden viewBox="0 0 20 20" className="h-4 w-4 text-slate-400" fill="none" stroke="currentColor" strokeWidth="1.5">
      <path d="M5 2.5h6l4 4v11H5z" />
      <path d="M11 2.5v4h4" />
    </svg>
  );
}
