/**
 * How the Servers pages put links between servers into words and colours: pure, so the
 * wording is tested once (link-text.test.ts) and the graph, its legend and the tables agree.
 */
import type { BadgeTone } from "@/components/ui/badge";
import type { LinkState, SwitchState } from "./types";

export interface LinkStateStyle {
  label: string;
  tone: BadgeTone;
  /** The edge's stroke in the topology graph (the UI kit's greens, ambers, reds). */
  color: string;
  dashed: boolean;
  meaning: string;
}

/** In the order the legend lists them: from fine to needs attention, then what is not judged. */
export const LINK_STATES: Record<LinkState, LinkStateStyle> = {
  healthy: { label: "Healthy", tone: "ok", color: "#16a34a", dashed: false, meaning: "in contact, and the secondary holds the primary's recovery points" },
  lagging: { label: "Lagging", tone: "warning", color: "#d97706", dashed: false, meaning: "the secondary's copies are more than two replication intervals old" },
  broken: { label: "Broken", tone: "critical", color: "#dc2626", dashed: false, meaning: "no heartbeat for 3 minutes, or the last replication failed" },
  switched: { label: "Switched", tone: "info", color: "#7c3aed", dashed: false, meaning: "the secondary protects some of the primary's data sources now" },
  "not-configured": { label: "Not configured", tone: "neutral", color: "#64748b", dashed: true, meaning: "linked, but the secondary's admin has not chosen what to protect" },
  unknown: { label: "Unknown", tone: "neutral", color: "#94a3b8", dashed: true, meaning: "a link further down the chain: its own servers judge it" },
};

export const linkHref = (primaryId: string, secondaryId: string) => `/servers/links/${primaryId}/${secondaryId}`;

/** A link's replication lag: "under a minute", "4 min", "2 h 5 min", "3 d 4 h"; "—" when not measured. */
export function formatLag(seconds: number | null): string {
  if (seconds === null) return "—";
  const m = Math.floor(seconds / 60);
  if (m < 1) return "under a minute";
  if (m < 60) return `${m} min`;
  const h = Math.floor(m / 60);
  if (h < 24) return m % 60 ? `${h} h ${m % 60} min` : `${h} h`;
  const d = Math.floor(h / 24);
  return h % 24 ? `${d} d ${h % 24} h` : `${d} d`;
}

/** "just now", "5 min ago", "3 h ago", "2 d ago"; "never" without a time. */
export function formatAgo(d: Date | null, now: Date): string {
  if (!d) return "never";
  const s = Math.max(0, Math.round((now.getTime() - d.getTime()) / 1000));
  if (s < 60) return "just now";
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ago`;
  return `${Math.floor(s / 86400)} d ago`;
}

/** The schedules a secondary offers, as DPM's secondary protection does (15 minutes to a day). */
export const INTERVALS = [15, 30, 60, 120, 240, 720, 1440] as const;

/** 15 → "15 min", 60 → "1 h", 90 → "1 h 30 min" (values set through the API read the same way). */
export function intervalLabel(minutes: number): string {
  if (minutes < 60) return `${minutes} min`;
  const h = Math.floor(minutes / 60);
  return minutes % 60 ? `${h} h ${minutes % 60} min` : `${h} h`;
}

export const everyLabel = (minutes: number | null) => (minutes === null ? "not set" : minutes === 1440 ? "daily" : `every ${intervalLabel(minutes)}`);

/** DPM's replica states, in its words. */
export const REPLICA_STATE: Record<string, { label: string; tone: BadgeTone }> = {
  "creation-pending": { label: "Creation pending", tone: "info" },
  ok: { label: "OK", tone: "ok" },
  inconsistent: { label: "Inconsistent", tone: "critical" },
  checking: { label: "Checking", tone: "warning" },
  missing: { label: "Missing", tone: "critical" },
};

/** Who protects a source of the primary now, as the page of the given end of the link says it. */
export function switchStateText(s: SwitchState, side: "primary" | "secondary"): { label: string; tone: BadgeTone; detail: string | null } {
  if (s.kind === "primary") return { label: "Protected by the primary", tone: "ok", detail: side === "secondary" ? "this server keeps copies" : null };
  const how = s.how === "automatic" ? "automatically" : "by an admin";
  if (s.kind === "switched") return { label: "Switched to the secondary", tone: "warning", detail: `switched ${how}` };
  return { label: "Ownership required", tone: "critical", detail: `switched ${how}; the primary is back and must take ownership` };
}
