import type { Metadata } from "next";
import type { ReactNode } from "react";
import "./globals.css";
import { TrpcProvider } from "@/components/trpc/trpc-provider";

export const metadata: Metadata = {
  title: { default: "Custodian", template: "%s · Custodian" },
  description: "Data-protection manager",
};

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <body>
        <TrpcProvider>{children}</TrpcProvider>
      </body>
    </html>
  );
}
