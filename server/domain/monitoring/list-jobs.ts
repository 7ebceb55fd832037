import { and, desc, eq, type SQL } from "drizzle-orm";
import type { CatalogDb } from "@/db/client";
import { jobs, type JobState } from "@/db/schema";

export interface ListJobsOptions {
  state?: JobState;
  type?: string;
  limit: number;
}

export function listJobs(db: CatalogDb, o: ListJobsOptions) {
  const where: SQL[] = [];
  if (o.state) where.push(eq(jobs.state, o.state));
  if (o.type) where.push(eq(jobs.type, o.type));
  return db
    .select({
      id: jobs.id,
      type: jobs.type,
      state: jobs.state,
      target: jobs.target,
      createdAt: jobs.createdAt,
      startedAt: jobs.startedAt,
      finishedAt: jobs.finishedAt,
      error: jobs.error,
    })
    .from(jobs)
    .where(where.length ? and(...where) : undefined)
    .orderBy(desc(jobs.createdAt), desc(jobs.id))
    .limit(o.limit)
    .all();
}
