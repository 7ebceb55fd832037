import Link from "next/link";
import { splitJobRefs } from "./format";

/** Server text with its "job 12" references linked to the jobs' pages. */
export function JobRefText({ text }: { text: string }) {
  return (
    <>
      {splitJobRefs(text).map((p, i) =>
        "jobId" in p ? (
          <Link key={i} href={`/monitoring/jobs/${p.jobId}`} className="font-medium text-brand-700 underline-offset-2 hover:underline">
            {p.text}
          </Link>
        ) : (
          <span key={i}>{p.text}</span>
        ),
      )}
    </>
  );
}
