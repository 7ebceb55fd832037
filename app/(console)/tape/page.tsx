import type { Metadata } from "next";
import { TapeView } from "@/components/tape/tape-view";

export const metadata: Metadata = { title: "Tape" };

export default function Page() {
  return <TapeView />;
}
