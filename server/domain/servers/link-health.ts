/**
 * A link's health as the topology page and the alerts read it (SPEC §4: "each link's health and
 * replication lag"). Pure: the catalog's facts in, a state and its reasons out.
 *
 *   not-configured  peered, but the secondary's admin has not chosen what to protect yet
 *   switched        some of the primary's sources are protected by the secondary now
 *   broken          no heartbeat for BROKEN_AFTER_HEARTBEATS, or the last replication failed
 *   lagging         the secondary last held everything the primary had too long ago
 *   healthy         otherwise
 *
 * Lag is the time since the secondary last held every recovery point the primary had (the end
 * of its last complete replication round); a new link counts from when it was configured.
 */
export type LinkState = "not-configured" | "healthy" | "lagging" | "broken" | "switched";

export const HEARTBEAT_MS = 60_000;

/**
 * The heartbeat round a scheduler tick at `now` stands for: the minute it was due, not the
 * moment its timer fired. Contacts recorded and silences measured at the round's time are
 * whole heartbeats apart, so a tick a few milliseconds later than the one before cannot make
 * exactly the grace period look longer than it (switch-rules.ts: "at exactly the grace
 * period, not yet") and switch a heartbeat early on some runs and not on others.
 */
export const heartbeatRoundAt = (now: Date): Date => new Date(Math.round(now.getTime() / HEARTBEAT_MS) * HEARTBEAT_MS);
export const BROKEN_AFTER_HEARTBEATS = 3;
/** A link lags once its lag exceeds this many replication intervals (one round may be running). */
export const LAGGING_AFTER_INTERVALS = 2;

export interface LinkFacts {
  createdAt: Date;
  lastContactAt: Date | null;
  replicaEveryMinutes: number | null;
  inSyncAt: Date | null;
  lastReplicationError: string | null;
  switchedSources: number;
}

export interface LinkHealth {
  state: LinkState;
  /** Seconds since the secondary last held everything; null when not configured. */
  lagSeconds: number | null;
  reasons: string[];
}

const minutes = (ms: number) => `${Math.round(ms / 60_000)} min`;

export function linkHealth(l: LinkFacts, now: Date): LinkHealth {
  const reasons: string[] = [];
  const silentMs = l.lastContactAt ? now.getTime() - l.lastContactAt.getTime() : null;
  const unreachable = silentMs === null || silentMs > BROKEN_AFTER_HEARTBEATS * HEARTBEAT_MS;
  if (unreachable) reasons.push(silentMs === null ? "the servers have not been in contact since the link was made" : `no heartbeat for ${minutes(silentMs)}`);
  if (l.lastReplicationError) reasons.push(`the last replication failed: ${l.lastReplicationError}`);
  const lagSeconds = l.replicaEveryMinutes === null ? null : Math.max(0, Math.round((now.getTime() - (l.inSyncAt ?? l.createdAt).getTime()) / 1000));
  const lagging = lagSeconds !== null && lagSeconds * 1000 > LAGGING_AFTER_INTERVALS * l.replicaEveryMinutes! * 60_000;
  if (lagging) reasons.push(`the secondary last held every recovery point ${minutes(lagSeconds * 1000)} ago (replication every ${l.replicaEveryMinutes} min)`);
  if (l.switchedSources > 0) return { state: "switched", lagSeconds, reasons: [`${l.switchedSources} data source(s) switched to the secondary`, ...reasons] };
  if (l.replicaEveryMinutes === null) return { state: "not-configured", lagSeconds: null, reasons: ["the secondary's admin has not selected what to protect", ...reasons] };
  if (unreachable || l.lastReplicationError) return { state: "broken", lagSeconds, reasons };
  if (lagging) return { state: "lagging", lagSeconds, reasons };
  return { state: "healthy", lagSeconds, reasons };
}
