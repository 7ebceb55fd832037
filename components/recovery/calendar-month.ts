/**
 * The recovery calendar's month, as DPM shows it: weeks of days, the days that have recovery
 * points marked (bold), in the browser's time zone. Pure: no clock, no locale beyond the
 * Date's local fields, so it is tested with fixed dates.
 */

export interface Month {
  year: number;
  /** 0 = January, as Date counts. */
  month: number;
}

export interface DayCell {
  /** YYYY-MM-DD in local time: the key the day's recovery points are grouped under. */
  key: string;
  date: Date;
  day: number;
  /** False for the days of the previous/next month that fill the first and last weeks. */
  inMonth: boolean;
  /** Recovery points on this day (0 for days outside the month: they are not loaded). */
  count: number;
}

const pad = (n: number) => String(n).padStart(2, "0");

export function dayKey(d: Date): string {
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

export function monthOf(d: Date): Month {
  return { year: d.getFullYear(), month: d.getMonth() };
}

export function shiftMonth(m: Month, delta: number): Month {
  const d = new Date(m.year, m.month + delta, 1);
  return monthOf(d);
}

export function sameMonth(a: Month, b: Month): boolean {
  return a.year === b.year && a.month === b.month;
}

/** The month's first instant and last millisecond, local time: the range to ask the server for. */
export function monthRange(m: Month): { from: Date; to: Date } {
  return { from: new Date(m.year, m.month, 1, 0, 0, 0, 0), to: new Date(new Date(m.year, m.month + 1, 1, 0, 0, 0, 0).getTime() - 1) };
}

/** Recovery points grouped by local day, each day's oldest first. */
export function groupByDay<T extends { createdAt: Date }>(points: readonly T[]): Map<string, T[]> {
  const days = new Map<string, T[]>();
  for (const p of [...points].sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime())) {
    const k = dayKey(p.createdAt);
    const list = days.get(k);
    if (list) list.push(p);
    else days.set(k, [p]);
  }
  return days;
}

/**
 * The weeks of a month (4 to 6 rows of 7 days). `weekStartsOn` is 0 for Sunday, 1 for Monday.
 */
export function buildMonth(m: Month, points: readonly { createdAt: Date }[], weekStartsOn: 0 | 1 = 1): DayCell[][] {
  const counts = new Map<string, number>();
  for (const p of points) counts.set(dayKey(p.createdAt), (counts.get(dayKey(p.createdAt)) ?? 0) + 1);
  const first = new Date(m.year, m.month, 1);
  const lead = (first.getDay() - weekStartsOn + 7) % 7;
  const daysInMonth = new Date(m.year, m.month + 1, 0).getDate();
  const cells = Math.ceil((lead + daysInMonth) / 7) * 7;
  const weeks: DayCell[][] = [];
  for (let i = 0; i < cells; i++) {
    // new Date(y, m, d) rolls days before the 1st or past the end into the neighbouring month.
    const date = new Date(m.year, m.month, 1 - lead + i);
    const inMonth = date.getMonth() === m.month;
    const key = dayKey(date);
    if (i % 7 === 0) weeks.push([]);
    weeks[weeks.length - 1]!.push({ key, date, day: date.getDate(), inMonth, count: inMonth ? (counts.get(key) ?? 0) : 0 });
  }
  return weeks;
}

/** The weekday names for the header row, starting on `weekStartsOn`, in the given locale. */
export function weekdayNames(locale: string | undefined, weekStartsOn: 0 | 1 = 1, width: "short" | "narrow" = "short"): string[] {
  // 2024-01-07 was a Sunday.
  return Array.from({ length: 7 }, (_, i) => new Date(2024, 0, 7 + weekStartsOn + i).toLocaleDateString(locale, { weekday: width }));
}
