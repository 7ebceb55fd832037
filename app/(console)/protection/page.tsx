import type { Metadata } from "next";
import { ProtectionView } from "@/components/protection/protection-view";
import { ComputersSection } from "@/components/agents/computers-section";

export const metadata: Metadata = { title: "Protection" };

export default function Page() {
  return (
    <>
      <ProtectionView />
      <ComputersSection />
    </>
  );
}
