import type { Metadata } from "next";
import { notFound } from "next/navigation";
import { JobDetailView } from "@/components/monitoring/job-detail-view";

type Props = { params: Promise<{ id: string }> };

function jobId(raw: string): number | null {
  return /^[1-9]\d{0,15}$/.test(raw) ? Number(raw) : null;
}

export async function generateMetadata({ params }: Props): Promise<Metadata> {
  const id = jobId((await params).id);
  return { title: id ? `Job #${id}` : "Job" };
}

export default async function Page({ params }: Props) {
  const id = jobId((await params).id);
  if (id === null) notFound();
  return <JobDetailView id={id} />;
}
