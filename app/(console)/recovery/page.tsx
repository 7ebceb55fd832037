import type { Metadata } from "next";
import { RecoveryView } from "@/components/recovery/recovery-view";

export const metadata: Metadata = { title: "Recovery" };

export default function Page() {
  return <RecoveryView />;
}
