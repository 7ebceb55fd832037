import type { Metadata } from "next";
import { notFound } from "next/navigation";
import { EditGroupPage } from "@/components/protection/wizard-pages";

export const metadata: Metadata = { title: "Modify protection group" };

export default async function Page({ params }: { params: Promise<{ id: string }> }) {
  const id = Number((await params).id);
  if (!Number.isInteger(id) || id <= 0) notFound();
  return <EditGroupPage id={id} />;
}
