import type { Metadata } from "next";
import { NewGroupPage } from "@/components/protection/wizard-pages";

export const metadata: Metadata = { title: "New protection group" };

export default async function Page({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const { source } = await searchParams;
  const preselect = [source ?? []].flat().map(Number).filter((n) => Number.isInteger(n) && n > 0);
  return <NewGroupPage preselect={preselect} />;
}
