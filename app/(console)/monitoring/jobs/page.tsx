import type { Metadata } from "next";
import { Suspense } from "react";
import { JobsView } from "@/components/monitoring/jobs-view";
import { Skeleton } from "@/components/ui/skeleton";

export const metadata: Metadata = { title: "Jobs" };

// The filters live in the address (useSearchParams), which needs a Suspense boundary.
export default function Page() {
  return (
    <Suspense fallback={<Skeleton rows={5} />}>
      <JobsView />
    </Suspense>
  );
}
