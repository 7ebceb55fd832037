/**
 * The short-term policy's shape at the edges (tRPC input, the catalog's JSON column). The
 * shape is checked here; DPM's rules (ranges, spacing, databases only...) are checked by
 * checkShortTermPolicy, which explains each refusal per field.
 */
import { z } from "zod";
import { SYNC_INTERVALS, WEEKDAYS, defaultShortTermPolicy, type ShortTermPolicy } from "./short-term-policy";

const ZWeekly = z.object({ days: z.array(z.enum(WEEKDAYS)).max(7), times: z.array(z.string().max(5)).max(48) });

export const ZShortTermPolicy = z.object({
  retentionDays: z.number().int(),
  synchronization: z.union([
    z.object({ everyMinutes: z.number().int().refine((n) => (SYNC_INTERVALS as readonly number[]).includes(n), "15, 30 or 45 minutes, or 1, 2, 4, 6, 12 or 24 hours") }),
    z.object({ justBeforeRecoveryPoint: z.literal(true) }),
  ]),
  recoveryPoints: ZWeekly,
  expressFull: ZWeekly.nullable(),
  consistencyCheck: z.object({
    automaticWhenInconsistent: z.boolean(),
    window: z.object({ days: z.array(z.enum(WEEKDAYS)).max(7), start: z.string().max(5), maxHours: z.number().int() }).nullable(),
  }),
  slaHours: z.number().int(),
});

/** A policy read back from the catalog; a damaged value falls back to DPM's defaults rather than stopping the scheduler. */
export function parseStoredPolicy(json: string, hasDatabases = false): ShortTermPolicy {
  try {
    const parsed = ZShortTermPolicy.safeParse(JSON.parse(json));
    if (parsed.success) return parsed.data as ShortTermPolicy;
  } catch {
    // fall through
  }
  return defaultShortTermPolicy({ hasDatabases });
}
