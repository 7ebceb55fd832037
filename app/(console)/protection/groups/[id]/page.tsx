import type { Metadata } from "next";
import { notFound } from "next/navigation";
import { GroupDetail } from "@/components/protection/group-detail";

export const metadata: Metadata = { title: "Protection group" };

export default async function Page({ params, searchParams }: { params: Promise<{ id: string }>; searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const id = Number((await params).id);
  if (!Number.isInteger(id) || id <= 0) notFound();
  const q = await searchParams;
  return <GroupDetail id={id} just={q.created ? "created" : q.updated ? "updated" : null} />;
}
