import Link from "next/link";
import type { inferRouterOutputs } from "@trpc/server";
import type { AppRouter } from "@/server/api/root";
import { Table, Td, Th } from "@/components/ui/table";
import { KIND_LABEL } from "./status-badges";

type Unprotected = inferRouterOutputs<AppRouter>["protection"]["unprotected"];

/** DPM's "unprotected data sources on protected computers", with a shortcut into the wizard. */
export function UnprotectedSources({ sources, isAdmin }: { sources: Unprotected; isAdmin: boolean }) {
  return (
    <section aria-label="Unprotected data sources" className="space-y-2">
      <h2 className="text-sm font-semibold text-slate-800">
        Unprotected data sources on protected computers <span className="font-normal text-slate-500">({sources.length})</span>
      </h2>
      <Table label="Unprotected data sources">
        <thead>
          <tr>
            <Th>Computer</Th>
            <Th>Data source</Th>
            <Th>Kind</Th>
            <Th>Path</Th>
            {isAdmin && <Th className="text-right">Protect</Th>}
          </tr>
        </thead>
        <tbody className="divide-y divide-slate-100">
          {sources.map((s) => (
            <tr key={s.id}>
              <Td>{s.computer}</Td>
              <Td className="font-medium text-slate-900">
                {s.name}
                {!s.present && <span className="ml-2 text-xs font-normal text-red-700">not found on the computer</span>}
              </Td>
              <Td>{KIND_LABEL[s.kind]}</Td>
              <Td className="max-w-md truncate" title={s.path}>
                {s.path}
              </Td>
              {isAdmin && (
                <Td className="text-right">
                  <Link href={`/protection/new?source=${s.id}`} className="text-sm font-medium text-brand-700 hover:underline" aria-label={`Protect ${s.name} on ${s.computer}`}>
                    Protect…
                  </Link>
                </Td>
              )}
            </tr>
          ))}
        </tbody>
      </Table>
    </section>
  );
}
