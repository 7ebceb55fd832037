import type { Metadata } from "next";
import { RebuildWizard } from "@/components/auth/rebuild-wizard";

export const metadata: Metadata = { title: "Rebuild a lost server" };

export default function RebuildPage() {
  return <RebuildWizard />;
}
