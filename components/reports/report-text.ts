import { formatBytes } from "@/components/ui/format";

/** 0.953 -> "95.3%"; 1 -> "100%"; null -> "—". */
export function formatShare(share: number | null | undefined): string {
  if (share === null || share === undefined) return "—";
  const pct = share * 100;
  return `${pct === 100 || pct === 0 ? pct.toFixed(0) : pct.toFixed(1)}%`;
}

/** 0 -> "within SLA"; 5 -> "5 h"; 50 -> "2 d 2 h". */
export function formatHoursBeyond(hours: number): string {
  if (hours <= 0) return "within SLA";
  if (hours < 24) return `${hours} h`;
  const d = Math.floor(hours / 24);
  const h = hours % 24;
  return h ? `${d} d ${h} h` : `${d} d`;
}

/** "2026-11-24" -> "Nov 24" (days are UTC). */
export function formatDay(day: string, o: { year?: boolean } = {}): string {
  const d = new Date(`${day}T00:00:00Z`);
  return d.toLocaleDateString("en-US", { month: "short", day: "numeric", timeZone: "UTC", ...(o.year ? { year: "numeric" } : {}) });
}

export interface DaysUntilFullFacts {
  daysUntilFull: number | null;
  averageDailyGrowthBytes: number;
  diskFreeBytes: number | null;
  rangeDays: number;
  generatedAt: Date;
}

/** The days-until-full figure as a sentence a manager can repeat. */
export function describeDaysUntilFull(f: DaysUntilFullFacts): string {
  if (f.diskFreeBytes === null) return "The free space of the pool's disk could not be read, so there is no days-until-full projection.";
  if (f.daysUntilFull === null || f.averageDailyGrowthBytes <= 0) {
    return `The pool is not growing over the last ${f.rangeDays} ${f.rangeDays === 1 ? "day" : "days"}: at this rate the ${formatBytes(f.diskFreeBytes)} free will not run out.`;
  }
  const growth = `At the average growth of ${formatBytes(Math.round(f.averageDailyGrowthBytes))} a day over the last ${f.rangeDays} ${f.rangeDays === 1 ? "day" : "days"}`;
  if (f.daysUntilFull > 3650) return `${growth}, the ${formatBytes(f.diskFreeBytes)} free last more than ten years.`;
  if (f.daysUntilFull < 1) return `${growth}, the disk is full within a day: ${formatBytes(f.diskFreeBytes)} free.`;
  const when = new Date(f.generatedAt.getTime() + f.daysUntilFull * 86_400_000);
  return `${growth}, the ${formatBytes(f.diskFreeBytes)} free last about ${f.daysUntilFull.toLocaleString("en-US")} ${f.daysUntilFull === 1 ? "day" : "days"} (until around ${formatDay(when.toISOString().slice(0, 10), { year: true })}).`;
}
