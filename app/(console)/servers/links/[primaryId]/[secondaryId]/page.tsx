import type { Metadata } from "next";
import { notFound } from "next/navigation";
import { LinkPage } from "./link-page";

type Props = { params: Promise<{ primaryId: string; secondaryId: string }> };

const SERVER_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const metadata: Metadata = { title: "Link between servers" };

export default async function Page({ params }: Props) {
  const { primaryId, secondaryId } = await params;
  if (!SERVER_ID.test(primaryId) || !SERVER_ID.test(secondaryId)) notFound();
  return <LinkPage primaryId={primaryId} secondaryId={secondaryId} />;
}
