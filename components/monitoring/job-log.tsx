import { Badge } from "@/components/ui/badge";
import { formatDateTime } from "@/components/ui/format";
import { JobRefText } from "./job-ref-text";
import type { JobDetail } from "./types";

const LEVEL = { info: { tone: "info", row: "" }, warn: { tone: "warning", row: "bg-amber-50/50" }, error: { tone: "critical", row: "bg-red-50/60" } } as const;

const clock = (d: Date) => d.toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23" }) + `.${String(d.getMilliseconds()).padStart(3, "0")}`;

/** The job's log, line by line: when, how serious, what. */
export function JobLog({ log }: { log: JobDetail["log"] }) {
  if (log.length === 0) return <p className="text-sm text-slate-500">Nothing logged yet: the job has not started.</p>;
  return (
    <div className="overflow-x-auto">
      <table aria-label="Job log" className="min-w-full text-sm">
        <thead className="sr-only">
          <tr>
            <th>Time</th>
            <th>Level</th>
            <th>Message</th>
          </tr>
        </thead>
        <tbody className="divide-y divide-slate-100 font-mono text-xs">
          {log.map((l, i) => (
            <tr key={i} className={LEVEL[l.level].row}>
              <td className="whitespace-nowrap py-1.5 pr-4 align-top text-slate-500" title={formatDateTime(l.at)}>
                {clock(l.at)}
              </td>
              <td className="py-1.5 pr-4 align-top font-sans">
                <Badge tone={LEVEL[l.level].tone}>{l.level === "warn" ? "warning" : l.level}</Badge>
              </td>
              <td className="break-all py-1.5 align-top text-slate-800">
                <JobRefText text={l.message} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
