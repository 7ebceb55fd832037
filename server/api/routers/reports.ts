import { z } from "zod";
import { requireRole, router } from "../trpc";
import { getReportsDashboard } from "@/server/domain/reports/get-reports-dashboard";
import { REPORT_DATASETS, exportReportCsv } from "@/server/domain/reports/report-csv";
import { measurePoolUsage } from "@/server/domain/reports/pool-usage";
import { DAY_MS, MAX_REPORT_DAYS, lastDays } from "@/server/domain/reports/report-range";

/** The range selector's choices. */
export const REPORT_RANGE_DAYS = [7, 30, 90, 365] as const;

/** The days a from/to range touches, as the reports count them (whole UTC days). */
const daysTouched = (from: Date, to: Date) => Math.floor((to.getTime() - 1) / DAY_MS) - Math.floor(from.getTime() / DAY_MS) + 1;

export const reportRangeInput = z.union([
  z.object({ days: z.union(REPORT_RANGE_DAYS.map((d) => z.literal(d))) }).strict(),
  z
    .object({ from: z.date(), to: z.date() })
    .strict()
    .refine((r) => r.from < r.to, { message: "The range must end after it starts.", path: ["to"] })
    .refine((r) => daysTouched(r.from, r.to) <= MAX_REPORT_DAYS, { message: `A report covers at most ${MAX_REPORT_DAYS} days.`, path: ["from"] }),
]);
export type ReportRangeInput = z.infer<typeof reportRangeInput>;

const windowOf = (now: Date, range: ReportRangeInput) => ({ now, ...("days" in range ? lastDays(now, range.days) : { from: range.from, to: range.to }) });

/** The manager's read-only health charts and exports: queries only. */
export const reportsRouter = router({
  dashboard: requireRole("admin", "manager")
    .input(reportRangeInput)
    .query(({ ctx, input }) => {
      const now = ctx.services.clock.now();
      return getReportsDashboard(ctx.services.db, { ...windowOf(now, input), pool: measurePoolUsage(ctx.services.protection, now) });
    }),

  exportCsv: requireRole("admin", "manager")
    .input(z.object({ dataset: z.enum(REPORT_DATASETS), range: reportRangeInput }).strict())
    .query(({ ctx, input }) => {
      const now = ctx.services.clock.now();
      return exportReportCsv(ctx.services.db, { ...windowOf(now, input.range), dataset: input.dataset, pool: measurePoolUsage(ctx.services.protection, now) });
    }),
});
