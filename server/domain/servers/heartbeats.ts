/**
 * Heartbeats (SPEC §4): each minute a secondary calls each of its primaries with a signed
 * heartbeat. An answer records the contact (on both sides: the primary records the heartbeat
 * it received) and resolves the primary's "unreachable" alert; no answer, or a refusal, raises
 * a critical alert that says when the primary was last heard from.
 */
import { and, eq } from "drizzle-orm";
import { serverLinks, servers } from "@/db/schema";
import type { Services } from "@/server/services";
import { sendHeartbeat } from "@/server/peer/peer-client";
import { ProtocolError } from "@/server/agent/protocol";
import { raiseAlert, resolveAlert } from "../monitoring/alerts";
import { linkStatusFor } from "./secondary-protection";
import { BROKEN_AFTER_HEARTBEATS, HEARTBEAT_MS } from "./link-health";

export const PRIMARY_UNREACHABLE = "primary-unreachable";
export const primaryUnreachableKey = (serverId: string) => `${PRIMARY_UNREACHABLE}:${serverId}`;

export interface HeartbeatResult {
  serverId: string;
  name: string;
  ok: boolean;
  error?: string;
  lastContactAt: Date | null;
}

/** The primaries this server protects (links where it is the secondary). */
function primariesOf(services: Services) {
  const self = services.db.select({ id: servers.id }).from(servers).where(eq(servers.isSelf, true)).get();
  if (!self) return { selfId: null, primaries: [] };
  const primaries = services.db
    .select({ id: servers.id, name: servers.name, url: servers.url, publicKey: servers.publicKey, lastContactAt: servers.lastContactAt })
    .from(serverLinks)
    .innerJoin(servers, eq(servers.id, serverLinks.primaryId))
    .where(eq(serverLinks.secondaryId, self.id))
    .all();
  return { selfId: self.id, primaries };
}

/** Records a contact with a peer on its row and on the link between it and this server. */
function recordContact(services: Services, link: { primaryId: string; secondaryId: string }, peerId: string, at: Date) {
  services.db.transaction((tx) => {
    tx.update(servers).set({ lastContactAt: at }).where(eq(servers.id, peerId)).run();
    tx.update(serverLinks)
      .set({ lastContactAt: at })
      .where(and(eq(serverLinks.primaryId, link.primaryId), eq(serverLinks.secondaryId, link.secondaryId)))
      .run();
  });
}

/** The primary's side: a signed heartbeat arrived from one of its secondaries. */
export function recordHeartbeatFrom(services: Services, peerId: string, at: Date): void {
  const self = services.db.select({ id: servers.id }).from(servers).where(eq(servers.isSelf, true)).get();
  if (!self) return;
  recordContact(services, { primaryId: self.id, secondaryId: peerId }, peerId, at);
}

/** One round: a heartbeat to every primary, at once; each result recorded and alerted on. */
export async function heartbeatPrimaries(services: Services, now: Date = services.clock.now()): Promise<HeartbeatResult[]> {
  const { selfId, primaries } = primariesOf(services);
  if (!selfId || primaries.length === 0) return [];
  const identity = services.protection.identity();
  return Promise.all(
    primaries.map(async (p): Promise<HeartbeatResult> => {
      try {
        await sendHeartbeat({ id: p.id, name: p.name, url: p.url, publicKey: p.publicKey }, identity, now, linkStatusFor(services.db, p.id));
        recordContact(services, { primaryId: p.id, secondaryId: selfId }, p.id, now);
        if (resolveAlert(services.db, primaryUnreachableKey(p.id), now)) services.log.info({ primary: p.name }, "primary server reachable again");
        return { serverId: p.id, name: p.name, ok: true, lastContactAt: now };
      } catch (err) {
        const error = (err as Error).message;
        const last = p.lastContactAt ? p.lastContactAt.toISOString() : null;
        // It answers, but no longer knows this server: its end of the link was removed (remove-link.ts) while this end was not told.
        const forgotten = err instanceof ProtocolError && err.status === 401 && /unknown key/.test(error);
        raiseAlert(
          services.db,
          {
            key: primaryUnreachableKey(p.id),
            type: PRIMARY_UNREACHABLE,
            severity: "critical",
            title: forgotten ? `Primary server ${p.name} no longer lists its link with this server` : `Primary server ${p.name} is unreachable`,
            detail: `Last contact: ${last ?? "never"}. The last heartbeat failed: ${error}`,
            recommendedAction: forgotten
              ? `${p.name}'s admin removed the link there. Remove it here too (Servers → the link → Remove link), which works without ${p.name}, or link again with a new enrolment token.`
              : `Check that ${p.name} is running and reachable at ${p.url}. If it is lost, switch protection of its data sources to this server.`,
            target: p.name,
          },
          now,
        );
        services.log.warn({ primary: p.name, url: p.url, err: error, lastContactAt: last }, "primary server unreachable");
        return { serverId: p.id, name: p.name, ok: false, error, lastContactAt: p.lastContactAt };
      }
    }),
  );
}

export const SECONDARY_QUIET = "secondary-quiet";

/**
 * The primary's side: a secondary that has not sent a heartbeat for BROKEN_AFTER_HEARTBEATS
 * minutes is not protecting this server's catalog and replicas any more: a warning says so
 * (and clears at its next heartbeat).
 */
export function watchSecondaries(services: Services, now: Date): void {
  const self = services.db.select({ id: servers.id }).from(servers).where(eq(servers.isSelf, true)).get();
  if (!self) return;
  const rows = services.db
    .select({ id: servers.id, name: servers.name, url: servers.url, lastContactAt: serverLinks.lastContactAt })
    .from(serverLinks)
    .innerJoin(servers, eq(servers.id, serverLinks.secondaryId))
    .where(eq(serverLinks.primaryId, self.id))
    .all();
  for (const s of rows) {
    const key = `${SECONDARY_QUIET}:${s.id}`;
    const silent = !s.lastContactAt || now.getTime() - s.lastContactAt.getTime() > BROKEN_AFTER_HEARTBEATS * HEARTBEAT_MS;
    if (!silent) {
      resolveAlert(services.db, key, now);
      continue;
    }
    raiseAlert(
      services.db,
      {
        key,
        type: SECONDARY_QUIET,
        severity: "warning",
        title: `Secondary server ${s.name} is not in contact`,
        detail: `No heartbeat from ${s.name} since ${s.lastContactAt ? s.lastContactAt.toISOString() : "the link was made"}: this server's catalog and replicas are not being copied.`,
        recommendedAction: `Check that ${s.name} is running and can reach this server; its own page lists the link's errors.`,
        target: s.name,
      },
      now,
    );
  }
}
