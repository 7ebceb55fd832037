/**
 * What help desk may do when restoring. DPM's recovery operator restores to an alternate
 * location; an admin may allow help desk to restore to the original location too.
 * Kept in the catalog's small key/value table.
 */
import { eq } from "drizzle-orm";
import type { CatalogDb } from "@/db/client";
import { schedulerState } from "@/db/schema";

const KEY = "setting:helpdeskMayRestoreToOriginal";

export interface RecoverySettings {
  helpdeskMayRestoreToOriginal: boolean;
}

export function getRecoverySettings(db: CatalogDb): RecoverySettings {
  const v = db.select({ v: schedulerState.value }).from(schedulerState).where(eq(schedulerState.key, KEY)).get()?.v;
  return { helpdeskMayRestoreToOriginal: v === "true" };
}

export function setRecoverySettings(db: CatalogDb, s: RecoverySettings): RecoverySettings {
  const value = String(s.helpdeskMayRestoreToOriginal);
  db.insert(schedulerState).values({ key: KEY, value }).onConflictDoUpdate({ target: schedulerState.key, set: { value } }).run();
  return getRecoverySettings(db);
}
