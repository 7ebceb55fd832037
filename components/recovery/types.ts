import type { inferRouterOutputs } from "@trpc/server";
import type { AppRouter } from "@/server/api/root";

type Outputs = inferRouterOutputs<AppRouter>;
export type RecoverableSource = Outputs["recovery"]["sources"][number];
export type RecoveryPointRow = Outputs["recovery"]["recoveryPoints"][number];
export type TreeNode = Outputs["recovery"]["browse"]["children"][number];
export type SearchHit = Outputs["recovery"]["search"][number];
export type FileTimeline = Outputs["recovery"]["fileVersions"];
export type FileVersion = FileTimeline["versions"][number];
export type RestoreJob = Outputs["monitoring"]["job"];
export type Role = NonNullable<Outputs["auth"]["me"]>["role"];

/** A data source as the recovery pages name it. */
export interface SourceRef {
  id: number;
  computer: string;
  /** The source's name when known, else its path. */
  label: string;
  kind: string;
  /** Where the data source lives on its computer (the original location), when known. */
  path?: string;
  /** A copy of this server's source that restores to a folder on this server: kept after the link with it was removed, or of its own computer (no agent here). */
  keptCopyOf?: string;
  keptBecause?: "link-removed" | "no-agent";
}

/** What a restore brings back. */
export type RestoreWhat =
  | { kind: "selection"; paths: string[] }
  | { kind: "point"; files: number; sizeBytes: number }
  | { kind: "version"; path: string; firstAt: Date; lastAt: Date; size: number; mtimeMs: number };

/** Everything the wizard needs to ask for a restore. */
export interface RestoreDraft {
  source: SourceRef;
  recoveryPoint: { id: number; createdAt: Date };
  what: RestoreWhat;
}

/** The source's name when the API gives one (recovery.sources gives the path today). */
export function sourceRef(s: RecoverableSource): SourceRef {
  const name = (s as RecoverableSource & { name?: string }).name;
  return { id: s.id, computer: s.computer, label: name ?? s.path, kind: s.kind, path: s.path, ...((s.originUnlinked || s.originAgentless) && s.originServer !== null && { keptCopyOf: s.originServer, keptBecause: s.originUnlinked ? "link-removed" : "no-agent" }) };
}
