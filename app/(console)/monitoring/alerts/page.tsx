import type { Metadata } from "next";
import { Suspense } from "react";
import { AlertsView } from "@/components/monitoring/alerts-view";
import { Skeleton } from "@/components/ui/skeleton";

export const metadata: Metadata = { title: "Alerts" };

// The filters live in the address (useSearchParams), which needs a Suspense boundary.
export default function Page() {
  return (
    <Suspense fallback={<Skeleton rows={5} />}>
      <AlertsView />
    </Suspense>
  );
}
