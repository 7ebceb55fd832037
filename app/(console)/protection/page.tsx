import type { Metadata } from "next";
import { ProtectionView } from "@/components/protection/protection-view";

export const metadata: Metadata = { title: "Protection" };

export default function Page() {
  return <ProtectionView />;
}
